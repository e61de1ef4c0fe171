/**
 * Port of CPython's Lib/test/test_concurrent_futures/test_as_completed.py
 * (AsCompletedTests on ThreadPoolExecutor), plus the `asCompleted` behaviour
 * SPEC §2 adds.
 *
 * CPython's `time.sleep` tasks become async functions awaiting a deferred the
 * test controls, resolved in `finally` so the executor can shut down.
 *
 * Skipped CPython cases:
 * - the InterpreterPool and ProcessPool{Fork,Forkserver,Spawn} variants that
 *   create_executor_tests generates: `unirun/futures` does not export those
 *   executors here yet, and asCompleted is executor-independent.
 * - test_free_reference_yielded_future is ported without its weakref/gc
 *   assertions (that the generator drops yielded futures): JavaScript has no
 *   deterministic collection to observe; the iteration it drives is checked.
 * - test_zero_timeout (older CPython) is covered by test_future_times_out,
 *   which replaced it upstream and runs with timeout 0 and a short timeout.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Future, ThreadPoolExecutor, TimeoutError, asCompleted, type CompletedFuture } from "../src/api/futures.js";
import { kAddWaiter, kRemoveWaiter } from "../src/futures/future.js";
import { createFuture, deferred, mul, standardFutures, thrown, within } from "./helpers.js";

let executor: ThreadPoolExecutor;

beforeEach(() => {
  executor = new ThreadPoolExecutor({ maxWorkers: 5 }); // CPython's worker_count
});

afterEach(async () => {
  vi.restoreAllMocks();
  await within(executor.shutdown({ wait: true }), 5, "executor.shutdown()");
});

/** Iterate to the end or to the first error; never hangs past `seconds`. */
async function drain<F extends Future<any>>(
  iterable: AsyncIterable<CompletedFuture<F>>,
  onEach: (f: F) => void = () => {},
  seconds = 5,
): Promise<{ yielded: F[]; error: unknown }> {
  const yielded: F[] = [];
  const run = async (): Promise<unknown> => {
    try {
      // asCompleted types its items as CompletedFuture (no `then`), so the
      // loop variable stays a Future in TypeScript, as it is at run time.
      for await (const f of iterable) {
        yielded.push(f);
        onEach(f);
      }
      return undefined;
    } catch (error) {
      return error;
    }
  };
  const error = await within(run(), seconds, "asCompleted iteration");
  return { yielded, error };
}

describe("ThreadPoolAsCompletedTests", () => {
  it("test_no_timeout", async () => {
    const F = standardFutures();
    const future1 = executor.submit(mul, 2, 21);
    const future2 = executor.submit(mul, 7, 6);
    const all = [F.CANCELLED_AND_NOTIFIED_FUTURE, F.EXCEPTION_FUTURE, F.SUCCESSFUL_FUTURE, future1, future2];
    const { yielded, error } = await drain(asCompleted(all));
    expect(error).toBeUndefined();
    expect(new Set(yielded)).toEqual(new Set(all));
    expect(yielded).toHaveLength(all.length);
  });

  it("test_future_times_out", async () => {
    const F = standardFutures();
    const alreadyCompleted = new Set<Future<unknown>>([
      F.CANCELLED_AND_NOTIFIED_FUTURE,
      F.EXCEPTION_FUTURE,
      F.SUCCESSFUL_FUTURE,
    ]);
    for (const timeout of [0, 0.1]) {
      const event = deferred();
      const future = executor.submit(() => event.promise);
      try {
        const { yielded, error } = await drain(asCompleted([...alreadyCompleted, future], { timeout }));
        expect(error).toBeInstanceOf(TimeoutError);
        // `future` was not completed.
        expect(new Set(yielded)).toEqual(alreadyCompleted);
      } finally {
        event.resolve();
      }
      await within(future.result());
    }
  });

  it("test_duplicate_futures", async () => {
    // Issue 20367 (duplicates yield once) and #31641 (arbitrary iterables).
    const event = deferred();
    const future1 = executor.submit(() => event.promise);
    function* repeat<T>(value: T, times: number): Generator<T> {
      for (let i = 0; i < times; i++) yield value;
    }
    const iterator = asCompleted(repeat(future1, 3));
    event.resolve();
    const { yielded, error } = await drain(iterator);
    expect(error).toBeUndefined();
    expect(yielded).toEqual([future1]);
  });

  it("test_free_reference_yielded_future", async () => {
    const futuresList: Future<unknown>[] = Array.from({ length: 8 }, () => new Future<unknown>());
    const notified = createFuture("CANCELLED_AND_NOTIFIED");
    const finished = createFuture("FINISHED", { result: 42 });
    futuresList.push(notified, finished);
    const remove = (f: Future<unknown>): void => {
      futuresList.splice(futuresList.indexOf(f), 1);
    };

    const first = await drain(asCompleted(futuresList, { timeout: 0 }), remove);
    expect(first.error).toBeInstanceOf(TimeoutError);
    expect(first.yielded).toEqual([notified, finished]);

    const eight = [...futuresList];
    futuresList[0].setResult("test");
    const second = await drain(asCompleted([...futuresList]), (f) => {
      remove(f);
      if (futuresList.length > 0) futuresList[0].setResult("test");
    });
    expect(second.error).toBeUndefined();
    expect(second.yielded).toEqual(eight);
    expect(futuresList).toEqual([]);
  });

  it("test_correct_timeout_exception_msg", async () => {
    const F = standardFutures();
    const futuresList = [F.CANCELLED_AND_NOTIFIED_FUTURE, F.PENDING_FUTURE, F.RUNNING_FUTURE, F.SUCCESSFUL_FUTURE];
    const { error } = await drain(asCompleted(futuresList, { timeout: 0 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("2 (of 4) futures unfinished");
  });
});

describe("asCompleted: SPEC §2 additions", () => {
  it("yields the Future objects themselves, not their results", async () => {
    const a = createFuture("FINISHED", { result: "a" });
    const b = executor.submit(async () => "b");
    const it = asCompleted([a, b]);
    const first = await within(it.next());
    expect(first.done).toBe(false);
    expect(first.value).toBeInstanceOf(Future);
    expect(first.value).toBe(a);
    const { yielded } = await drain(it);
    expect(yielded).toHaveLength(1);
    expect(yielded[0]).toBeInstanceOf(Future);
    expect(yielded[0]).toBe(b);
    await expect(yielded[0].result()).resolves.toBe("b");
  });

  it("yields finished futures first, then the others in completion order", async () => {
    const p1 = new Future<number>();
    const p2 = new Future<number>();
    const p3 = new Future<number>();
    const f1 = createFuture<number>("FINISHED", { result: 1 });
    const f2 = createFuture<number>("FINISHED", { exception: new Error("f2") });
    const it = asCompleted([p1, f1, p2, f2, p3]);
    // Completes before iteration starts, yet after the call: comes after f1, f2.
    p3.setResult(3);
    const seen: Future<number>[] = [];
    const { yielded, error } = await drain(it, (f) => {
      seen.push(f);
      if (f === p3) p2.setResult(2);
      if (f === p2) p1.setException(new Error("p1"));
    });
    expect(error).toBeUndefined();
    expect(yielded).toEqual([f1, f2, p3, p2, p1]);
    expect(seen).toEqual(yielded);
  });

  it("yields a duplicated finished future once", async () => {
    const f = createFuture("FINISHED", { result: 1 });
    const g = new Future();
    const it = asCompleted([f, g, f, g, f]);
    g.setResult(2);
    const { yielded } = await drain(it);
    expect(yielded).toEqual([f, g]);
  });

  it("yields a cancelled future only once it is CANCELLED_AND_NOTIFIED", async () => {
    const f = createFuture("CANCELLED");
    const timedOut = await drain(asCompleted([f], { timeout: 0 }));
    expect((timedOut.error as Error).message).toBe("1 (of 1) futures unfinished");
    expect(timedOut.yielded).toEqual([]);

    const it = asCompleted([f]);
    const next = within(it.next());
    f.setRunningOrNotifyCancel();
    expect(await next).toEqual({ value: f, done: false });
    expect(await within(it.next())).toEqual({ value: undefined, done: true });
  });

  it("a timeout counts across the iteration and closes it with CPython's message", async () => {
    const finished = createFuture("FINISHED", { result: 1 });
    const never1 = new Future();
    const never2 = new Future();
    const it = asCompleted([never1, finished, never2, finished], { timeout: 0.05 });
    expect(await within(it.next())).toEqual({ value: finished, done: false });
    const error = await within(it.next()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("2 (of 3) futures unfinished");
    // After the error the iteration is over; a later completion is not yielded.
    never1.setResult(1);
    expect(await within(it.next())).toEqual({ value: undefined, done: true });
  });

  it("ends at once on empty input", async () => {
    const { yielded, error } = await drain(asCompleted([]));
    expect(yielded).toEqual([]);
    expect(error).toBeUndefined();
  });

  it("leaving the loop early removes its waiters and nothing hangs", async () => {
    const added = vi.spyOn(Future.prototype, kAddWaiter);
    const removed = vi.spyOn(Future.prototype, kRemoveWaiter);
    const finished = createFuture("FINISHED", { result: 1 });
    const pending = [new Future<number>(), new Future<number>(), new Future<number>()];
    const it = asCompleted([finished, ...pending], { timeout: 30 });
    expect(new Set(added.mock.contexts)).toEqual(new Set(pending));

    for await (const f of it) {
      expect(f).toBe(finished);
      break;
    }
    expect(new Set(removed.mock.contexts)).toEqual(new Set(pending));
    const waiter = added.mock.calls[0][0];
    for (const call of removed.mock.calls) expect(call[0]).toBe(waiter);

    // Settling the rest afterwards neither throws nor revives the iteration.
    for (const [i, f] of pending.entries()) f.setResult(i);
    expect(await within(it.next())).toEqual({ value: undefined, done: true });
  });

  it("return() while a next() is waiting ends that next() instead of leaving it hanging", async () => {
    for (const timeout of [undefined, 30]) {
      const f = new Future();
      const it = asCompleted([f], { timeout });
      const waiting = it.next();
      await new Promise((resolve) => setImmediate(resolve)); // let next() start waiting
      await within(it.return!());
      expect(await within(waiting, 5, "the pending next()")).toEqual({ value: undefined, done: true });
      f.setResult(1);
      expect(await within(it.next())).toEqual({ value: undefined, done: true });
    }
  });
});

describe("asCompleted: bad input", () => {
  function expectError(call: () => unknown, cls: new (...args: never[]) => Error, ...words: string[]): void {
    const error = thrown(call);
    expect(error).toBeInstanceOf(cls);
    for (const word of words) expect((error as Error).message).toContain(word);
  }

  it("rejects a non-iterable fs and a non-Future item with a TypeError naming fs", () => {
    for (const bad of [null, undefined, 42, {}, new Future()]) {
      expectError(() => asCompleted(bad as never), TypeError, "fs");
    }
    expectError(() => asCompleted([new Future(), "x"] as never), TypeError, "fs", "item 1", "not a Future");
  });

  it("rejects a negative or NaN timeout with a RangeError and a non-number with a TypeError", () => {
    const fs = [new Future()];
    expectError(() => asCompleted(fs, { timeout: -0.5 }), RangeError, "timeout");
    expectError(() => asCompleted(fs, { timeout: Number.NaN }), RangeError, "timeout");
    expectError(() => asCompleted(fs, { timeout: "5" as never }), TypeError, "timeout");
  });

  it("rejects an unknown option key with a TypeError naming it", () => {
    const fs = [new Future()];
    expectError(() => asCompleted(fs, { returnWhen: "FIRST_COMPLETED" } as never), TypeError, "returnWhen");
  });
});
