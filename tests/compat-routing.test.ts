/**
 * Thread modes (SPEC §6, `UNIRUN_THREAD_MODE`) on a managed
 * ThreadPoolExecutor, with real worker threads:
 *
 * - `gil`: every task stays on the event loop (a CPU-bound task with a
 *   downgrade warning);
 * - `auto` (default): only tasks marked CPU-bound — `task(..., { cpuBound:
 *   true })` or `ExecutionContext({ ioHeavy: false })` — go to worker threads;
 * - `nogil`: every transferable task goes to worker threads; closures (and
 *   arguments that cannot be cloned) stay, with a downgrade warning.
 *
 * Each test sets its own thread mode (whatever the matrix run has) and
 * `reset()`s so that the scheduler reads it.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { task } from "../src/api/futures.js";
import type { ThreadMode } from "../src/run/config.js";
import { ExecutionContext } from "../src/run/context.js";
import { type Decision, observeDecisions } from "../src/run/decisions.js";
import { ThreadPoolExecutor } from "../src/run/managed-executors.js";
import { reset } from "../src/run/scheduler.js";
import { open, ref, tasksUrl, until } from "./double.helpers.js";

const saved = process.env.UNIRUN_THREAD_MODE;
let warnings: Error[] = [];
let decisions: Decision[] = [];
let stop: () => void = () => undefined;
const onWarning = (w: Error): void => {
  if (w.name === "DowngradeWarning") warnings.push(w);
};

beforeEach(() => {
  warnings = [];
  decisions = [];
  process.on("warning", onWarning);
  stop = observeDecisions((d) => decisions.push(d));
});
afterEach(async () => {
  stop();
  process.off("warning", onWarning);
  if (saved === undefined) delete process.env.UNIRUN_THREAD_MODE;
  else process.env.UNIRUN_THREAD_MODE = saved;
  await reset();
});

/** A managed ThreadPoolExecutor under `mode`. */
async function executor(mode: ThreadMode, maxWorkers = 2): Promise<ThreadPoolExecutor> {
  await reset();
  process.env.UNIRUN_THREAD_MODE = mode;
  return new ThreadPoolExecutor({ maxWorkers });
}

/** Node delivers warnings on a later tick: by `setImmediate`, all emitted so far have arrived. */
const flushed = (): Promise<Error[]> => new Promise((resolve) => setImmediate(() => resolve(warnings)));

const whoAmI = ref("whoAmI");
const cpuWhoAmI = task<typeof import("./fixtures/compat-tasks.js"), "whoAmI">(tasksUrl, "whoAmI", { cpuBound: true });
const MARK = "__unirunRoutingMark";
/** Self-contained: `"number"` on the calling thread (which set the mark), `"undefined"` in a worker. */
const markType = (): string => typeof (globalThis as Record<string, unknown>)["__unirunRoutingMark"];
(globalThis as Record<string, unknown>)[MARK] = 1;

const onLoop = { threadId: 0, pid: process.pid };
const inWorker = { threadId: expect.any(Number), pid: process.pid };

const taskDecisions = (): Decision[] => decisions.filter((d) => d.scope === "task");

describe("UNIRUN_THREAD_MODE=gil", () => {
  it("keeps every task on the event loop; a CPU-bound one says so, once", async () => {
    const ex = await executor("gil");
    expect(await ex.submit(whoAmI)).toEqual(onLoop);
    expect(await ex.submit(markType)).toBe("number");
    expect(await ex.submit(cpuWhoAmI)).toEqual(onLoop);
    expect(await ex.submit(cpuWhoAmI)).toEqual(onLoop);
    expect(await new ExecutionContext({ ioHeavy: false }).run(() => ex.submit(whoAmI))).toEqual(onLoop);
    await ex.shutdown();
    const [warning, ...more] = await flushed();
    expect(more).toEqual([]);
    expect(warning!.message).toBe(
      "ThreadPoolExecutor downgraded to native behaviour: UNIRUN_THREAD_MODE=gil keeps CPU-bound tasks on the event loop " +
        "(requested=worker-threads, resolved=event-loop)",
    );
    expect(ex.decision.resolved).toBe("event-loop");
    expect(taskDecisions().map((d) => [d.resolved, d.reason])).toContainEqual(["event-loop", "downgrade"]);
  });
});

describe("UNIRUN_THREAD_MODE=auto", () => {
  it("sends CPU-bound task references to worker threads and keeps the rest on the event loop", async () => {
    const ex = await executor("auto");
    expect(await ex.submit(whoAmI)).toEqual(onLoop);
    expect(await ex.submit(markType)).toBe("number");
    const cpu = await ex.submit(cpuWhoAmI);
    expect(cpu).toEqual(inWorker);
    expect(cpu.threadId).not.toBe(0);
    await ex.shutdown();
    expect(await flushed()).toEqual([]);
    expect(taskDecisions()).toContainEqual(expect.objectContaining({ resolved: "worker-threads", reason: "hint", scope: "task" }));
  });

  it("sends transferable tasks submitted inside ExecutionContext({ ioHeavy: false }) to worker threads", async () => {
    const ex = await executor("auto");
    const context = new ExecutionContext({ component: "crunch", ioHeavy: false });
    const [where, mark] = await context.run(() => Promise.all([ex.submit(whoAmI), ex.submit(markType)]));
    expect(where.threadId).not.toBe(0);
    expect(mark).toBe("undefined");
    // Read when work is submitted: outside the context, the same executor stays on the loop.
    expect(await ex.submit(whoAmI)).toEqual(onLoop);
    await ex.shutdown();
    expect(taskDecisions()).toContainEqual(expect.objectContaining({ resolved: "worker-threads", component: "crunch" }));
  });

  it("a CPU-bound closure stays on the event loop, with a downgrade warning", async () => {
    const ex = await executor("auto");
    let calls = 0;
    const result = await new ExecutionContext({ ioHeavy: false }).run(() => ex.submit(() => ++calls));
    expect(result).toBe(1);
    expect(calls).toBe(1);
    await ex.shutdown();
    const [warning] = await flushed();
    expect(warning!.message).toMatch(/^ThreadPoolExecutor downgraded to native behaviour: a task that is not transferable/);
    expect(warning!.message).toMatch(/\(requested=worker-threads, resolved=event-loop\)$/);
  });
});

describe("UNIRUN_THREAD_MODE=nogil", () => {
  it("sends every transferable task to worker threads: task references and self-contained functions", async () => {
    const ex = await executor("nogil");
    const where = await ex.submit(whoAmI);
    expect(where.threadId).not.toBe(0);
    expect(await ex.submit(markType)).toBe("undefined");
    expect(await ex.map(ref("square"), [1, 2, 3], { chunksize: 2 }).toArray()).toEqual([1, 4, 9]);
    await ex.shutdown();
    expect(await flushed()).toEqual([]);
    expect(ex.decision.resolved).toBe("event-loop");
    expect(taskDecisions()).toContainEqual(expect.objectContaining({ resolved: "worker-threads", reason: "thread-mode" }));
  });

  it("keeps closures and uncloneable arguments on the event loop, warning once per executor", async () => {
    const ex = await executor("nogil");
    const seen: number[] = [];
    expect(await ex.submit((n: number) => seen.push(n), 1)).toBe(1);
    expect(await ex.submit((n: number) => seen.push(n), 2)).toBe(2);
    expect(await ex.submit((f: () => number) => f(), () => 7)).toBe(7);
    expect(seen).toEqual([1, 2]);
    await ex.shutdown();
    const [warning, ...more] = await flushed();
    expect(more).toEqual([]);
    expect(warning!.name).toBe("DowngradeWarning");
    expect((warning as Error & { code?: string }).code).toBe("UNIRUN_DOWNGRADE");
    expect(warning!.message).toBe(
      "ThreadPoolExecutor downgraded to native behaviour: a task that is not transferable (a closure, or arguments " +
        "that cannot be cloned) stays on the event loop; use a task reference (task(url, name)) or a self-contained " +
        "function (requested=worker-threads, resolved=event-loop)",
    );
    const downgrades = taskDecisions().filter((d) => d.reason === "downgrade");
    expect(downgrades.map((d) => d.detail)).toContainEqual(expect.stringContaining("captures `seen`"));
  });

  it("still holds at most maxWorkers of the executor's tasks in flight on the worker pool", async () => {
    const ex = await executor("nogil", 1);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "unirun-routing-"));
    const gates = [path.join(dir, "a"), path.join(dir, "b")];
    try {
      const first = ex.submit(ref("waitForFile"), gates[0]!, 10);
      const second = ex.submit(ref("waitForFile"), gates[1]!, 10);
      await until(() => first.running(), "the first task to start");
      await open(gates[1]!, "b");
      // The second task's gate is open, but it cannot start while the first holds the only slot.
      expect(second.running() || second.done()).toBe(false);
      await open(gates[0]!, "a");
      expect([await first, await second]).toEqual(["a", "b"]);
    } finally {
      for (const gate of gates) await open(gate);
      await ex.shutdown();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
