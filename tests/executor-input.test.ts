/**
 * Bad input to the event-loop ThreadPoolExecutor and the Executor base: every
 * mistake is reported synchronously, with a typed error whose message names
 * what was wrong, before anything is submitted; the executor stays usable.
 *
 * CPython counterparts: test_max_workers_negative, test_submit_keyword's
 * TypeErrors and test_map_buffersize_*_validation are ported by name in
 * thread-pool.test.ts; nothing is skipped here.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ThreadPoolExecutor } from "../src/api/futures.js";
import { within } from "./thread-pool.helpers.js";

const executors: ThreadPoolExecutor[] = [];

function pool(): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  executors.push(executor);
  return executor;
}

afterEach(async () => {
  await within(Promise.all(executors.splice(0).map((e) => e.shutdown({ wait: true }))), "tearDown shutdown");
});

/** What `fn()` throws synchronously (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a synchronous throw");
}

const NOT_FUNCTIONS: unknown[] = [undefined, null, 42, "print", {}, [], Symbol("fn")];

describe("ThreadPoolExecutor constructor", () => {
  it("throws a RangeError naming the value for maxWorkers <= 0 or NaN", () => {
    for (const value of [0, -1, -32, NaN]) {
      const error = thrown(() => new ThreadPoolExecutor({ maxWorkers: value }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toContain("maxWorkers");
      expect(error.message).toContain(String(value));
    }
  });

  it("rejects a non-integer or non-number maxWorkers", () => {
    expect(thrown(() => new ThreadPoolExecutor({ maxWorkers: 1.5 }))).toBeInstanceOf(RangeError);
    const error = thrown(() => new ThreadPoolExecutor({ maxWorkers: "4" as unknown as number }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("maxWorkers");
  });

  it("rejects a non-function initializer and non-array initargs, naming the option", () => {
    const bad = thrown(() => new ThreadPoolExecutor({ initializer: "init" as never }));
    expect(bad).toBeInstanceOf(TypeError);
    expect(bad.message).toContain("initializer");
    const args = thrown(() => new ThreadPoolExecutor({ initializer: () => {}, initargs: "x" as never }));
    expect(args).toBeInstanceOf(TypeError);
    expect(args.message).toContain("initargs");
  });

  it("accepts null/undefined for the defaults", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: undefined, initializer: null });
    executors.push(executor);
    expect(executor.maxWorkers).toBeGreaterThan(0);
    expect(await executor.submit(() => "ok")).toBe("ok");
  });
});

describe("submit / submitWith input", () => {
  it("throws a TypeError naming fn for a non-function, and submits nothing", async () => {
    const executor = pool();
    for (const value of NOT_FUNCTIONS) {
      const error = thrown(() => executor.submit(value as () => void));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/\bfn\b/);
      const withError = thrown(() => executor.submitWith({}, value as () => void));
      expect(withError).toBeInstanceOf(TypeError);
      expect(withError.message).toMatch(/\bfn\b/);
    }
    // The executor is still usable.
    expect(await within(executor.submit(() => 7), "a good submit")).toBe(7);
  });

  it("rejects bad submitWith options: non-object, unknown keys (listing the accepted ones), a non-signal", () => {
    const executor = pool();
    expect(thrown(() => executor.submitWith(null as never, () => 1))).toBeInstanceOf(TypeError);
    expect(thrown(() => executor.submitWith("signal" as never, () => 1))).toBeInstanceOf(TypeError);
    const unknown = thrown(() => executor.submitWith({ timeout: 1 } as never, () => 1));
    expect(unknown).toBeInstanceOf(TypeError);
    expect(unknown.message).toContain('"timeout"');
    expect(unknown.message).toContain("signal, transferList");
    const signal = thrown(() => executor.submitWith({ signal: {} as AbortSignal }, () => 1));
    expect(signal).toBeInstanceOf(TypeError);
    expect(signal.message).toContain("signal");
    expect(thrown(() => executor.submitWith({ transferList: {} as never }, () => 1))).toBeInstanceOf(TypeError);
  });
});

describe("map input", () => {
  it("throws a TypeError naming fn for a non-function", () => {
    const executor = pool();
    for (const value of NOT_FUNCTIONS) {
      const error = thrown(() => executor.map(value as () => void, [1]));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/\bfn\b/);
    }
  });

  it("throws a TypeError naming the position of a non-iterable argument, before calling anything", async () => {
    const executor = pool();
    let calls = 0;
    const fn = (..._args: unknown[]): number => ++calls;
    const second = thrown(() => executor.map(fn, 42 as never));
    expect(second).toBeInstanceOf(TypeError);
    expect(second.message).toContain("argument 2");
    const third = thrown(() => executor.map(fn, [1, 2], 7 as never));
    expect(third).toBeInstanceOf(TypeError);
    expect(third.message).toContain("argument 3");
    const fourth = thrown(() => executor.map(fn, [1], "ab", null as never, {}));
    expect(fourth).toBeInstanceOf(TypeError);
    expect(fourth.message).toContain("argument 4");
    await within(executor.shutdown(), "shutdown");
    expect(calls).toBe(0);
  });

  it("throws a TypeError for an unknown option key, listing the accepted keys", () => {
    const executor = pool();
    const error = thrown(() => executor.map(String, [1], { timeOut: 1 } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"timeOut"');
    expect(error.message).toContain("timeout, chunksize, buffersize, signal");
  });

  it("throws a RangeError for a negative or NaN timeout, and a TypeError for a non-number", () => {
    const executor = pool();
    for (const timeout of [-1, -0.001, NaN]) {
      const error = thrown(() => executor.map(String, [1], { timeout }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toContain("timeout");
    }
    expect(thrown(() => executor.map(String, [1], { timeout: "1" as never }))).toBeInstanceOf(TypeError);
  });

  it("throws a RangeError for buffersize 0 (and negatives), a TypeError for non-integers", () => {
    const executor = pool();
    for (const buffersize of [0, -3]) {
      const error = thrown(() => executor.map(String, [1], { buffersize }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toContain("buffersize");
    }
    for (const buffersize of [0.5, "2", Infinity]) {
      expect(thrown(() => executor.map(String, [1], { buffersize: buffersize as number }))).toBeInstanceOf(TypeError);
    }
  });

  it("rejects a signal that is not an AbortSignal", () => {
    const executor = pool();
    const error = thrown(() => executor.map(String, [1], { signal: { aborted: false } as AbortSignal }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("signal");
  });

  it("validates options before submitting anything", async () => {
    const executor = pool();
    let calls = 0;
    expect(() => executor.map(() => ++calls, [1, 2, 3], { timeout: -1 })).toThrow(RangeError);
    expect(() => executor.map(() => ++calls, [1, 2, 3], { chunksize: 0 })).toThrow(RangeError);
    expect(() => executor.map(() => ++calls, [1, 2, 3], { nope: true } as never)).toThrow(TypeError);
    await within(executor.shutdown(), "shutdown");
    expect(calls).toBe(0);
  });

  it("accepts null/undefined option values and an empty options object", async () => {
    const executor = pool();
    const options = { timeout: null, buffersize: null, signal: null };
    expect(await executor.map(String, [1, 2], options).toArray()).toEqual(["1", "2"]);
    expect(await executor.map(String, [1, 2], {}).toArray()).toEqual(["1", "2"]);
    expect(await executor.map(String, [1, 2], { timeout: undefined }).toArray()).toEqual(["1", "2"]);
  });
});

describe("shutdown input", () => {
  it("throws a TypeError for an unknown key, listing the accepted keys", async () => {
    const executor = pool();
    const error = thrown(() => executor.shutdown({ cancel_futures: true } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"cancel_futures"');
    expect(error.message).toContain("wait, cancelFutures");
    expect(thrown(() => executor.shutdown("now" as never))).toBeInstanceOf(TypeError);
    // The bad call did not shut the executor down.
    expect(await within(executor.submit(() => "still open"), "a submit")).toBe("still open");
  });
});
