/**
 * resolveExecutor (SPEC §7): hypernodes' aliases on Node's backends, the
 * sequential executor behind "sequential", and the borrowed view of a
 * supplied executor (never shut down by the resolver).
 */
import { threadId } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import {
  BorrowedExecutor,
  EXECUTOR_ALIASES,
  ExecutionContext,
  resolveExecutor,
  SequentialExecutor,
} from "../src/index.js";
import {
  CancelledError,
  InterpreterPoolExecutor,
  ProcessPoolExecutor,
  task,
  ThreadPoolExecutor,
  type Executor,
} from "../src/api/futures.js";
import { deferred, thrown, within } from "./helpers.js";

const tasks = new URL("./fixtures/dispatch-tasks.ts", import.meta.url);
const whereAmI = task<typeof import("./fixtures/dispatch-tasks.js"), "whereAmI">(tasks, "whereAmI");

const owned: Executor[] = [];
function resolved(...args: Parameters<typeof resolveExecutor>): Executor {
  const executor = resolveExecutor(...args);
  owned.push(executor);
  return executor;
}

afterEach(async () => {
  await within(Promise.all(owned.splice(0).map((e) => e.shutdown({ cancelFutures: true }))), 10, "shutdown");
});

describe("resolveExecutor aliases", () => {
  it("maps the four aliases to the four backends", () => {
    expect(EXECUTOR_ALIASES).toEqual({
      sequential: "inline",
      async: "event-loop",
      threaded: "worker-threads",
      parallel: "child-processes",
    });
    expect(Object.isFrozen(EXECUTOR_ALIASES)).toBe(true);
    expect(resolved("sequential")).toBeInstanceOf(SequentialExecutor);
    expect(resolved("async")).toBeInstanceOf(ThreadPoolExecutor);
    expect(resolved("threaded")).toBeInstanceOf(InterpreterPoolExecutor);
    expect(resolved("parallel")).toBeInstanceOf(ProcessPoolExecutor);
  });

  it("rejects an unknown alias with a RangeError listing the four", () => {
    const error = thrown(() => resolveExecutor("threads" as never)) as RangeError;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain('"threads"');
    for (const alias of ["sequential", "async", "threaded", "parallel"]) expect(error.message).toContain(`"${alias}"`);
  });

  it("rejects bad specs and options naming the argument", () => {
    expect(() => resolveExecutor(42 as never)).toThrow(TypeError);
    expect(() => resolveExecutor(null as never)).toThrow(/resolveExecutor\(spec\)/);
    expect(() => resolveExecutor("async", { maxWorkers: 0 })).toThrow(RangeError);
    expect(() => resolveExecutor("async", { maxWorkers: 0 })).toThrow(/maxWorkers/);
    expect(() => resolveExecutor("async", { maxWorkers: "4" as never })).toThrow(TypeError);
    expect(() => resolveExecutor("async", { size: 4 } as never)).toThrow(/unknown option "size"; accepted options are maxWorkers/);
  });

  it('"async" runs on the event loop, 100 in flight by default, maxWorkers when given', async () => {
    const loop = resolved("async") as ThreadPoolExecutor;
    expect(loop.maxWorkers).toBe(100);
    expect((resolved("async", { maxWorkers: 7 }) as ThreadPoolExecutor).maxWorkers).toBe(7);
    const sync = loop.submit((n: number) => n + 1, 1);
    const later = loop.submit(async (n: number) => {
      await new Promise((resolve) => setImmediate(resolve));
      return n + 2;
    }, 1);
    expect(await within(Promise.all([sync, later]))).toEqual([2, 3]);
  });

  it("seed scenario: 50 simulated I/O calls through \"async\" are all in flight at once", async () => {
    const executor = resolved("async");
    const all = deferred();
    let inFlight = 0;
    let peak = 0;
    const simulatedIo = async (id: number): Promise<number> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      if (inFlight === 50) all.resolve();
      await all.promise; // the "response" arrives only once all 50 requests are out
      inFlight--;
      return id;
    };
    const futures = Array.from({ length: 50 }, (_, id) => executor.submit(simulatedIo, id));
    try {
      expect(await within(Promise.all(futures), 5, "50 concurrent calls")).toEqual(Array.from({ length: 50 }, (_, i) => i));
    } finally {
      all.resolve(); // never leave a future pending, even when the assertion fails
    }
    expect(peak).toBe(50);
  });

  it('"threaded" runs on a worker thread, "parallel" in a child process', async () => {
    const threads = resolved("threaded", { maxWorkers: 1 });
    const children = resolved("parallel", { maxWorkers: 1 });
    const [onThread, inChild] = await within(Promise.all([threads.submit(whereAmI, 1), children.submit(whereAmI, 2)]), 15);
    expect(onThread).toMatchObject({ n: 1, pid: process.pid });
    expect(onThread.threadId).not.toBe(threadId);
    expect(inChild.n).toBe(2);
    expect(inChild.pid).not.toBe(process.pid);
  });
});

describe('"sequential": SequentialExecutor (backend inline)', () => {
  it("runs calls one at a time in submission order, awaiting async ones", async () => {
    const executor = resolved("sequential", { maxWorkers: 8 }); // the size is checked, then ignored
    const events: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const call = async (n: number): Promise<number> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`end ${n}`);
      inFlight--;
      return n;
    };
    const futures = [0, 1, 2].map((n) => executor.submit(call, n));
    futures.push(executor.submit((n: number) => (events.push(`sync ${n}`), n), 3));
    expect(await within(Promise.all(futures))).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(1);
    expect(events).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2", "sync 3"]);
  });

  it("never starts a call inside submit, and carries the submitter's async context", async () => {
    const executor = new SequentialExecutor();
    owned.push(executor);
    const seen: unknown[] = [];
    const context = new ExecutionContext({ component: "seq" });
    const future = context.run(() => executor.submit(() => seen.push(ExecutionContext.current()?.component)));
    expect(seen).toEqual([]);
    await within(future);
    expect(seen).toEqual(["seq"]);
  });

  it("keeps going after a call throws", async () => {
    const executor = resolved("sequential");
    const failing = executor.submit(() => {
      throw new RangeError("bad");
    });
    const next = executor.submit(() => "still runs");
    await expect(within(failing)).rejects.toThrow(RangeError);
    expect(await within(next)).toBe("still runs");
  });

  it("shuts down as an executor: cancelFutures, wait, and no submits after", async () => {
    const executor = new SequentialExecutor();
    const gate = deferred();
    const first = executor.submit(() => gate.promise.then(() => "first"));
    const second = executor.submit(() => "second");
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.running()).toBe(true);
    const stopped = executor.shutdown({ cancelFutures: true });
    expect(second.cancelled()).toBe(true);
    expect(() => executor.submit(() => 1)).toThrow("cannot schedule new futures after shutdown");
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false); // wait: true waits for the running call
    gate.resolve();
    await within(stopped);
    expect(await first).toBe("first");
    await expect(second.result()).rejects.toBeInstanceOf(CancelledError);
  });

  it("cancels a pending call when its signal aborts, and fails a running one with the reason", async () => {
    const executor = resolved("sequential");
    const gate = deferred();
    const running = new AbortController();
    const pending = new AbortController();
    const first = executor.submitWith({ signal: running.signal }, () => gate.promise);
    const second = executor.submitWith({ signal: pending.signal }, () => "never");
    const third = executor.submit(() => "third");
    await new Promise((resolve) => setImmediate(resolve));
    pending.abort();
    expect(second.cancelled()).toBe(true);
    running.abort(new Error("stop"));
    await expect(within(first)).rejects.toThrow("stop");
    expect(third.running()).toBe(false); // still one at a time: the aborted call has not returned
    gate.resolve();
    expect(await within(third)).toBe("third");
  });
});

describe("a supplied executor", () => {
  it("comes back as a borrowed view that never shuts it down", async () => {
    const mine = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const view = resolveExecutor(mine, { maxWorkers: 3 });
      expect(view).toBeInstanceOf(BorrowedExecutor);
      expect((view as BorrowedExecutor).executor).toBe(mine);
      expect((view as BorrowedExecutor).maxWorkers).toBe(2);
      expect(await within(view.submit((n: number) => n * 3, 2))).toBe(6);
      expect(await within(view.map((n: number) => n + 1, [1, 2, 3]).toArray())).toEqual([2, 3, 4]);
      await within(view.shutdown());
      expect(() => view.submit(() => 1)).toThrow("cannot schedule new futures after shutdown");
      expect(await within(mine.submit(() => "still open"))).toBe("still open");
    } finally {
      await mine.shutdown();
    }
  });

  it("shutting the view down waits for or cancels only the calls made through it", async () => {
    const mine = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = deferred();
    try {
      const ownersCall = mine.submit(() => gate.promise.then(() => "owner"));
      const view = resolveExecutor(mine);
      const viaView = view.submit(() => "view");
      const ownersQueued = mine.submit(() => "owner queued");
      await view.shutdown({ cancelFutures: true });
      expect(viaView.cancelled()).toBe(true);
      expect(ownersQueued.cancelled()).toBe(false);
      gate.resolve();
      expect(await within(Promise.all([ownersCall, ownersQueued]))).toEqual(["owner", "owner queued"]);
    } finally {
      gate.resolve();
      await mine.shutdown();
    }
  });
});
