/**
 * UnifiedDispatcher and parallelMap (SPEC §7): fail-fast map in input order
 * with the failing index, mapWithIds answering every id, close and disposal.
 */
import { threadId } from "node:worker_threads";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { DispatchError, parallelMap, reset, UnifiedDispatcher } from "../src/index.js";
import { task, ThreadPoolExecutor } from "../src/api/futures.js";
import { deferred, thrown, within, type Deferred } from "./helpers.js";

type Tasks = typeof import("./fixtures/dispatch-tasks.js");
const tasks = new URL("./fixtures/dispatch-tasks.ts", import.meta.url);
const doubleOrFail = task<Tasks, "doubleOrFail">(tasks, "doubleOrFail");
const whereAmI = task<Tasks, "whereAmI">(tasks, "whereAmI");

const open: UnifiedDispatcher[] = [];
function dispatcher(...args: ConstructorParameters<typeof UnifiedDispatcher>): UnifiedDispatcher {
  const made = new UnifiedDispatcher(...args);
  open.push(made);
  return made;
}

afterEach(async () => {
  await within(Promise.all(open.splice(0).map((d) => d.close({ cancelFutures: true }))), 10, "close");
});
afterAll(() => reset());

/** Let queued microtasks and immediates run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("map", () => {
  it("resolves with results in input order, whatever order they finish in", async () => {
    const gates: Deferred<void>[] = [0, 1, 2, 3].map(() => deferred());
    const d = dispatcher({ maxWorkers: 4 });
    const results = d.map(async (i: number) => {
      await gates[i]!.promise;
      return `item ${i}`;
    }, [0, 1, 2, 3]);
    for (const gate of [...gates].reverse()) {
      gate.resolve();
      await turn();
    }
    expect(await within(results)).toEqual(["item 0", "item 1", "item 2", "item 3"]);
    expect(await within(d.map((n: number) => n, []))).toEqual([]);
    expect(await within(d.map((c: string) => c.toUpperCase(), new Set(["a", "b"])))).toEqual(["A", "B"]);
  });

  it("fails fast with the failing index and cancels the pending items", async () => {
    const calls: number[] = [];
    const d = dispatcher({ maxWorkers: 1 });
    const error = await within(d.map((n: number) => {
      calls.push(n);
      if (n < 0) throw new RangeError(`negative item ${n}`);
      return n;
    }, [1, 2, -3, 4, 5]).catch((e: unknown) => e)) as DispatchError;
    expect(error).toBeInstanceOf(DispatchError);
    expect(error.name).toBe("DispatchError");
    expect(error.index).toBe(2);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.message).toBe("map(fn, items): item 2 failed: RangeError: negative item -3");
    await within(d.close()); // everything this dispatcher started is done
    expect(calls).toEqual([1, 2, -3]);
  });

  it("rejects at the first failure to happen, without waiting for earlier items", async () => {
    const gate = deferred();
    const d = dispatcher({ maxWorkers: 2, executor: "async" });
    let firstFinished = false;
    const pending = d.map(async (n: number) => {
      if (n === 0) {
        await gate.promise;
        firstFinished = true;
        return n;
      }
      throw new Error(`item ${n} failed`);
    }, [0, 1]);
    try {
      const error = (await within(pending.catch((e: unknown) => e))) as DispatchError;
      expect(error.index).toBe(1);
      expect(firstFinished).toBe(false);
    } finally {
      gate.resolve();
    }
  });

  it("runs on worker threads and child processes, with the error's class carried across", async () => {
    const threads = dispatcher({ executor: "threaded", maxWorkers: 2 });
    const onThreads = await within(threads.map(whereAmI, [1, 2, 3]), 15);
    expect(onThreads.map((r) => r.n)).toEqual([1, 2, 3]);
    for (const r of onThreads) expect(r.threadId).not.toBe(threadId);
    const children = dispatcher({ executor: "parallel", maxWorkers: 1 });
    expect(await within(children.map(doubleOrFail, [1, 2, 3]), 15)).toEqual([2, 4, 6]);
    const error = (await within(children.map(doubleOrFail, [1, -2, 3]).catch((e: unknown) => e), 15)) as DispatchError;
    expect(error.index).toBe(1);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect((error.cause as Error).message).toBe("negative item -2");
  });

  it("rejects bad arguments synchronously, naming them", () => {
    const d = dispatcher();
    expect(() => d.map(42 as never, [1])).toThrow(/map\(fn, items\): fn must be a function/);
    expect(() => d.map((x: number) => x, 5 as never)).toThrow(TypeError);
    const asyncItems = (async function* () {})();
    expect(() => d.map((x: unknown) => x, asyncItems as never)).toThrow(/async iterables are not accepted/);
  });
});

describe("mapWithIds", () => {
  it("answers every id, in input order, with its value or its error", async () => {
    const d = dispatcher();
    const answers = await within(d.mapWithIds((n: number) => {
      if (n < 0) throw new RangeError(`negative ${n}`);
      return n * 10;
    }, [["a", 1], ["b", -2], ["c", 3]] as const));
    expect([...answers.keys()]).toEqual(["a", "b", "c"]);
    expect(answers.get("a")).toEqual({ status: "fulfilled", value: 10 });
    expect(answers.get("c")).toEqual({ status: "fulfilled", value: 30 });
    const failed = answers.get("b") as PromiseRejectedResult;
    expect(failed.status).toBe("rejected");
    expect(failed.reason).toBeInstanceOf(RangeError);
  });

  it("never rejects, even when every call fails; errorsAsNull gives Ember's nulls", async () => {
    const d = dispatcher({ executor: "sequential" });
    const fail = (n: number): number => {
      if (n % 2) throw new Error(`odd ${n}`);
      return n;
    };
    const allFailed = await within(d.mapWithIds(fail, [[1, 1], [3, 3]]));
    expect([...allFailed.values()].map((o) => o.status)).toEqual(["rejected", "rejected"]);
    const nulls = await within(d.mapWithIds(fail, new Map([["x", 1], ["y", 2]]), { errorsAsNull: true }));
    expect(nulls).toEqual(new Map([["x", null], ["y", 2]]));
  });

  it("answers ids from a child process, errors included", async () => {
    const d = dispatcher({ executor: "parallel", maxWorkers: 1 });
    const answers = await within(d.mapWithIds(doubleOrFail, [[10, 5], [20, -1]], { errorsAsNull: false }), 15);
    expect(answers.get(10)).toEqual({ status: "fulfilled", value: 10 });
    expect((answers.get(20) as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
  });

  it("rejects malformed pairs, duplicate ids and bad options synchronously", () => {
    const d = dispatcher();
    const id = (x: unknown) => x;
    expect(() => d.mapWithIds(id, [["a", 1], ["a", 2]])).toThrow(/id "a" appears twice \(items 0 and 1\)/);
    expect(thrown(() => d.mapWithIds(id, [["a", 1], ["a", 2]]))).toBeInstanceOf(RangeError);
    expect(() => d.mapWithIds(id, [["a", 1, 2]] as never)).toThrow(/item 0 must be an \[id, payload\] pair/);
    expect(() => d.mapWithIds(id, [["a", 1]], { nulls: true } as never)).toThrow(/accepted options are errorsAsNull/);
    expect(() => d.mapWithIds(id, [["a", 1]], { errorsAsNull: 1 } as never)).toThrow(TypeError);
  });
});

describe("close, disposal and options", () => {
  it("refuses work once closed; closing twice is harmless", async () => {
    const d = dispatcher();
    expect(await within(d.map((n: number) => n + 1, [1]))).toEqual([2]);
    await within(d.close());
    await within(d[Symbol.asyncDispose]());
    expect(() => d.map((n: number) => n, [1])).toThrow(/cannot schedule new futures after shutdown/);
    expect(() => d.mapWithIds((n: number) => n, [[1, 1]])).toThrow(/cannot schedule new futures after shutdown/);
  });

  it("never shuts down an executor of yours; close waits for the calls it made", async () => {
    const mine = new ThreadPoolExecutor({ maxWorkers: 2 });
    const gate = deferred();
    try {
      const d = new UnifiedDispatcher({ executor: mine });
      const results = d.map(async (n: number) => {
        await gate.promise;
        return n;
      }, [1, 2]);
      let closed = false;
      const closing = d[Symbol.asyncDispose]().then(() => (closed = true));
      await turn();
      expect(closed).toBe(false);
      gate.resolve();
      await within(closing);
      expect(await within(results)).toEqual([1, 2]);
      expect(await within(mine.submit(() => "still open"))).toBe("still open");
    } finally {
      gate.resolve();
      await mine.shutdown();
    }
  });

  it("rejects bad options naming them and the accepted values", () => {
    expect(() => new UnifiedDispatcher({ workers: 2 } as never)).toThrow(
      /unknown option "workers"; accepted options are maxWorkers, executor, adaptive, name/,
    );
    expect(() => new UnifiedDispatcher({ maxWorkers: 0 })).toThrow(RangeError);
    const alias = thrown(() => new UnifiedDispatcher({ executor: "threads" as never })) as RangeError;
    expect(alias).toBeInstanceOf(RangeError);
    for (const name of ["sequential", "async", "threaded", "parallel"]) expect(alias.message).toContain(`"${name}"`);
    expect(() => new UnifiedDispatcher({ executor: {} as never })).toThrow(TypeError);
    expect(() => new UnifiedDispatcher({ adaptive: "yes" as never })).toThrow(TypeError);
    expect(() => new UnifiedDispatcher({ adaptive: true, executor: "async" })).toThrow(/either adaptive or executor/);
    expect(() => new UnifiedDispatcher({ name: 3 as never })).toThrow(TypeError);
  });
});

describe("parallelMap", () => {
  it("maps and always closes its dispatcher, on success and on failure", async () => {
    const close = vi.spyOn(UnifiedDispatcher.prototype, "close");
    try {
      expect(await within(parallelMap((n: number) => n * n, [1, 2, 3], { maxWorkers: 2 }))).toEqual([1, 4, 9]);
      expect(close).toHaveBeenCalledTimes(1);
      const error = (await within(parallelMap(doubleOrFail, [1, -1], { executor: "threaded" }).catch((e: unknown) => e), 15)) as DispatchError;
      expect(error).toBeInstanceOf(DispatchError);
      expect(error.index).toBe(1);
      expect(close).toHaveBeenCalledTimes(2);
      expect(close).toHaveBeenLastCalledWith({ cancelFutures: true });
      expect(() => parallelMap((n: number) => n, null as never)).toThrow(TypeError);
      expect(close).toHaveBeenCalledTimes(3);
    } finally {
      close.mockRestore();
    }
  });
});
