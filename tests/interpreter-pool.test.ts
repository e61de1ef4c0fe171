/**
 * InterpreterPoolExecutor with real worker threads (SPEC §1.1, §1.2, §2):
 * lazy start, transferable tasks, argument and result checks, map with
 * chunksize, transfer lists, the initializer, errors across the boundary and
 * cancellation. The failure contract is in interpreter-pool.failures.test.ts,
 * load and batching in interpreter-pool.load.test.ts.
 *
 * No mock of piscina: every test runs real workers (from source, through tsx).
 * Every executor is stopped after its test (a no-op once it was shut down).
 * Waits are bounded; no timing is asserted.
 */
import { threadId as mainThreadId } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import {
  BrokenInterpreterPool,
  CancelledError,
  InterpreterPoolExecutor,
  task,
  type InterpreterPoolExecutorOptions,
} from "../src/api/futures.js";
import { kPoolBackend } from "../src/executors/pool-executor.js";
import { backendOf, exited, recordMessages, release, sharedCell, started } from "./fixtures/pool-helpers.js";
import * as tasks from "./fixtures/pool-tasks.js";
import type * as Threads from "./fixtures/pool-threads.js";
import { until } from "./fixtures/proc-helpers.js";
import { range, stoppedAfterEach, turns, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const THREADS = new URL("./fixtures/pool-threads.ts", import.meta.url);
const add = task<typeof tasks, "add">(POOL, "add");
const slowAdd = task<typeof tasks, "slowAdd">(POOL, "slowAdd");
const whoAmI = task<typeof tasks, "whoAmI">(POOL, "whoAmI");
const init = task<typeof tasks, "init">(POOL, "init");
const failInit = task<typeof tasks, "failInit">(POOL, "failInit");
const validate = task<typeof tasks, "validate">(POOL, "validate");
const byteLength = task<typeof tasks, "byteLength">(POOL, "byteLength");
const returnsFunction = task<typeof tasks, "returnsFunction">(POOL, "returnsFunction");
const hang = task<typeof tasks, "hang">(POOL, "hang");
const slowWhoAmI = task<typeof Threads, "slowWhoAmI">(THREADS, "slowWhoAmI");
const slowInitState = task<typeof Threads, "slowInitState">(THREADS, "slowInitState");
const initStateWhenReleased = task<typeof Threads, "initStateWhenReleased">(THREADS, "initStateWhenReleased");
const throwQuota = task<typeof Threads, "throwQuota">(THREADS, "throwQuota");
const throwTypeError = task<typeof Threads, "throwTypeError">(THREADS, "throwTypeError");
const hangReporting = task<typeof Threads, "hangReporting">(THREADS, "hangReporting");
const runUntilReleased = task<typeof Threads, "runUntilReleased">(THREADS, "runUntilReleased");

const pool = stoppedAfterEach((options?: InterpreterPoolExecutorOptions) => new InterpreterPoolExecutor(options));

describe("lazy start and transferable tasks", () => {
  it("starts no backend and no thread until the first task is sent, never inside submit()", async () => {
    const ex = pool({ maxWorkers: 2 });
    expect(ex[kPoolBackend]()).toBeNull();
    const future = ex.submit(add, 1, 2);
    expect(ex[kPoolBackend]()).toBeNull();
    expect(await within(future, "first task")).toBe(3);
    expect(backendOf(ex).threads.length).toBeGreaterThanOrEqual(1);
    await within(ex.shutdown(), "shutdown");
    expect(ex[kPoolBackend]()).toBeNull();
  });

  it("runs a self-contained function, a task reference by name and the shorthand task(url, { add })", async () => {
    const ex = pool({ maxWorkers: 2 });
    const shorthand = task(POOL, { add: tasks.add });
    const results = Promise.all([ex.submit((a: number, b: number) => a * b, 6, 7), ex.submit(add, 2, 3), ex.submit(shorthand, 4, 5)]);
    expect(await within(results, "three tasks")).toEqual([42, 5, 9]);
  });

  it("runs sync and async functions alike, on a worker thread, and `await future` gives the result", async () => {
    const ex = pool({ maxWorkers: 2 });
    const sync = ex.submit((x: number) => x + 1, 1);
    const async = ex.submit(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return x + 2;
    }, 1);
    expect(await within(Promise.all([sync, async, ex.submit(slowAdd, 1, 3, 5)]), "tasks")).toEqual([2, 3, 4]);
    const where = await within(ex.submit(whoAmI), "whoAmI");
    expect(where.threadId).not.toBe(mainThreadId);
    expect(where.pid).toBe(process.pid);
  });

  it("a worker's event loop keeps running between tasks: a timer a task left behind fires while the worker is idle", async () => {
    // piscina's default (atomics: 'sync') would freeze it until the next task (BENCHMARKS.md, P1).
    const ex = pool({ maxWorkers: 1 });
    const cell = sharedCell();
    const leaveTimer = (shared: Int32Array): string => {
      setTimeout(() => Atomics.store(shared, 0, 1), 30);
      return "returned";
    };
    expect(await within(ex.submit(leaveTimer, cell), "the task")).toBe("returned");
    await until(() => Atomics.load(cell, 0) === 1, "the timer of an idle worker");
    expect(Atomics.load(cell, 0)).toBe(1);
  });

  it("a task reference called directly runs on the calling thread and returns a promise", async () => {
    const promise = add(20, 22);
    expect(promise).toBeInstanceOf(Promise);
    expect(await promise).toBe(42);
    expect((await whoAmI()).threadId).toBe(mainThreadId);
  });

  it("rejects a closure at submit with a TypeError naming the captured identifier, and starts no backend", async () => {
    const ex = pool({ maxWorkers: 1 });
    const factor = 3;
    expect(() => ex.submit((x: number) => x * factor, 2)).toThrow(TypeError);
    expect(() => ex.submit((x: number) => x * factor, 2)).toThrow(/captures .*factor/);
    await turns();
    expect(ex[kPoolBackend]()).toBeNull();
  });

  it("rejects a function or a Symbol argument with a TypeError naming its position, before anything is sent", async () => {
    const ex = pool({ maxWorkers: 1 });
    expect(() => ex.submit(add, 1, (() => 2) as unknown as number)).toThrow(
      /argument 2 \(args\[1\]: .*function.*\) cannot be sent to a worker thread/,
    );
    expect(() => ex.submit(add, Symbol("one") as unknown as number, 2)).toThrow(
      /argument 1 \(args\[0\]: a symbol\) cannot be sent to a worker thread/,
    );
    await turns();
    expect(ex[kPoolBackend]()).toBeNull();
    // With workers running, still nothing is sent.
    await within(ex.submit(add, 1, 1), "warm-up");
    const sent = recordMessages(ex);
    expect(() => ex.submit((a: unknown) => a, { deep: [Symbol("x")] })).toThrow(/argument 1 \(args\[0\]\.deep\[0\]: a symbol\)/);
    expect(() => ex.submitWith({}, add, 1, (() => 2) as unknown as number)).toThrow(TypeError);
    await turns();
    expect(sent).toEqual([]);
  });

  it("fails the future of a missing or non-function export with a TypeError naming module and export", async () => {
    const ex = pool({ maxWorkers: 1 });
    const missing = await within(ex.submit(task(POOL, "noSuchExport")).exception(), "missing export");
    expect(missing).toBeInstanceOf(TypeError);
    expect((missing as Error).message).toMatch(/pool-tasks\.ts.*noSuchExport|noSuchExport.*pool-tasks\.ts/);
    const notFn = await within(ex.submit(task(POOL, "notAFunction")).exception(), "non-function export");
    expect(notFn).toBeInstanceOf(TypeError);
    expect((notFn as Error).message).toMatch(/notAFunction.*pool-tasks\.ts.*not a function/);
    expect(await within(ex.submit(add, 1, 2), "the pool still works")).toBe(3);
  });

  it("fails only its own future when the result cannot be sent back; the pool is not broken", async () => {
    const ex = pool({ maxWorkers: 1 });
    const [bad, good] = [ex.submit(returnsFunction), ex.submit(add, 2, 2)];
    const error = await within(bad.exception(), "unsendable result");
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/return value/);
    expect(error).not.toBeInstanceOf(BrokenInterpreterPool);
    expect(await within(good, "the next task")).toBe(4);
    expect(await within(ex.submit(add, 3, 3), "a later task")).toBe(6);
  });
});

describe("map and transfer lists", () => {
  it("map with chunksize: results in order, each chunk travels as one message", async () => {
    const ex = pool({ maxWorkers: 2 });
    await within(ex.submit(add, 0, 0), "warm-up");
    const sent = recordMessages(ex);
    const results = await within(ex.map((x: number) => x * x, range(100), { chunksize: 10 }).toArray(), "map");
    expect(results).toEqual(range(100).map((x) => x * x));
    expect(sent).toHaveLength(10);
    expect(sent.map((m) => m.calls.length)).toEqual(Array(10).fill(10));
    expect(sent.flatMap((m) => m.calls.map((c) => c.args[0]))).toEqual(range(100));
  });

  it("map with chunksize over two iterables and a task reference; a short last chunk is sent too", async () => {
    const ex = pool({ maxWorkers: 2 });
    const results = await within(ex.map(add, range(25), range(100, 125), { chunksize: 4 }).toArray(), "map");
    expect(results).toEqual(range(25).map((x) => 2 * x + 100));
  });

  it("map without chunksize over many items gives every result in order", async () => {
    const ex = pool({ maxWorkers: 2 });
    const results = await within(ex.map((x: number) => x * 3 - 1, range(20_000)).toArray(), "map", 20);
    expect(results).toHaveLength(20_000);
    expect(results.every((value, i) => value === i * 3 - 1)).toBe(true);
  });

  it("submitWith({ transferList }) moves the buffer: the worker sees its bytes, the caller's copy is emptied", async () => {
    const ex = pool({ maxWorkers: 1 });
    const buffer = new ArrayBuffer(1024);
    const future = ex.submitWith({ transferList: [buffer] }, byteLength, buffer);
    expect(await within(future, "byteLength")).toBe(1024);
    expect(buffer.byteLength).toBe(0);
    // Without a transfer list the buffer is copied and stays usable here.
    const kept = new ArrayBuffer(8);
    expect(await within(ex.submit(byteLength, kept), "copied")).toBe(8);
    expect(kept.byteLength).toBe(8);
  });
});

describe("initializer", () => {
  it("runs once in every worker before its first task, with initargs", async () => {
    const ex = pool({ maxWorkers: 2, initializer: init, initargs: ["hello"] });
    // Two calls that block their workers until released: both start, so on two workers.
    const cells = [sharedCell(), sharedCell()];
    const blocking = cells.map((cell) => ex.submit(initStateWhenReleased, cell));
    const threads = await within(Promise.all(cells.map((cell) => started(cell))), "two blocking calls");
    expect(new Set(threads).size).toBe(2);
    for (const cell of cells) release(cell);
    const more = range(6).map(() => ex.submit(slowInitState, 10));
    const states = await within(Promise.all([...blocking, ...more]), "init states", 10);
    for (const state of states) expect(state).toMatchObject({ calls: 1, tag: "hello" });
    expect(new Set(states.map((state) => state.threadId))).toEqual(new Set(threads));
    expect(threads).not.toContain(mainThreadId);
  });

  it("a failing initializer breaks the pool with BrokenInterpreterPool caused by its RangeError", async () => {
    const ex = pool({ maxWorkers: 2, initializer: failInit });
    const futures = [ex.submit(add, 1, 2), ex.submit(add, 3, 4), ex.submit(add, 5, 6)];
    const errors = await within(Promise.all(futures.map((f) => f.exception())), "futures of the broken pool");
    for (const error of errors) expect(error).toBeInstanceOf(BrokenInterpreterPool);
    const cause = (errors[0] as Error).cause as Error;
    expect(cause).toBeInstanceOf(RangeError);
    expect(cause.name).toBe("RangeError");
    expect(cause.message).toBe("initializer refused");
    expect((errors[0] as Error).message).toMatch(/initializer/);
    expect(() => ex.submit(add, 1, 2)).toThrow(BrokenInterpreterPool);
    await within(ex.shutdown(), "shutdown of the broken pool");
  });

  it("rejects a closure initializer at construction with a TypeError", () => {
    const tag = "captured";
    const initializer = (): void => void globalThis.structuredClone(tag);
    expect(() => new InterpreterPoolExecutor({ initializer })).toThrow(TypeError);
    expect(() => new InterpreterPoolExecutor({ initializer })).toThrow(/captures .*tag/);
  });
});

describe("errors across the boundary", () => {
  it("keeps name, message, stack and the cause chain with its code and own properties", async () => {
    const ex = pool({ maxWorkers: 1 });
    const error = (await within(ex.submit(validate, -1).exception(), "validate(-1)")) as RangeError;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.name).toBe("RangeError");
    expect(error.message).toBe("validation failed");
    expect(error.stack).toMatch(/pool-tasks\.ts/);
    const cause = error.cause as Error & { code?: string; field?: string };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe("ValidationError");
    expect(cause.message).toBe("must be non-negative");
    expect(cause.code).toBe("E_NEGATIVE");
    expect(cause.field).toBe("value");
    expect(cause.stack).toMatch(/pool-tasks\.ts/);
    expect(await within(ex.submit(validate, 1), "validate(1)")).toBe(1);
  });

  it("rebuilds built-in classes, and a user class arrives as an Error named after it", async () => {
    const ex = pool({ maxWorkers: 1 });
    const typeError = await within(ex.submit(throwTypeError).exception(), "TypeError");
    expect(typeError).toBeInstanceOf(TypeError);
    expect((typeError as Error).stack).toMatch(/pool-threads\.ts/);
    const quota = (await within(ex.submit(throwQuota, 3).exception(), "user class")) as Error;
    expect(quota).toBeInstanceOf(Error);
    expect(quota.constructor).toBe(Error);
    expect(quota.name).toBe("QuotaExceeded");
    expect(quota.message).toBe("quota of 3 exceeded");
    const fromSource = (await within(
      ex.submit(() => {
        throw new URIError("bad uri");
      }).exception(),
      "URIError",
    )) as Error;
    expect(fromSource).toBeInstanceOf(URIError);
    expect(fromSource.message).toBe("bad uri");
  });
});

describe("cancellation", () => {
  it("cancel() is true for a pending future and false for a running one", async () => {
    const ex = pool({ maxWorkers: 1 });
    const running = ex.submit(hang);
    const pending = ex.submit(add, 1, 2);
    await turns();
    expect(running.running()).toBe(true);
    expect(pending.running()).toBe(false);
    expect(pending.cancel()).toBe(true);
    expect(running.cancel()).toBe(false);
    await expect(within(pending.result(), "cancelled result")).rejects.toBeInstanceOf(CancelledError);
    expect(running.done()).toBe(false);
  });

  it("an AbortSignal stops a task running forever: its worker is replaced, the others carry on", async () => {
    const ex = pool({ maxWorkers: 2 });
    const controller = new AbortController();
    const [hangCell, otherCell] = [sharedCell(), sharedCell()];
    const stopped = ex.submitWith({ signal: controller.signal }, hangReporting, hangCell);
    const other = ex.submit(runUntilReleased, otherCell);
    const hangThread = await started(hangCell);
    const otherThread = await started(otherCell);
    expect(hangThread).not.toBe(otherThread);
    const hangWorker = backendOf(ex).threads.find((worker) => worker.threadId === hangThread);
    expect(hangWorker).toBeDefined();
    const reason = new Error("stop it");
    controller.abort(reason);
    expect(await within(stopped.exception(), "aborted task")).toBe(reason);
    await within(exited(hangWorker!), "the stopped worker's exit");
    expect(backendOf(ex).threads.map((worker) => worker.threadId)).not.toContain(hangThread);
    expect(other.running()).toBe(true);
    release(otherCell);
    expect(await within(other, "the other running task")).toBe(otherThread);
    const later = await within(Promise.all(range(4).map(() => ex.submit(slowWhoAmI, 20))), "later tasks");
    expect(later).not.toContain(hangThread);
    expect(await within(ex.submit(add, 1, 1), "a later task")).toBe(2);
  });

  it("an abort while pending cancels every task sharing the signal; an already-aborted signal cancels at submit", async () => {
    const ex = pool({ maxWorkers: 1 });
    const blocker = ex.submit(slowAdd, 1, 1, 100);
    const controller = new AbortController();
    const pending = range(20).map((i) => ex.submitWith({ signal: controller.signal }, add, i, 2));
    await turns();
    controller.abort();
    expect(pending.every((future) => future.cancelled())).toBe(true);
    const early = ex.submitWith({ signal: AbortSignal.abort() }, add, 1, 2);
    expect(early.cancelled()).toBe(true);
    await expect(within(early.result(), "aborted before start")).rejects.toBeInstanceOf(CancelledError);
    expect(await within(blocker, "the running task")).toBe(2);
    expect(await within(ex.submit(add, 2, 2), "a later task")).toBe(4);
  });
});
