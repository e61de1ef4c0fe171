/**
 * CPython's test_shutdown.py (ExecutorShutdownTest and ThreadPoolShutdownTest),
 * ported to the event-loop ThreadPoolExecutor, plus the SPEC §2 shutdown
 * contract: the exact CPython message after shutdown, `wait: false` still
 * running queued calls, `cancelFutures` leaving dropped futures
 * CANCELLED_AND_NOTIFIED so `wait()` does not hang, and `Symbol.asyncDispose`.
 * `time.sleep`/semaphores become promises the test releases.
 *
 * Skipped CPython cases:
 * - test_interpreter_shutdown, test_submit_after_interpreter_shutdown,
 *   test_hang_gh83386, test_cancel_futures_wait_false (as a subprocess): they
 *   run a child interpreter and check its atexit hooks; Node has no atexit
 *   shutdown of executors (the event loop simply runs until it is empty).
 *   test_cancel_futures_wait_false is ported in-process instead.
 * - test_del_shutdown: relies on `__del__`/garbage collection shutting the pool down.
 * - test_threads_terminate / test_context_manager_shutdown / test_shutdown_no_wait
 *   join OS threads; ported as "every call has finished when shutdown resolves".
 * - test_thread_names_*: there are no threads to name; ported to the kept
 *   `threadNamePrefix`.
 * - ProcessPoolShutdownTest: process pools are not this executor.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CancelledError, ThreadPoolExecutor, wait } from "../src/api/futures.js";
import { deferred, InFlight, range, turns, within } from "./thread-pool.helpers.js";

const SHUTDOWN_MESSAGE = "cannot schedule new futures after shutdown";

/** `time.sleep(t)` for a task: resolves on a later turn of the event loop. */
function sleep(): Promise<void> {
  return turns(1);
}

describe("ThreadPoolShutdownTest", () => {
  let executor: ThreadPoolExecutor;

  beforeEach(() => {
    executor = new ThreadPoolExecutor({ maxWorkers: 5 });
  });

  afterEach(async () => {
    await within(executor.shutdown({ wait: true }), "tearDown shutdown");
  });

  it("test_run_after_shutdown", async () => {
    await executor.shutdown();
    expect(() => executor.submit(Math.pow, 2, 5)).toThrow(Error);
    expect(() => executor.submit(Math.pow, 2, 5)).toThrow(new Error(SHUTDOWN_MESSAGE));
  });

  it("test_hang_issue12364", async () => {
    const fs = range(50).map(() => executor.submit(sleep));
    await within(executor.shutdown(), "shutdown");
    for (const f of fs) expect(await f.result()).toBeUndefined();
  });

  it("test_cancel_futures", async () => {
    const gate = deferred();
    const fs = range(50).map(() => executor.submit(() => gate.promise));
    await turns(); // let the five workers pick up their first calls
    const shutdown = executor.shutdown({ cancelFutures: true });
    // Everything that had not started was cancelled: exactly 50 - 5 here.
    const cancelled = fs.filter((f) => f.cancelled());
    expect(cancelled).toHaveLength(45);
    gate.resolve();
    await within(shutdown, "shutdown");
    const others = fs.filter((f) => !f.cancelled());
    expect(others).toHaveLength(5);
    for (const f of others) {
      expect(f.done()).toBe(true);
      expect(await f.exception()).toBeNull();
    }
  });

  it("test_hang_gh94440", async () => {
    // shutdown(wait=true) does not hang when a future was submitted and
    // cancelled right before it.
    const single = new ThreadPoolExecutor({ maxWorkers: 1 });
    await single.submit(() => 0).result();
    expect(single.submit(() => 0).cancel()).toBe(true);
    await within(single.shutdown({ wait: true }), "shutdown after a cancel");
  });

  it("test_threads_terminate", async () => {
    const sem = deferred();
    const inFlight = new InFlight();
    const fs = range(3).map(() => executor.submit(() => inFlight.run(() => sem.promise)));
    await turns();
    expect(inFlight.current).toBe(3);
    sem.resolve();
    await within(executor.shutdown(), "shutdown");
    // Nothing is left running once shutdown() resolves.
    expect(inFlight.current).toBe(0);
    expect(fs.every((f) => f.done())).toBe(true);
  });

  it("test_context_manager_shutdown", async () => {
    let outer: ThreadPoolExecutor;
    const gate = deferred();
    let late: ReturnType<ThreadPoolExecutor["submit"]> | undefined;
    {
      await using e = new ThreadPoolExecutor({ maxWorkers: 5 });
      outer = e;
      expect(await e.map(Math.abs, range(-5, 5)).toArray()).toEqual([5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
      late = e.submit(async () => {
        await gate.promise;
        return "late";
      });
      setImmediate(() => gate.resolve());
    }
    // Leaving the block waited for the call still running.
    expect(late.done()).toBe(true);
    expect(await late.result()).toBe("late");
    expect(() => outer.submit(() => 1)).toThrow(SHUTDOWN_MESSAGE);
  });

  it("test_shutdown_no_wait", async () => {
    const single = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gates = range(10).map(() => deferred());
    const res = single.map(async (v: number) => {
      await gates[v + 5]!.promise;
      return Math.abs(v);
    }, range(-5, 5));
    await within(single.shutdown({ wait: false }), "shutdown({ wait: false })");
    // It resolved with every call still to do; the queued calls still run.
    for (const gate of gates) gate.resolve();
    expect(await within(res.toArray(), "results")).toEqual(range(-5, 5).map(Math.abs));
  });

  it("test_thread_names_assigned", async () => {
    const named = new ThreadPoolExecutor({ maxWorkers: 5, threadNamePrefix: "SpecialPool" });
    expect(named.threadNamePrefix).toBe("SpecialPool");
    await named.shutdown();
  });

  it("test_thread_names_default", async () => {
    const a = new ThreadPoolExecutor({ maxWorkers: 5 });
    const b = new ThreadPoolExecutor({ maxWorkers: 5 });
    // Reasonably sane and unique when no prefix is given.
    expect(a.threadNamePrefix).toMatch(/^ThreadPoolExecutor-\d+$/);
    expect(b.threadNamePrefix).toMatch(/^ThreadPoolExecutor-\d+$/);
    expect(a.threadNamePrefix).not.toBe(b.threadNamePrefix);
    await Promise.all([a.shutdown(), b.shutdown()]);
  });

  it("test_cancel_futures_wait_false", async () => {
    const pool = new ThreadPoolExecutor();
    let ran = false;
    const future = pool.submit(() => {
      ran = true;
    });
    await within(pool.shutdown({ wait: false, cancelFutures: true }), "shutdown");
    // Calls start on a later tick, so this one had not started and was dropped.
    expect(future.state).toBe("CANCELLED_AND_NOTIFIED");
    await turns();
    expect(ran).toBe(false);
  });
});

describe("ThreadPoolExecutor.shutdown (SPEC §2)", () => {
  it("makes submit, submitWith and map throw CPython's message", async () => {
    const executor = new ThreadPoolExecutor();
    await executor.shutdown();
    for (const attempt of [
      () => executor.submit(() => 1),
      () => executor.submitWith({}, () => 1),
      () => executor.map(String, [1, 2]),
    ]) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(Error);
      expect((caught as Error).constructor).toBe(Error);
      expect((caught as Error).message).toBe(SHUTDOWN_MESSAGE);
    }
  });

  it("with wait (the default) resolves only once every call has finished", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const gates = range(4).map(() => deferred());
    const fs = gates.map((gate) => executor.submit(() => gate.promise));
    let resolved = false;
    const shutdown = executor.shutdown().then(() => {
      resolved = true;
    });
    for (const gate of gates.slice(0, 3)) {
      gate.resolve();
      await turns();
      expect(resolved).toBe(false);
    }
    gates[3]!.resolve();
    await within(shutdown, "shutdown");
    expect(fs.every((f) => f.done() && !f.cancelled())).toBe(true);
  });

  it("with wait: false resolves at once and still runs the queued calls", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const started: number[] = [];
    const fs = range(3).map((i) => executor.submit(async () => {
      started.push(i);
      await gate.promise;
      return i;
    }));
    await within(executor.shutdown({ wait: false }), "shutdown({ wait: false })");
    expect(fs.some((f) => f.done())).toBe(false);
    gate.resolve();
    expect(await within(Promise.all(fs), "queued calls")).toEqual([0, 1, 2]);
    expect(started).toEqual([0, 1, 2]);
  });

  it("with cancelFutures leaves dropped futures CANCELLED_AND_NOTIFIED, so wait() does not hang", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const gate = deferred();
    const started: number[] = [];
    const fs = range(6).map((i) => executor.submit(async () => {
      started.push(i);
      await gate.promise;
    }));
    await turns();
    const shutdown = executor.shutdown({ cancelFutures: true });
    const dropped = fs.slice(2);
    for (const f of dropped) {
      expect(f.state).toBe("CANCELLED_AND_NOTIFIED");
      await expect(f.result()).rejects.toBeInstanceOf(CancelledError);
    }
    // wait() counts the dropped futures as done at once; only the running two are not.
    const early = await within(wait(fs, { timeout: 0 }), "wait(timeout=0)");
    expect(early.done).toEqual(new Set(dropped));
    expect(early.notDone).toEqual(new Set(fs.slice(0, 2)));
    gate.resolve();
    const all = await within(wait(fs), "wait()");
    expect(all.done.size).toBe(6);
    await within(shutdown, "shutdown");
    expect(started).toEqual([0, 1]);
  });

  it("can be called again, and [Symbol.asyncDispose]() shuts down waiting for calls", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = deferred<string>();
    const future = executor.submit(() => gate.promise);
    let disposed = false;
    const disposal = executor[Symbol.asyncDispose]().then(() => {
      disposed = true;
    });
    await turns();
    expect(disposed).toBe(false);
    expect(() => executor.submit(() => 1)).toThrow(SHUTDOWN_MESSAGE);
    gate.resolve("done");
    await within(disposal, "asyncDispose");
    expect(await future.result()).toBe("done");
    await within(executor.shutdown(), "a second shutdown");
    await within(executor.shutdown({ wait: false, cancelFutures: true }), "a third shutdown");
  });

  it("resolves on a pool broken by its initializer", async () => {
    const executor = new ThreadPoolExecutor({
      initializer: () => {
        throw new Error("no");
      },
    });
    const future = executor.submit(() => 1);
    await within(future.exception(), "the broken future");
    await within(executor.shutdown(), "shutdown of a broken pool");
  });
});
