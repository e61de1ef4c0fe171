/**
 * The event-loop ThreadPoolExecutor's own contract (SPEC §2, "The three
 * executors" and "Executor"), beyond what the CPython ports cover: at most
 * `maxWorkers` in flight, FIFO starts, sync and async functions, closures,
 * starts on a later tick, the initializer per slot, BrokenThreadPool,
 * AsyncLocalStorage, per-task AbortSignals and the starvation guard.
 *
 * Every wait is on a promise the test controls, bounded by `within`; nothing
 * asserts how long anything took.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import {
  BrokenThreadPool,
  CancelledError,
  ThreadPoolExecutor,
  wait,
  type Future,
} from "../src/api/futures.js";
import { deferred, InFlight, range, turns, within, type Deferred } from "./thread-pool.helpers.js";

const executors: ThreadPoolExecutor[] = [];

function pool(options: ConstructorParameters<typeof ThreadPoolExecutor>[0] = {}): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor(options);
  executors.push(executor);
  return executor;
}

afterEach(async () => {
  await within(Promise.all(executors.splice(0).map((e) => e.shutdown({ wait: true }))), "tearDown shutdown");
});

/** Settle a future and hand back what it rejected with (or a marker when it resolved). */
function failure(future: Future<unknown>): Promise<unknown> {
  return within(
    future.result().then(
      () => "resolved",
      (error: unknown) => error,
    ),
    "the future",
  );
}

describe("ThreadPoolExecutor: calls in flight", () => {
  for (const maxWorkers of [1, 3, 7]) {
    it(`keeps exactly maxWorkers=${maxWorkers} calls in flight while work is queued, never more`, async () => {
      const executor = pool({ maxWorkers });
      const inFlight = new InFlight();
      const total = 4 * maxWorkers;
      const gates = range(total).map(() => deferred());
      const fs = gates.map((gate) => executor.submit(() => inFlight.run(() => gate.promise)));
      await turns();
      expect(inFlight.current).toBe(maxWorkers);
      // Release out of order: each finish frees exactly one slot for the next call.
      const order = range(total).reverse();
      for (const i of order) {
        gates[i]!.resolve();
        await turns();
        expect(inFlight.current).toBe(Math.min(maxWorkers, total - inFlight.finished));
      }
      await within(Promise.all(fs), "all calls");
      expect(inFlight.max).toBe(maxWorkers);
      expect(inFlight.finished).toBe(total);
    });
  }

  it("queues a synchronous call behind asynchronous calls that hold every slot", async () => {
    const executor = pool({ maxWorkers: 2 });
    const gates = [deferred(), deferred()];
    const held = gates.map((gate) => executor.submit(() => gate.promise));
    let syncRan = false;
    const sync = executor.submit(() => {
      syncRan = true;
      return "sync";
    });
    await turns();
    expect(held.every((f) => f.running())).toBe(true);
    expect(syncRan).toBe(false);
    gates[1]!.resolve();
    expect(await within(sync, "the synchronous call")).toBe("sync");
    expect(held[0]!.running()).toBe(true);
    gates[0]!.resolve();
  });

  it("starts calls in FIFO order, whatever order they finish in", async () => {
    const executor = pool({ maxWorkers: 2 });
    const started: number[] = [];
    const gates = range(10).map(() => deferred());
    const fs = gates.map((gate, i) =>
      executor.submit(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await turns();
    // Always release the most recently started call first.
    while (started.length < 10 || fs.some((f) => !f.done())) {
      const running = started.filter((i) => !fs[i]!.done());
      gates[running[running.length - 1]!]!.resolve();
      await turns();
    }
    expect(started).toEqual(range(10));
  });
});

describe("ThreadPoolExecutor: what it runs", () => {
  it("runs synchronous and asynchronous functions, and thenables", async () => {
    const executor = pool();
    expect(await executor.submit((a: number, b: number) => a + b, 2, 3)).toBe(5);
    expect(await executor.submit(async (s: string) => s.toUpperCase(), "ok")).toBe("OK");
    const thenable = {
      then(resolve: (value: string) => void): void {
        resolve("then");
      },
    };
    expect(await executor.submit(() => thenable)).toBe("then");
    const syncError = new TypeError("sync");
    const asyncError = new RangeError("async");
    expect(await failure(executor.submit(() => {
      throw syncError;
    }))).toBe(syncError);
    expect(await failure(executor.submit(async () => {
      await turns(1);
      throw asyncError;
    }))).toBe(asyncError);
  });

  it("runs closures over the caller's live state (shared memory)", async () => {
    const executor = pool({ maxWorkers: 1 });
    let counter = 0;
    const shared = { items: [] as number[] };
    const fs = range(5).map((i) => executor.submit(() => {
      counter += i;
      shared.items.push(i);
      return counter;
    }));
    expect(await within(Promise.all(fs), "closures")).toEqual([0, 1, 3, 6, 10]);
    expect(counter).toBe(10);
    expect(shared.items).toEqual(range(5));
  });

  it("never starts a call inside submit: it starts on a later tick", async () => {
    const executor = pool();
    const log: string[] = [];
    const future = executor.submit(() => log.push("call"));
    log.push("after submit");
    expect(future.state).toBe("PENDING");
    expect(future.running()).toBe(false);
    await within(future, "the call");
    expect(log).toEqual(["after submit", "call"]);

    // Nor inside a submit made from a running call.
    // (Wrapped in an array: a returned Future is thenable and would be adopted.)
    const [inner] = await within(executor.submit(() => {
      const nested = executor.submit(() => log.push("inner"));
      log.push("after inner submit");
      return [nested];
    }), "outer call");
    await within(inner!, "inner call");
    expect(log.slice(2)).toEqual(["after inner submit", "inner"]);
  });
});

describe("ThreadPoolExecutor: initializer", () => {
  it("runs once per slot, with initargs, before that slot's first call", async () => {
    const initGate = deferred();
    const log: string[] = [];
    const executor = pool({
      maxWorkers: 3,
      initializer: async (tag: string, n: number) => {
        log.push(`init ${tag} ${n}`);
        await initGate.promise;
      },
      initargs: ["slot", 7],
    });
    const inFlight = new InFlight();
    const gates = range(6).map(() => deferred());
    const fs = gates.map((gate, i) => executor.submit(() => inFlight.run(async () => {
      log.push(`call ${i}`);
      await gate.promise;
    })));
    await turns();
    // Three slots initializing for six queued calls; no call starts before them.
    expect(log).toEqual(["init slot 7", "init slot 7", "init slot 7"]);
    expect(inFlight.started).toBe(0);
    initGate.resolve();
    await turns();
    expect(inFlight.current).toBe(3);
    for (const gate of gates) gate.resolve();
    await within(Promise.all(fs), "all calls");
    expect(log.filter((line) => line.startsWith("init"))).toHaveLength(3);
    expect(log.slice(3)).toEqual(range(6).map((i) => `call ${i}`));
  });

  it("breaks the pool with BrokenThreadPool when it fails: pending futures fail with it, carrying the cause", async () => {
    const initError = new Error("error in initializer");
    const executor = pool({
      maxWorkers: 2,
      initializer: () => {
        throw initError;
      },
    });
    const called: number[] = [];
    const fs = range(5).map((i) => executor.submit(() => called.push(i)));
    for (const f of fs) {
      const error = await failure(f);
      expect(error).toBeInstanceOf(BrokenThreadPool);
      expect((error as Error).name).toBe("BrokenThreadPool");
      expect((error as Error).cause).toBe(initError);
    }
    expect(called).toEqual([]);
    const { done, notDone } = await within(wait(fs), "wait() on a broken pool's futures");
    expect(done.size).toBe(5);
    expect(notDone.size).toBe(0);
    // Later submits throw it.
    expect(() => executor.submit(() => 1)).toThrow(BrokenThreadPool);
    expect(() => executor.submitWith({}, () => 1)).toThrow(BrokenThreadPool);
    expect(() => executor.map(String, [1])).toThrow(BrokenThreadPool);
    try {
      executor.submit(() => 1);
    } catch (error) {
      expect((error as Error).cause).toBe(initError);
    }
  });

  it("lets a call already running on a healthy slot finish when another slot's initializer fails", async () => {
    const secondInit = deferred();
    let inits = 0;
    const executor = pool({
      maxWorkers: 2,
      initializer: () => (++inits === 1 ? undefined : secondInit.promise),
    });
    const running = deferred<string>();
    const a = executor.submit(() => running.promise);
    const b = executor.submit(() => "b");
    const c = executor.submit(() => "c");
    await turns();
    expect(a.running()).toBe(true);
    const initError = new Error("second slot failed");
    secondInit.reject(initError);
    for (const f of [b, c]) {
      const error = await failure(f);
      expect(error).toBeInstanceOf(BrokenThreadPool);
      expect((error as Error).cause).toBe(initError);
    }
    running.resolve("a");
    expect(await within(a, "the running call")).toBe("a");
  });
});

describe("ThreadPoolExecutor: async context", () => {
  it("runs each call in its submitter's AsyncLocalStorage context", async () => {
    const als = new AsyncLocalStorage<{ id: number }>();
    const executor = pool({ maxWorkers: 1 });
    const gate = deferred();
    const read = async (): Promise<[number | undefined, number | undefined]> => {
      const before = als.getStore()?.id;
      await gate.promise;
      return [before, als.getStore()?.id];
    };
    // With one slot, the second call is started from the first one's completion:
    // it must still see its own submitter's store.
    const f1 = als.run({ id: 1 }, () => executor.submit(read));
    const f2 = als.run({ id: 2 }, () => executor.submit(read));
    const f3 = executor.submit(read);
    gate.resolve();
    expect(await within(Promise.all([f1, f2, f3]), "calls")).toEqual([[1, 1], [2, 2], [undefined, undefined]]);
  });
});

describe("ThreadPoolExecutor: submitWith({ signal })", () => {
  function blocked(executor: ThreadPoolExecutor): { gate: Deferred<void>; future: Future<void> } {
    const gate = deferred();
    return { gate, future: executor.submit(() => gate.promise) };
  }

  it("cancels a pending call: CANCELLED_AND_NOTIFIED, and the call never runs", async () => {
    const executor = pool({ maxWorkers: 1 });
    const blocker = blocked(executor);
    const controller = new AbortController();
    let ran = false;
    const future = executor.submitWith({ signal: controller.signal }, () => {
      ran = true;
    });
    await turns();
    controller.abort();
    expect(future.cancelled()).toBe(true);
    expect(future.state).toBe("CANCELLED_AND_NOTIFIED");
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
    blocker.gate.resolve();
    await within(executor.shutdown({ wait: true }), "shutdown");
    expect(ran).toBe(false);
  });

  it("fails a running call with signal.reason; the slot stays busy until the call returns", async () => {
    const executor = pool({ maxWorkers: 1 });
    const controller = new AbortController();
    const gate = deferred<string>();
    const running = executor.submitWith({ signal: controller.signal }, () => gate.promise);
    let nextStarted = false;
    const next = executor.submit(() => {
      nextStarted = true;
      return "next";
    });
    await turns();
    expect(running.running()).toBe(true);
    const reason = new Error("stop now");
    controller.abort(reason);
    expect(await failure(running)).toBe(reason);
    await turns();
    // maxWorkers=1: the aborted call still occupies its slot.
    expect(nextStarted).toBe(false);
    gate.resolve("late");
    expect(await within(next, "the next call")).toBe("next");
    // The late return does not overwrite the abort.
    expect(await failure(running)).toBe(reason);
  });

  it("cancels at once when the signal is already aborted", async () => {
    const executor = pool();
    let ran = false;
    const future = executor.submitWith({ signal: AbortSignal.abort() }, () => {
      ran = true;
    });
    expect(future.cancelled()).toBe(true);
    expect(future.state).toBe("CANCELLED_AND_NOTIFIED");
    await within(executor.shutdown({ wait: true }), "shutdown");
    expect(ran).toBe(false);
  });

  it("shares one abort listener among the calls of one signal, and aborts them all", async () => {
    const executor = pool({ maxWorkers: 2 });
    const controller = new AbortController();
    const gate = deferred();
    const started: number[] = [];
    const fs = range(50).map((i) => executor.submitWith({ signal: controller.signal }, async () => {
      started.push(i);
      await gate.promise;
    }));
    await turns();
    // A listener per call would trip Node's MaxListenersExceededWarning (10).
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    const reason = new Error("all of them");
    controller.abort(reason);
    expect(await failure(fs[0]!)).toBe(reason);
    expect(await failure(fs[1]!)).toBe(reason);
    expect(fs.slice(2).every((f) => f.state === "CANCELLED_AND_NOTIFIED")).toBe(true);
    gate.resolve();
    await within(executor.shutdown(), "shutdown");
    expect(started).toEqual([0, 1]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("removes its listener once the calls of a signal have finished", async () => {
    const executor = pool();
    const controller = new AbortController();
    const fs = range(20).map((i) => executor.submitWith({ signal: controller.signal }, (x: number) => x, i));
    expect(await within(Promise.all(fs), "calls")).toEqual(range(20));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("leaves a finished call alone when aborted afterwards", async () => {
    const executor = pool();
    const controller = new AbortController();
    const future = executor.submitWith({ signal: controller.signal }, (x: number) => x * 2, 21);
    expect(await within(future, "the call")).toBe(42);
    controller.abort();
    expect(future.state).toBe("FINISHED");
    expect(await future.result()).toBe(42);
  });
});

describe("ThreadPoolExecutor: starvation guard", () => {
  it("lets a timer scheduled before 20k synchronous submits fire before they all complete", async () => {
    const executor = pool({ maxWorkers: 4 });
    const total = 20_000;
    let completed = 0;
    const fired = deferred<number>();
    setTimeout(() => fired.resolve(completed), 0);
    const fs = range(total).map((i) => executor.submit(() => {
      // A little real work per call, so that the run is long enough to need a yield.
      let text = "";
      for (let k = 0; k < 20; k++) text += String.fromCharCode(97 + ((i + k) % 26));
      completed++;
      return text.length;
    }));
    const completedWhenTimerFired = await within(fired.promise, "the timer");
    await within(Promise.all(fs), "all calls", 20);
    expect(completed).toBe(total);
    expect(completedWhenTimerFired).toBeGreaterThan(0);
    expect(completedWhenTimerFired).toBeLessThan(total);
  });
});
