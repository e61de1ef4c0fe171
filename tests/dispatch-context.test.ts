/**
 * ExecutionContext through the dispatcher (SPEC §7): read when work is
 * submitted (not when the dispatcher is built), carried by AsyncLocalStorage
 * to the scheduler, which takes `ioHeavy` as its hint and shows `component`
 * in its per-task decisions.
 */
import { threadId } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionContext, observeDecisions, reset, UnifiedDispatcher, type Decision } from "../src/index.js";
import { task } from "../src/api/futures.js";
import { within } from "./helpers.js";

type Tasks = typeof import("./fixtures/dispatch-tasks.js");
const whereAmI = task<Tasks, "whereAmI">(new URL("./fixtures/dispatch-tasks.ts", import.meta.url), "whereAmI");

beforeAll(async () => {
  // The defaults under test: UNIRUN_THREAD_MODE=auto, no pinned or forced mode.
  for (const key of Object.keys(process.env)) if (key.startsWith("UNIRUN_")) delete process.env[key];
  await reset();
});
afterAll(() => reset());

/** Run `body` and return what it resolves to with the decisions published meanwhile. */
async function watching<T>(body: () => Promise<T>): Promise<{ value: T; decisions: Decision[] }> {
  const decisions: Decision[] = [];
  const stop = observeDecisions((d) => decisions.push(d));
  try {
    return { value: await body(), decisions };
  } finally {
    stop();
  }
}

describe("ExecutionContext at submit time", () => {
  it("ioHeavy: false sends transferable work to worker threads, labelled with the component", async () => {
    const d = new UnifiedDispatcher({ maxWorkers: 2, name: "ingest-dispatcher" });
    try {
      const cpu = new ExecutionContext({ component: "parser", ioHeavy: false });
      const { value, decisions } = await watching(() => within(cpu.run(() => d.map(whereAmI, [1, 2, 3])), 15));
      expect(value.map((r) => r.n)).toEqual([1, 2, 3]);
      for (const r of value) expect(r.threadId).not.toBe(threadId);
      const perTask = decisions.filter((x) => x.scope === "task");
      expect(perTask).toHaveLength(3);
      for (const x of perTask) {
        expect(x).toMatchObject({ resolved: "worker-threads", reason: "hint", component: "parser", name: "ingest-dispatcher" });
      }
      // The executor itself was decided outside any context.
      const built = decisions.filter((x) => x.scope === "executor");
      expect(built).toHaveLength(1);
      expect(built[0]).toMatchObject({ resolved: "event-loop", component: null });
    } finally {
      await d.close();
    }
  });

  it("counts the context of each call, not the one the dispatcher was built or first used in", async () => {
    const built = new ExecutionContext({ component: "builder", ioHeavy: false });
    const d = built.run(() => new UnifiedDispatcher({ maxWorkers: 2 }));
    try {
      await within(built.run(() => d.map(whereAmI, [0])), 15);
      const plain = await watching(() => within(d.map(whereAmI, [1, 2])));
      for (const r of plain.value) expect(r.threadId).toBe(threadId);
      expect(plain.decisions).toEqual([]);

      const io = new ExecutionContext({ component: "api", ioHeavy: true });
      const labelled = await watching(() => within(io.run(() => d.map(whereAmI, [3, 4]))));
      for (const r of labelled.value) expect(r.threadId).toBe(threadId);
      expect(labelled.decisions).toHaveLength(2);
      for (const x of labelled.decisions) {
        expect(x).toMatchObject({ scope: "task", resolved: "event-loop", reason: "hint", component: "api", detail: "ioHeavy: true" });
      }
    } finally {
      await d.close();
    }
  });

  it("flows into calls on the event loop through AsyncLocalStorage", async () => {
    const d = new UnifiedDispatcher({ executor: "async" });
    try {
      const context = new ExecutionContext({ component: "inside" });
      const seen = await within(context.run(() => d.map(() => ExecutionContext.current()?.component, [1, 2])));
      expect(seen).toEqual(["inside", "inside"]);
    } finally {
      await d.close();
    }
  });
});
