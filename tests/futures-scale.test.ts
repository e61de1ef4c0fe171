/**
 * The cost of the futures core, checked by structure rather than by the clock:
 * `wait` and `asCompleted` do O(1) work per completion (counted as reads of
 * `Future.state`), they finish on 200,000 and 400,000 futures (a quadratic version would
 * run for minutes and trip the bounded waits; no duration is asserted),
 * `await future` shares one promise per future, and `map` hands out settled
 * results without a `result()` call each. Alongside, the semantics these fast
 * paths must keep: no unhandled rejections, `map` ordering, failure at its
 * index, timeout from the call, early exit cancelling the rest.
 */
import { createHook } from "node:async_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ALL_COMPLETED,
  asCompleted,
  CancelledError,
  Executor,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  TimeoutError,
  wait,
  type ShutdownOptions,
  type SubmitOptions,
} from "../src/api/futures.js";
import { range, turns, within } from "./thread-pool.helpers.js";

const SCALE = 200_000;
// asCompleted's old quadratic queue took about 40 s for 200,000; at twice that
// it would take minutes and trip the 60 s bound, where the linear one takes
// about a second.
const AS_COMPLETED_SCALE = 400_000;
const SCALE_TIMEOUT_MS = 60_000;

/** A Future that counts how often `state` is read (what `wait` and `asCompleted` scan). */
class CountingFuture<T = unknown> extends Future<T> {
  static reads = 0;
  override get state() {
    CountingFuture.reads++;
    return super.state;
  }
}

function counting(n: number): CountingFuture<number>[] {
  const fs = range(n).map(() => new CountingFuture<number>());
  CountingFuture.reads = 0;
  return fs;
}

/** Settle in slices, letting timers run between them, so a slow version trips the bounded wait. */
async function settleInSlices(fs: Future<number>[], settle: (f: Future<number>, i: number) => void): Promise<void> {
  for (let i = 0; i < fs.length; i++) {
    settle(fs[i]!, i);
    if (i % 10_000 === 9_999) await turns(1);
  }
}

describe("wait() does O(1) work per completion", () => {
  it.each([ALL_COMPLETED, FIRST_EXCEPTION] as const)(
    "%s: each future's state is read a bounded number of times, not once per completion",
    async (returnWhen) => {
      const n = 2_000;
      const fs = counting(n);
      const waiting = wait(fs, { returnWhen });
      fs.forEach((f, i) => f.setResult(i)); // one by one; none raises
      const { done, notDone } = await within(waiting, "wait");
      expect(done.size).toBe(n);
      expect(notDone.size).toBe(0);
      // One scan at the call and one to partition the result; a scan per
      // completion would read n * (n + 1) / 2 = 2,001,000 times.
      expect(CountingFuture.reads).toBeLessThanOrEqual(2 * n);
    },
  );

  it("FIRST_EXCEPTION returns at the first raise with a bounded number of reads", async () => {
    const n = 2_000;
    const fs = counting(n);
    const waiting = wait(fs, { returnWhen: FIRST_EXCEPTION });
    for (let i = 0; i < n - 1; i++) fs[i]!.setResult(i);
    fs[n - 1]!.setException(new Error("last"));
    const { done, notDone } = await within(waiting, "wait");
    expect(done.size).toBe(n);
    expect(notDone.size).toBe(0);
    expect(CountingFuture.reads).toBeLessThanOrEqual(2 * n);
  });

  it("FIRST_COMPLETED still returns at the first completion", async () => {
    const fs = counting(1_000);
    const waiting = wait(fs, { returnWhen: FIRST_COMPLETED });
    fs[500]!.setResult(1);
    fs[501]!.setResult(2); // after the first notification: not waited for, but done by the time wait resolves
    const { done, notDone } = await within(waiting, "wait");
    expect(done.has(fs[500]!)).toBe(true);
    expect(done.size + notDone.size).toBe(1_000);
  });

  it(`finishes on ${SCALE.toLocaleString("en")} futures completing one by one`, async () => {
    const fs = range(SCALE).map(() => new Future<number>());
    const waiting = wait(fs);
    await settleInSlices(fs, (f, i) => (i % 7 === 0 ? f.setException(new Error(`e${i}`)) : f.setResult(i)));
    const { done, notDone } = await within(waiting, "wait over 200,000 futures", SCALE_TIMEOUT_MS / 1000);
    expect(done.size).toBe(SCALE);
    expect(notDone.size).toBe(0);
  }, SCALE_TIMEOUT_MS);
});

describe("asCompleted() does O(1) work per completion", () => {
  it("reads each future's state once, at the call", async () => {
    const n = 2_000;
    const fs = counting(n);
    const iterator = asCompleted(fs);
    const order: Future<number>[] = [];
    const consuming = (async () => {
      for await (const f of iterator) order.push(f);
    })();
    for (let i = n - 1; i >= 0; i--) fs[i]!.setResult(i);
    await within(consuming, "asCompleted");
    expect(order).toEqual([...fs].reverse());
    expect(CountingFuture.reads).toBeLessThanOrEqual(n);
  });

  const n = AS_COMPLETED_SCALE;
  it(`yields ${n.toLocaleString("en")} futures, completed before the first next(), in completion order`, async () => {
    const fs = range(n).map(() => new Future<number>());
    const iterator = asCompleted(fs);
    // All complete before the consumer starts, so the ready queue holds them all at once.
    await settleInSlices(fs, (_, i) => fs[n - 1 - i]!.setResult(i));
    const consuming = (async () => {
      let count = 0;
      let inOrder = true;
      for await (const f of iterator) {
        if (f !== fs[n - 1 - count]) inOrder = false;
        if (++count % 10_000 === 0) await turns(1); // lets the bounded wait fire if this is slow
      }
      return { count, inOrder };
    })();
    const { count, inOrder } = await within(consuming, "asCompleted over 400,000 futures", SCALE_TIMEOUT_MS / 1000);
    expect(count).toBe(n);
    expect(inOrder).toBe(true);
  }, SCALE_TIMEOUT_MS);
});

/** Count the promises created while `fn` runs synchronously. */
function promisesCreatedBy(fn: () => void): number {
  let created = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "PROMISE") created++;
    },
  }).enable();
  try {
    fn();
  } finally {
    hook.disable();
  }
  return created;
}

/** Unhandled rejections reported while `fn` runs and for a few turns after. */
async function unhandledDuring(fn: () => Promise<void> | void): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void seen.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    await fn();
    await turns(3);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return seen;
}

const noop = (): void => {};

describe("await future", () => {
  it("shares one promise per pending future: each then() adds only its own", () => {
    const f = new Future<number>();
    const created = promisesCreatedBy(() => {
      for (let i = 0; i < 10; i++) void f.then(noop);
      f.setResult(1);
    });
    // 1 shared outcome promise + 10 promises returned by then().
    expect(created).toBeLessThanOrEqual(11);
  });

  it("resolves and rejects as result() does, pending or settled", async () => {
    const ok = new Future<number>();
    const failed = new Future<number>();
    const cancelled = new Future<number>();
    const pending = [ok.then((v) => v), failed.then(noop, (e) => e), cancelled.then(noop, (e) => e)];
    ok.setResult(7);
    const boom = new Error("boom");
    failed.setException(boom);
    cancelled.cancel();
    const [value, error, cancelError] = await within(Promise.all(pending), "awaits");
    expect(value).toBe(7);
    expect(error).toBe(boom);
    expect(cancelError).toBeInstanceOf(CancelledError);
    expect(await ok).toBe(7);
    await expect(failed.result()).rejects.toBe(boom);
    await expect(cancelled.result()).rejects.toBeInstanceOf(CancelledError);
  });

  it("adopts a thenable result, as result() always has", async () => {
    const f = new Future<unknown>();
    const awaited = within(Promise.resolve(f), "await");
    f.setResult(Promise.resolve(42));
    expect(await awaited).toBe(42);
  });

  it("never reports a failed future nobody reads as an unhandled rejection", async () => {
    const seen = await unhandledDuring(() => {
      new Future().setException(new Error("unread, settled"));
      const cancelled = new Future();
      cancelled.cancel();
      cancelled.setRunningOrNotifyCancel();
    });
    expect(seen).toEqual([]);
  });

  it("never reports an awaited, timed-out or exception()-read failure as unhandled", async () => {
    const seen = await unhandledDuring(async () => {
      const awaited = new Future();
      const caught = (async () => {
        try {
          await awaited;
        } catch {
          /* handled */
        }
      })();
      const timedOut = new Future();
      await expect(timedOut.result(0.001)).rejects.toBeInstanceOf(TimeoutError);
      const read = new Future();
      const exception = read.exception();
      const cancelled = new Future();
      const onCancel = cancelled.then(noop, noop);
      awaited.setException(new Error("awaited"));
      timedOut.setException(new Error("after the timeout"));
      read.setException(new Error("read by exception()"));
      cancelled.cancel();
      await within(Promise.all([caught, exception, onCancel]), "readers");
      expect(((await exception) as Error).message).toBe("read by exception()");
    });
    expect(seen).toEqual([]);
  });
});

/**
 * A test double whose futures are settled inside submit (real executors start
 * later), so `map` meets already-settled results; calls listed in `hold` stay
 * pending until the test settles them.
 */
class SettledExecutor extends Executor {
  readonly held = new Map<unknown, Future<any>>();
  constructor(private readonly hold: ReadonlySet<unknown> = new Set()) {
    super();
  }

  submitWith<A extends unknown[], R>(_options: SubmitOptions, fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    const future = new Future<Awaited<R>>();
    if (this.hold.has(args[0])) {
      this.held.set(args[0], future);
      return future;
    }
    try {
      future.setResult(fn(...args) as Awaited<R>);
    } catch (error) {
      future.setException(error);
    }
    return future;
  }

  async shutdown(_options?: ShutdownOptions): Promise<void> {}
}

describe("map over settled results", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("hands out settled results without a result() call each, in input order", async () => {
    const result = vi.spyOn(Future.prototype, "result");
    const ex = new SettledExecutor();
    const values = await within(ex.map((x: number) => x * 2, range(1_000)).toArray(), "toArray");
    const iterated: number[] = [];
    for await (const v of ex.map((x: number) => x + 1, range(1_000))) iterated.push(v);
    expect(values).toEqual(range(1_000).map((x) => x * 2));
    expect(iterated).toEqual(range(1_000).map((x) => x + 1));
    expect(result).not.toHaveBeenCalled();
  });

  it("mixes settled and pending results in input order", async () => {
    const ex = new SettledExecutor(new Set([2, 5]));
    const collecting = ex.map((x: number) => x * 10, range(8)).toArray();
    await turns(2);
    ex.held.get(5)!.setResult(50);
    await turns(2);
    ex.held.get(2)!.setResult(20);
    expect(await within(collecting, "toArray")).toEqual(range(8).map((x) => x * 10));
  });

  it("raises the first failure at its index and cancels what is still pending", async () => {
    const ex = new SettledExecutor(new Set([6, 7]));
    const boom = new Error("boom at 3");
    const seen: number[] = [];
    const results = ex.map((x: number) => {
      if (x === 3) throw boom;
      return x;
    }, range(8));
    await expect(
      within(
        (async () => {
          for await (const v of results) seen.push(v);
        })(),
        "iteration",
      ),
    ).rejects.toBe(boom);
    expect(seen).toEqual([0, 1, 2]);
    expect(ex.held.get(6)!.cancelled()).toBe(true);
    expect(ex.held.get(7)!.cancelled()).toBe(true);
    expect(await results.next()).toEqual({ value: undefined, done: true });
  });

  it("early exit cancels the rest", async () => {
    const ex = new SettledExecutor(new Set([4, 5]));
    const seen: number[] = [];
    for await (const v of ex.map((x: number) => x, range(6))) {
      seen.push(v);
      if (v === 1) break;
    }
    expect(seen).toEqual([0, 1]);
    expect(ex.held.get(4)!.cancelled()).toBe(true);
    expect(ex.held.get(5)!.cancelled()).toBe(true);
  });

  it("counts the timeout from the call: settled results come after it, a pending one times out at its index", async () => {
    const ex = new SettledExecutor(new Set([2]));
    const results = ex.map((x: number) => x, range(4), { timeout: 0.01 });
    await new Promise((resolve) => setTimeout(resolve, 30)); // past the deadline
    expect(await results.next()).toEqual({ value: 0, done: false });
    expect(await results.next()).toEqual({ value: 1, done: false });
    await expect(within(results.next(), "next")).rejects.toThrow(
      new TimeoutError("map() timed out after 0.01 seconds: result 2 is not done"),
    );
    expect(ex.held.get(2)!.cancelled()).toBe(true);
  });

  it("keeps buffersize: one more submitted per result taken", async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const ex = new SettledExecutor();
    const results = ex.map((x: number) => x, source(), { buffersize: 2 });
    expect(pulled).toBe(2);
    expect(await results.next()).toEqual({ value: 0, done: false });
    expect(pulled).toBe(3);
    expect(await results.next()).toEqual({ value: 1, done: false });
    expect(pulled).toBe(4);
    await results.return();
  });

  it("serialises concurrent next() calls", async () => {
    const ex = new SettledExecutor(new Set([1]));
    const results = ex.map((x: number) => x, range(4));
    const steps = [results.next(), results.next(), results.next(), results.next(), results.next()];
    await turns(2);
    ex.held.get(1)!.setResult(1);
    expect(await within(Promise.all(steps), "steps")).toEqual([
      { value: 0, done: false },
      { value: 1, done: false },
      { value: 2, done: false },
      { value: 3, done: false },
      { value: undefined, done: true },
    ]);
  });
});
