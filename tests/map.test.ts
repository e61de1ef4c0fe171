/**
 * `Executor.map` on the event-loop ThreadPoolExecutor (SPEC §2): input order,
 * zipping, async iterables, the first failure at its index, early exit
 * cancelling what has not started, `buffersize` bounding run-ahead (Python
 * 3.14), `timeout` counted from the call, `chunksize` validation, `signal` and
 * `toArray()`. The CPython ExecutorTest map cases themselves live in
 * thread-pool.test.ts; this file covers the contract beyond them.
 *
 * Skipped: nothing from CPython here (see thread-pool.test.ts for its list).
 */
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { ThreadPoolExecutor, TimeoutError } from "../src/api/futures.js";
import { counter, deferred, range, turns, within, type Deferred } from "./thread-pool.helpers.js";

const executors: ThreadPoolExecutor[] = [];

function pool(maxWorkers = 5): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor({ maxWorkers });
  executors.push(executor);
  return executor;
}

afterEach(async () => {
  await within(Promise.all(executors.splice(0).map((e) => e.shutdown({ wait: true }))), "tearDown shutdown");
});

/** A call per item that waits for its own gate, recording which items started. */
function gated(n: number): { gates: Deferred<void>[]; started: number[]; fn: (i: number) => Promise<number> } {
  const gates = range(n).map(() => deferred());
  const started: number[] = [];
  const fn = async (i: number): Promise<number> => {
    started.push(i);
    await gates[i]!.promise;
    return i * 10;
  };
  return { gates, started, fn };
}

async function* asyncFrom<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) {
    await turns(1);
    yield item;
  }
}

describe("Executor.map: results", () => {
  it("delivers results in input order, whatever order the calls finish in", async () => {
    const executor = pool(4);
    const { gates, fn } = gated(4);
    const results = executor.map(fn, range(4)).toArray();
    for (const gate of [...gates].reverse()) {
      gate.resolve();
      await turns(1);
    }
    expect(await within(results, "results")).toEqual([0, 10, 20, 30]);
  });

  it("zips several iterables, stopping at the shortest", async () => {
    const executor = pool();
    const triple = (a: number, b: string, c: boolean): string => `${a}${b}${c ? "!" : "."}`;
    const results = executor.map(triple, range(10), ["a", "b", "c"], [true, false, true, false]);
    expect(await within(results.toArray(), "results")).toEqual(["0a!", "1b.", "2c!"]);
    const four = executor.map(
      (a: number, b: number, c: number, d: number) => a + b + c + d,
      [1, 2],
      [10, 20],
      [100, 200],
      [1000, 2000, 3000],
    );
    expect(await within(four.toArray(), "results")).toEqual([1111, 2222]);
  });

  it("accepts async iterables (async generators), alone or zipped with sync ones", async () => {
    const executor = pool();
    expect(await within(executor.map((x: number) => x * 2, asyncFrom([1, 2, 3])).toArray(), "async source"))
      .toEqual([2, 4, 6]);
    const zipped = executor.map((x: number, s: string) => s.repeat(x), asyncFrom([1, 2, 3]), ["a", "b"]);
    expect(await within(zipped.toArray(), "zipped sources")).toEqual(["a", "bb"]);
  });

  it("toArray() collects every result; an empty input gives []", async () => {
    const executor = pool();
    expect(await within(executor.map(String, new Set([3, 1, 2])).toArray(), "set")).toEqual(["3", "1", "2"]);
    expect(await within(executor.map(String, []).toArray(), "empty")).toEqual([]);
    expect(await within(executor.map(String, asyncFrom([])).toArray(), "empty async")).toEqual([]);
  });

  it("raises the first failure at its index, after the earlier results", async () => {
    const executor = pool();
    const boom = new Error("item 2");
    const later = new Error("item 4");
    const fn = async (i: number): Promise<number> => {
      await turns(1);
      if (i === 2) throw boom;
      if (i === 4) throw later;
      return i;
    };
    for (const source of [range(6), asyncFrom(range(6))]) {
      const seen: number[] = [];
      let caught: unknown;
      try {
        for await (const value of executor.map(fn, source)) seen.push(value);
      } catch (error) {
        caught = error;
      }
      expect(seen).toEqual([0, 1]);
      expect(caught).toBe(boom);
    }
  });

  it("raises a failure of the source itself at its index", async () => {
    const executor = pool();
    const broken = new Error("source broke");
    async function* source(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      throw broken;
    }
    const seen: number[] = [];
    await expect((async () => {
      for await (const value of executor.map((x: number) => x, source())) seen.push(value);
    })()).rejects.toBe(broken);
    expect(seen).toEqual([1, 2]);

    // A synchronous source that throws while map() submits eagerly throws from map() itself.
    function* syncSource(): Generator<number> {
      yield 1;
      throw broken;
    }
    expect(() => executor.map((x: number) => x, syncSource())).toThrow(broken);
    // With buffersize it is pulled lazily, so the failure comes at its index.
    const lazy = executor.map((x: number) => x, syncSource(), { buffersize: 1 });
    expect(await lazy.next()).toEqual({ value: 1, done: false });
    await expect(lazy.next()).rejects.toBe(broken);
  });
});

describe("Executor.map: leaving early cancels what has not started", () => {
  async function consumeOne(how: "break" | "return" | "throw"): Promise<{ started: number[]; calls: ReturnType<typeof gated> }> {
    const executor = pool(1);
    const calls = gated(5);
    calls.gates[0]!.resolve();
    const stop = new Error("consumer stopped");
    const consume = async (): Promise<number | undefined> => {
      for await (const value of executor.map(calls.fn, range(5))) {
        if (how === "break") break;
        if (how === "return") return value;
        throw stop;
      }
      return undefined;
    };
    if (how === "throw") await expect(consume()).rejects.toBe(stop);
    else await consume();
    // Release everything: only what had started may run.
    for (const gate of calls.gates) gate.resolve();
    await within(executors[executors.length - 1]!.shutdown({ wait: true }), "shutdown");
    return { started: calls.started, calls };
  }

  for (const how of ["break", "return", "throw"] as const) {
    it(`${how} from a for-await loop cancels the pending calls`, async () => {
      const { started } = await consumeOne(how);
      // Item 0 was consumed and item 1 had started when the loop left; 2..4 never ran.
      expect(started).toEqual([0, 1]);
    });
  }

  it("return() on the iterator cancels the pending futures and closes the source", async () => {
    const executor = pool(1);
    const calls = gated(100);
    const source = counter();
    const it = executor.map(calls.fn, source.iterable, { buffersize: 3 });
    calls.gates[0]!.resolve();
    expect(await within(it.next(), "first result")).toEqual({ value: 0, done: false });
    await it.return!();
    expect(source.closed()).toBe(true);
    for (const gate of calls.gates) gate.resolve();
    await within(executor.shutdown(), "shutdown");
    expect(calls.started).toEqual([0, 1]);
  });
});

describe("Executor.map: buffersize", () => {
  it("bounds how far submission runs ahead of consumption (sync and async sources)", async () => {
    const executor = pool(8);
    for (const buffersize of [1, 2, 5]) {
      for (const kind of ["sync", "async"] as const) {
        const source = counter();
        let calls = 0;
        const iterable = kind === "sync" ? source.iterable : asyncFrom(source.iterable);
        const it = executor.map((n: number) => {
          calls++;
          return n;
        }, iterable, { buffersize });
        let consumed = 0;
        for await (const value of it) {
          expect(value).toBe(consumed);
          consumed++;
          await turns(); // give submission every chance to run ahead
          expect(source.pulled()).toBeLessThanOrEqual(consumed + buffersize);
          expect(calls).toBeLessThanOrEqual(consumed + buffersize);
          if (consumed === 50) break;
        }
        expect(source.closed()).toBe(true);
        if (kind === "sync") expect(source.pulled()).toBe(consumed + buffersize);
      }
    }
  });

  it("lets an endless generator feed map() in bounded memory", async () => {
    const executor = pool();
    const source = counter();
    const squares: number[] = [];
    for await (const sq of executor.map((n: number) => n * n, source.iterable, { buffersize: 4 })) {
      squares.push(sq);
      if (squares.length === 1000) break;
    }
    expect(squares[999]).toBe(999 * 999);
    expect(source.pulled()).toBe(1004);
    expect(source.closed()).toBe(true);
  });

  it("submits everything at once for a sync source without buffersize (as Python does)", async () => {
    const executor = pool();
    const source = counter();
    const finite = (function* () {
      for (const n of source.iterable) {
        if (n === 20) return;
        yield n;
      }
    })();
    const it = executor.map((n: number) => n, finite);
    expect(source.pulled()).toBe(21);
    expect(await it.toArray()).toEqual(range(20));
  });
});

describe("Executor.map: timeout", () => {
  it("raises TimeoutError when a result is not ready in time, and cancels the rest", async () => {
    const executor = pool(1);
    const calls = gated(3);
    calls.gates[0]!.resolve();
    const it = executor.map(calls.fn, range(3), { timeout: 0.05 });
    expect(await within(it.next(), "first result")).toEqual({ value: 0, done: false });
    const error = await within(it.next().then(() => null, (e: unknown) => e), "the timeout");
    expect(error).toBeInstanceOf(TimeoutError);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    for (const gate of calls.gates) gate.resolve();
    await within(executor.shutdown(), "shutdown");
    expect(calls.started).toEqual([0, 1]); // item 2 was cancelled before it started
  });

  it("counts from the map() call, not from the first next()", async () => {
    const executor = pool();
    const never = deferred<number>();
    const it = executor.map((i: number) => (i === 0 ? 0 : never.promise), [0, 1], { timeout: 0.02 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the deadline pass before reading
    // A result already done is still delivered...
    expect(await it.next()).toEqual({ value: 0, done: false });
    // ...and the unfinished one fails before any timer could run: the deadline had already passed.
    const nextTurn = new Promise((resolve) => setImmediate(() => resolve("a later turn")));
    const outcome = await Promise.race([it.next().then(() => "resolved", (e: unknown) => e), nextTurn]);
    expect(outcome).toBeInstanceOf(TimeoutError);
    never.resolve(1);
  });

  it("applies to an async source that stalls", async () => {
    const executor = pool();
    const stall = deferred<void>();
    async function* source(): AsyncGenerator<number> {
      yield 1;
      await stall.promise;
      yield 2;
    }
    const it = executor.map((x: number) => x, source(), { timeout: 0.05 });
    expect(await within(it.next(), "first result")).toEqual({ value: 1, done: false });
    await expect(within(it.next(), "the timeout")).rejects.toBeInstanceOf(TimeoutError);
    stall.resolve();
  });
});

describe("Executor.map: chunksize and signal", () => {
  it("validates chunksize as a positive integer and otherwise ignores it", async () => {
    const executor = pool();
    for (const bad of [0, -1]) expect(() => executor.map(String, [1], { chunksize: bad })).toThrow(RangeError);
    for (const bad of [1.5, "3", NaN]) {
      expect(() => executor.map(String, [1], { chunksize: bad as number })).toThrow(TypeError);
    }
    expect(await executor.map(String, range(7), { chunksize: 3 }).toArray()).toEqual(range(7).map(String));
  });

  it("stops the iteration with signal.reason when aborted, cancelling what has not started", async () => {
    const executor = pool(1);
    const calls = gated(4);
    const controller = new AbortController();
    calls.gates[0]!.resolve();
    const it = executor.map(calls.fn, range(4), { signal: controller.signal });
    expect(await within(it.next(), "first result")).toEqual({ value: 0, done: false });
    const pending = it.next();
    const reason = new Error("user gave up");
    controller.abort(reason);
    await expect(within(pending, "aborted next")).rejects.toBe(reason);
    await expect(it.next()).rejects.toBe(reason);
    for (const gate of calls.gates) gate.resolve();
    await within(executor.shutdown(), "shutdown");
    expect(calls.started).toEqual([0, 1]);
  });

  it("stays finished when its signal aborts after the iteration ended", async () => {
    const executor = pool();
    const controller = new AbortController();
    const it = executor.map((x: number) => x, [1, 2], { signal: controller.signal });
    expect(await it.toArray()).toEqual([1, 2]);
    controller.abort(new Error("after the fact"));
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it("adds a bounded number of abort listeners to the signal, however long the input", async () => {
    const executor = pool(2);
    const controller = new AbortController();
    const gate = deferred();
    const results = executor.map(async (i: number) => (await gate.promise, i), range(100), { signal: controller.signal });
    await turns();
    // One for the iteration, one shared by its calls (Node warns past 10).
    expect(getEventListeners(controller.signal, "abort").length).toBeLessThanOrEqual(2);
    gate.resolve();
    expect(await within(results.toArray(), "results")).toEqual(range(100));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("with an already aborted signal, runs nothing and rejects with its reason", async () => {
    const executor = pool();
    let calls = 0;
    const reason = new Error("too late");
    const it = executor.map(() => calls++, range(3), { signal: AbortSignal.abort(reason) });
    await expect(it.next()).rejects.toBe(reason);
    await within(executor.shutdown(), "shutdown");
    expect(calls).toBe(0);
  });
});
