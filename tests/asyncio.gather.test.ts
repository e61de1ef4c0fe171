// unirun/asyncio: gather and asCompleted over promises, Futures and thenables.
import { describe, expect, it } from "vitest";
import { CancelledError, ThreadPoolExecutor, TimeoutError } from "../src/api/futures.js";
import { asCompleted, gather } from "../src/asyncio/index.js";
import { settled, turns } from "./fixtures/asyncio-helpers.js";
import { createFuture, deferred, thrown, within } from "./helpers.js";

describe("gather", () => {
  it("resolves with the results in argument order, whatever order they settle in", async () => {
    const [a, b, c] = [deferred<number>(), deferred<string>(), deferred<boolean>()];
    const all = gather(a.promise, b.promise, c.promise);
    c.resolve(true);
    b.resolve("b");
    expect(await settled(all)).toBe("pending");
    a.resolve(1);
    expect(await within(all)).toEqual([1, "b", true]);
  });

  it("accepts unirun Futures and other thenables beside promises; gather() is []", async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const future = ex.submit(async (x: number) => x * 2, 21);
      const thenable = { then: (resolve: (v: string) => void) => resolve("thenable") } as PromiseLike<string>;
      expect(await within(gather(future, thenable, Promise.resolve(null)))).toEqual([42, "thenable", null]);
      expect(await within(gather())).toEqual([]);
      expect(await within(gather({ returnExceptions: true }))).toEqual([]);
    } finally {
      await ex.shutdown();
    }
  });

  it("rejects with the first error and, as asyncio, cancels nothing; later rejections stay handled", async () => {
    const first = new Error("first");
    const later = deferred<number>();
    const pendingFuture = createFuture<number>("PENDING");
    const all = gather(later.promise, Promise.reject(first), pendingFuture);
    await expect(within(all)).rejects.toBe(first);
    expect(pendingFuture.cancelled()).toBe(false);
    pendingFuture.setResult(3); // still usable: it was not cancelled
    expect(await pendingFuture.result()).toBe(3);
    later.reject(new Error("second")); // must not surface as an unhandled rejection
    await turns();
  });

  it("with returnExceptions, places each error at its position", async () => {
    const error = new RangeError("no");
    const cancelled = createFuture("CANCELLED_AND_NOTIFIED");
    const out = await within(gather(Promise.resolve(1), Promise.reject(error), cancelled, { returnExceptions: true }));
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(error);
    expect(out[2]).toBeInstanceOf(CancelledError);
    const noOptions = await within(gather(Promise.resolve(1), { returnExceptions: false }));
    expect(noOptions).toEqual([1]);
  });

  it("a cancelled Future rejects the gather with CancelledError", async () => {
    await expect(within(gather(Promise.resolve(1), createFuture("CANCELLED")))).rejects.toBeInstanceOf(CancelledError);
  });

  it("takes the last argument as options only when it is a plain object that is not thenable", async () => {
    const nullProto = Object.assign(Object.create(null), { returnExceptions: true });
    const out = await within(gather(Promise.reject(new Error("x")), nullProto));
    expect(out[0]).toBeInstanceOf(Error);
    const thenableObject = { then: (resolve: (v: string) => void) => resolve("awaited"), returnExceptions: true };
    expect(await within(gather(thenableObject as unknown as PromiseLike<string>))).toEqual(["awaited"]);
  });

  it("rejects arguments that are not awaitable synchronously, saying what to do", () => {
    const p = Promise.resolve(1);
    const array = thrown(() => gather([p, p] as never)) as TypeError;
    expect(array).toBeInstanceOf(TypeError);
    expect(array.message).toBe(
      "gather(...awaitables): argument 1 is not awaitable (a Promise, a Future or another thenable); got an array of 2; "
        + "spread an array of promises: gather(...promises)",
    );
    const fn = thrown(() => gather(p, (async () => 1) as never)) as TypeError;
    expect(fn.message).toMatch(/^gather\(\.\.\.awaitables\): argument 2 is not awaitable .*call it and pass the promise it returns: gather\(fn\(\)\)$/);
    expect(thrown(() => gather(1 as never))).toBeInstanceOf(TypeError);
    const option = thrown(() => gather(p, { returnException: true } as never)) as TypeError;
    expect(option.message).toBe(
      'gather(...awaitables, options): unknown option "returnException"; accepted options are returnExceptions',
    );
    expect((thrown(() => gather(p, { returnExceptions: "yes" } as never)) as Error).message)
      .toBe('gather(...awaitables, options): returnExceptions must be true or false; got "yes"');
  });
});

describe("asCompleted over awaitables", () => {
  it("for ... of: each item is a promise of the next result to complete", async () => {
    const [a, b, c] = [deferred<string>(), deferred<string>(), deferred<string>()];
    const order: string[] = [];
    const done = (async () => {
      for (const next of asCompleted([a.promise, b.promise, c.promise])) order.push(await next);
    })();
    b.resolve("b");
    await turns(1);
    c.resolve("c");
    await turns(1);
    a.resolve("a");
    await within(done);
    expect(order).toEqual(["b", "c", "a"]);
  });

  it("for ... of: a rejection is thrown by its await, and the loop can go on", async () => {
    const error = new Error("bad");
    const out: unknown[] = [];
    for (const next of asCompleted([Promise.reject(error), Promise.resolve(2)])) {
      try {
        out.push(await next);
      } catch (e) {
        out.push(e);
      }
    }
    expect(out).toEqual([error, 2]);
  });

  it("for await: yields the results in completion order; the first rejection ends the loop", async () => {
    const [a, b] = [deferred<number>(), deferred<number>()];
    const seen: number[] = [];
    const run = (async () => {
      for await (const value of asCompleted([a.promise, b.promise])) seen.push(value);
    })();
    b.resolve(2);
    await turns(1);
    a.resolve(1);
    await within(run);
    expect(seen).toEqual([2, 1]);

    const error = new Error("fail");
    const never = deferred<number>();
    const values: number[] = [];
    const failing = (async () => {
      for await (const value of asCompleted([Promise.resolve(1), never.promise, Promise.reject(error)])) values.push(value);
    })();
    await expect(within(failing)).rejects.toBe(error);
    expect(values).toEqual([1]);
  });

  it("counts an awaitable passed twice once, and accepts Futures and thenables", async () => {
    const p = Promise.resolve("same");
    expect([...asCompleted([p, p])]).toHaveLength(1);
    const out: unknown[] = [];
    const thenable = { then: (resolve: (v: string) => void) => resolve("thenable") } as PromiseLike<string>;
    for await (const value of asCompleted<unknown>([createFuture("FINISHED", { result: "future" }), thenable])) out.push(value);
    expect(out.sort()).toEqual(["future", "thenable"]);
    expect([...asCompleted([])]).toEqual([]);
  });

  it("timeout: results in time are still handed out, then each remaining one is a TimeoutError", async () => {
    const never = deferred<number>();
    const out: unknown[] = [];
    for (const next of asCompleted([Promise.resolve(1), never.promise, deferred<number>().promise], { timeout: 0.01 })) {
      try {
        out.push(await within(next));
      } catch (e) {
        out.push(e);
      }
    }
    expect(out[0]).toBe(1);
    expect(out[1]).toBeInstanceOf(TimeoutError);
    expect((out[1] as Error).message).toBe("2 (of 3) awaitables unfinished");
    expect(out[2]).toBe(out[1]);
    never.reject(new Error("late")); // handled, never unhandled
    await turns();
  });

  it("timeout with for await: throws TimeoutError from the loop", async () => {
    const values: number[] = [];
    const run = (async () => {
      for await (const v of asCompleted([Promise.resolve(7), deferred<number>().promise], { timeout: 0.01 })) values.push(v);
    })();
    await expect(within(run)).rejects.toBeInstanceOf(TimeoutError);
    expect(values).toEqual([7]);
  });

  it("leaving a for await loop early ends the iteration", async () => {
    const iterator = asCompleted([Promise.resolve(1), deferred<number>().promise], { timeout: 60 });
    for await (const value of iterator) {
      expect(value).toBe(1);
      break;
    }
    const again = iterator[Symbol.asyncIterator]();
    expect(await within(again.next())).toEqual({ value: undefined, done: true });
  });

  it("rejects bad arguments synchronously, naming them", () => {
    const p = Promise.resolve(1);
    expect((thrown(() => asCompleted(p as never)) as Error).message)
      .toBe("asCompleted(aws): aws must be an iterable (an array, a Set, ...) of awaitables; got a Promise");
    expect((thrown(() => asCompleted([p, 5] as never)) as Error).message)
      .toBe("asCompleted(aws): item 1 is not awaitable (a Promise, a Future or another thenable); got number 5");
    expect(thrown(() => asCompleted([p], { timeout: -1 }))).toBeInstanceOf(RangeError);
    expect(thrown(() => asCompleted([p], { timout: 1 } as never))).toBeInstanceOf(TypeError);
  });
});
