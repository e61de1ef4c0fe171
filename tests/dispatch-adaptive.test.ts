/**
 * Adaptive backend choice (SPEC §7, opt-in): per function (a WeakMap entry),
 * both backends are explored before deciding, the choice and its reason are
 * recorded and published. Which backend wins is the machine's business: the
 * tests check the mechanism, never a timing.
 */
import { threadId } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DispatchError, ExecutionContext, observeDecisions, reset, UnifiedDispatcher, type Decision } from "../src/index.js";
import { task } from "../src/api/futures.js";
import { adaptiveRecord, EXPLORE_SAMPLES, forgetAdaptive } from "../src/dispatch/adaptive.js";
import { within } from "./helpers.js";

type Tasks = typeof import("./fixtures/dispatch-tasks.js");
const url = new URL("./fixtures/dispatch-tasks.ts", import.meta.url);
const whereAmI = task<Tasks, "whereAmI">(url, "whereAmI");
const sumTo = task<Tasks, "sumTo">(url, "sumTo");
const doubleOrFail = task<Tasks, "doubleOrFail">(url, "doubleOrFail");
const square = task<Tasks, "square">(url, "square");

/** Items an exploration uses: one warm-up call and EXPLORE_SAMPLES measured calls per backend. */
const EXPLORED = 2 * (1 + EXPLORE_SAMPLES);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

beforeAll(async () => {
  for (const key of Object.keys(process.env)) if (key.startsWith("UNIRUN_")) delete process.env[key];
  await reset();
});
afterAll(async () => {
  forgetAdaptive();
  await reset();
});

function adaptiveDecisions(body: () => Promise<unknown>): Promise<Decision[]> {
  const seen: Decision[] = [];
  const stop = observeDecisions((d) => {
    if (d.requested === "adaptive") seen.push(d);
  });
  return body().then(() => seen).finally(stop);
}

describe("adaptive: true", () => {
  it("explores both backends, then sends the rest to the recorded choice", async () => {
    const d = new UnifiedDispatcher({ adaptive: true, maxWorkers: 2, name: "adaptive-test" });
    try {
      let results: Awaited<ReturnType<typeof whereAmI>>[] = [];
      const context = new ExecutionContext({ component: "explorer" });
      const decisions = await adaptiveDecisions(async () => {
        results = await within(context.run(() => d.map(whereAmI, range(20))), 20);
      });
      expect(results.map((r) => r.n)).toEqual(range(20));
      const onLoop = (r: { threadId: number }): boolean => r.threadId === threadId;
      // Exploration order: warm-up + samples on the event loop, then on worker threads.
      expect(results.slice(0, 1 + EXPLORE_SAMPLES).every(onLoop)).toBe(true);
      expect(results.slice(1 + EXPLORE_SAMPLES, EXPLORED).some(onLoop)).toBe(false);

      const record = adaptiveRecord(whereAmI)!;
      expect(record).toBeDefined();
      for (const backend of ["event-loop", "worker-threads"] as const) {
        expect(record.samples[backend]).toMatchObject({ items: EXPLORE_SAMPLES, warmed: true });
        expect(record.samples[backend].ms).toBeGreaterThanOrEqual(0);
      }
      expect(["event-loop", "worker-threads"]).toContain(record.choice);
      expect(record.reason).toMatch(
        new RegExp(`^adaptive whereAmI: ${record.choice} [\\d.]+x faster per item after ${2 * EXPLORE_SAMPLES} samples \\(event-loop [\\d.]+ ms, worker-threads [\\d.]+ ms per item\\)$`),
      );
      // The rest went where the choice says.
      const chosenLoop = record.choice === "event-loop";
      for (const r of results.slice(EXPLORED)) expect(onLoop(r)).toBe(chosenLoop);

      expect(decisions).toEqual([record.decision]);
      expect(record.decision).toMatchObject({
        requested: "adaptive",
        resolved: record.choice,
        reason: "hint",
        scope: "task",
        name: "adaptive-test",
        component: "explorer",
        detail: record.reason,
      });

      // Remembered per function, across calls and dispatchers: no second exploration.
      const again = new UnifiedDispatcher({ adaptive: true, maxWorkers: 2 });
      try {
        let second: Awaited<ReturnType<typeof whereAmI>>[] = [];
        const more = await adaptiveDecisions(async () => {
          second = await within(again.map(whereAmI, range(6)), 20);
        });
        expect(more).toEqual([]);
        for (const r of second) expect(onLoop(r)).toBe(chosenLoop);
        expect(adaptiveRecord(whereAmI)!.samples["event-loop"].items).toBe(EXPLORE_SAMPLES);
      } finally {
        await again.close();
      }
    } finally {
      await d.close();
    }
  });

  it("keeps one WeakMap entry per function", async () => {
    expect(adaptiveRecord(square)).toBeUndefined();
    const d = new UnifiedDispatcher({ adaptive: true, maxWorkers: 2 });
    try {
      expect(await within(d.map(sumTo, range(EXPLORED)), 20)).toEqual(range(EXPLORED).map((n) => (n === 0 ? 0 : (n * (n - 1)) / 2)));
      expect(adaptiveRecord(square)).toBeUndefined();
      const record = adaptiveRecord(sumTo);
      expect(record?.choice).not.toBeNull();
      expect(record).not.toBe(adaptiveRecord(whereAmI));
    } finally {
      await d.close();
    }
  });

  it("does not explore a function that cannot leave the thread, and says why", async () => {
    const factor = 3;
    const closure = (n: number): number => n * factor;
    const d = new UnifiedDispatcher({ adaptive: true });
    try {
      const decisions = await adaptiveDecisions(async () => {
        expect(await within(d.map(closure, [1, 2]))).toEqual([3, 6]);
      });
      const record = adaptiveRecord(closure)!;
      expect(record.choice).toBe("event-loop");
      expect(record.reason).toMatch(/^adaptive closure: event-loop, without exploring: it cannot run on worker threads \(.*factor/);
      expect(record.samples["worker-threads"]).toMatchObject({ items: 0, warmed: false });
      expect(decisions.map((x) => x.resolved)).toEqual(["event-loop"]);
    } finally {
      await d.close();
    }
  });

  it("stays fail-fast while exploring, and answers every id in mapWithIds", async () => {
    const d = new UnifiedDispatcher({ adaptive: true, maxWorkers: 2 });
    try {
      const error = (await within(d.map(doubleOrFail, [1, 2, -3, 4, 5, 6]).catch((e: unknown) => e), 20)) as DispatchError;
      expect(error).toBeInstanceOf(DispatchError);
      expect(error.index).toBe(2);
      expect(adaptiveRecord(doubleOrFail)?.choice).toBeNull(); // a failed batch is not a measurement

      const pairs = range(EXPLORED + 2).map((n) => [`id${n}`, n === 7 ? -7 : n] as const);
      const answers = await within(d.mapWithIds(doubleOrFail, pairs, { errorsAsNull: true }), 20);
      expect([...answers.keys()]).toEqual(pairs.map(([id]) => id));
      expect(answers.get("id7")).toBeNull();
      expect(answers.get("id8")).toBe(16);
      expect(adaptiveRecord(doubleOrFail)?.choice).not.toBeNull();
    } finally {
      await d.close();
    }
  });

  it("is opt-in: a plain dispatcher measures nothing", async () => {
    const d = new UnifiedDispatcher();
    try {
      expect(d.adaptive).toBe(false);
      expect(await within(d.map(square, [2, 3]))).toEqual([4, 9]);
      expect(adaptiveRecord(square)).toBeUndefined();
    } finally {
      await d.close();
    }
  });
});
