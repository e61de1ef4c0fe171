/**
 * ProcessPoolExecutor with real child processes (SPEC §1.1, §1.2, §2): lazy
 * start, transferable tasks, argument checks, map, shutdown, maxTasksPerChild,
 * initializer, errors across the boundary, execArgv and env. The failure
 * contract, signals and "no child left behind" are in
 * process-pool.failures.test.ts.
 *
 * Every executor is killed after its test (a no-op once it was shut down), so
 * a failing test leaves no child behind. Waits are bounded; no timing is asserted.
 */
import os from "node:os";
import { describe, expect, it } from "vitest";
import {
  BrokenProcessPool,
  CancelledError,
  InterpreterPoolExecutor,
  ProcessPoolExecutor,
  task,
  type ProcessPoolExecutorOptions,
} from "../src/api/futures.js";
import { kPoolBackend } from "../src/executors/pool-executor.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import type * as Proc from "./fixtures/proc-tasks.js";
import { isRunning, requireBuild, until, whenGone } from "./fixtures/proc-helpers.js";
import { runNode } from "./run-node.js";
import { range, stoppedAfterEach, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const PROC = new URL("./fixtures/proc-tasks.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const slowAdd = task<typeof Pool, "slowAdd">(POOL, "slowAdd");
const failSome = task<typeof Pool, "failSome">(POOL, "failSome");
const failInit = task<typeof Pool, "failInit">(POOL, "failInit");
const validate = task<typeof Pool, "validate">(POOL, "validate");
const pid = task<typeof Proc, "pid">(PROC, "pid");
const addWithPid = task<typeof Proc, "addWithPid">(PROC, "addWithPid");
const environment = task<typeof Proc, "environment">(PROC, "environment");
const remember = task<typeof Proc, "remember">(PROC, "remember");
const remembered = task<typeof Proc, "remembered">(PROC, "remembered");
const throwKind = task<typeof Proc, "throwKind">(PROC, "throwKind");
const farUnsendable = task<typeof Proc, "farUnsendable">(PROC, "farUnsendable");

const pool = stoppedAfterEach((options?: ProcessPoolExecutorOptions) => new ProcessPoolExecutor(options), "killWorkers");

describe("construction and lazy start", () => {
  it("starts no child until the first task runs, and never inside submit()", async () => {
    const ex = pool({ maxWorkers: 1 });
    expect(ex[kPoolBackend]()).toBeNull();
    const future = ex.submit(pid);
    expect(ex[kPoolBackend]()).toBeNull();
    const childPid = await within(future, "first task");
    expect(ex[kPoolBackend]()).not.toBeNull();
    expect(childPid).not.toBe(process.pid);
    await within(ex.shutdown(), "shutdown");
    expect(isRunning(childPid)).toBe(false);
  });

  it("defaults maxWorkers to os.availableParallelism() and starts a child per concurrent task up to it", async () => {
    const ex = pool();
    expect(ex.maxWorkers).toBe(os.availableParallelism());
    const n = Math.min(ex.maxWorkers, 3);
    const pids = await within(Promise.all(range(n).map(() => ex.submit(pid, 200))), "concurrent tasks", 10);
    expect(new Set(pids).size).toBe(n);
    await within(ex.shutdown(), "shutdown");
  });

  it.each([0, -1, Number.NaN, 1.5])("throws a RangeError naming the bad value %s of maxWorkers and maxTasksPerChild", (bad) => {
    expect(() => new ProcessPoolExecutor({ maxWorkers: bad })).toThrow(RangeError);
    expect(() => new ProcessPoolExecutor({ maxWorkers: bad })).toThrow(new RegExp(`maxWorkers.*${bad}`));
    expect(() => new ProcessPoolExecutor({ maxTasksPerChild: bad })).toThrow(RangeError);
    expect(() => new ProcessPoolExecutor({ maxTasksPerChild: bad })).toThrow(new RegExp(`maxTasksPerChild.*${bad}`));
  });
});

describe("transferable tasks", () => {
  it("runs self-contained functions and task references (a .ts module) in a child process", async () => {
    const ex = pool({ maxWorkers: 1 });
    expect(await ex.submit((a: number, b: number) => a * b, 6, 7)).toBe(42);
    expect(await ex.submit(add, 2, 3)).toBe(5);
    const viaSource = await ex.submit(() => process.pid);
    const viaRef = await ex.submit(pid);
    expect(viaSource).not.toBe(process.pid);
    expect(viaRef).toBe(viaSource);
  });

  it("runs sync and async functions alike", async () => {
    const ex = pool({ maxWorkers: 2 });
    const sync = ex.submit((x: number) => x + 1, 1);
    const async = ex.submit(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return x + 2;
    }, 1);
    expect(await within(Promise.all([sync, async, ex.submit(slowAdd, 1, 3, 10)]), "tasks")).toEqual([2, 3, 4]);
  });

  it("rejects a closure at submit with a TypeError naming the capture, before any child starts", async () => {
    const ex = pool({ maxWorkers: 1 });
    const factor = 3;
    expect(() => ex.submit((x: number) => x * factor, 2)).toThrow(TypeError);
    expect(() => ex.submit((x: number) => x * factor, 2)).toThrow(/captures `factor`.*task reference/s);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ex[kPoolBackend]()).toBeNull();
  });

  it("rejects arguments that cannot cross with a TypeError naming the position, before anything is sent", async () => {
    const ex = pool({ maxWorkers: 1 });
    const cases: [unknown[], RegExp][] = [
      [[1, () => 0], /argument 2 \(args\[1\]: a function\) cannot be sent to a child process/],
      [[new SharedArrayBuffer(8)], /argument 1 \(args\[0\]: a SharedArrayBuffer\) cannot be sent to a child process/],
      [[1, 2, { view: new Int32Array(new SharedArrayBuffer(8)) }], /argument 3 \(args\[2\]\.view: an Int32Array\)/],
      [[{ pending: Promise.resolve(1) }], /argument 1 \(args\[0\]\.pending: a Promise\)/],
    ];
    for (const [args, message] of cases) {
      expect(() => ex.submit((..._: unknown[]) => 0, ...args)).toThrow(TypeError);
      expect(() => ex.submit((..._: unknown[]) => 0, ...args)).toThrow(message);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(ex[kPoolBackend]()).toBeNull();
  });

  it("fails only the call whose argument or result the serializer refuses past the bounded check", async () => {
    const ex = pool({ maxWorkers: 1 });
    const far: unknown[] = new Array(20_001).fill(0);
    far[20_000] = () => 0;
    const sent = ex.submit((values: unknown[]) => values.length, far);
    const error = await within(sent.exception(), "refused argument");
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/argument 1 \(args\[0\]\[20000\]: a function\) cannot be sent to a child process/);
    const returned = await within(ex.submit(farUnsendable).exception(), "refused result");
    expect(returned).toBeInstanceOf(TypeError);
    expect((returned as Error).message).toMatch(/return value.*\[20000\]: a function/);
    // Among many queued calls (which a busy pool may batch), only the culprit fails.
    const many = range(20).map((i) => ex.submit((v: unknown) => (Array.isArray(v) ? v.length : v), i === 7 ? far : i));
    const outcomes = await within(Promise.all(many.map((f) => f.exception())), "queued calls");
    expect(outcomes.map((e) => e !== null)).toEqual(range(20).map((i) => i === 7));
    expect(await Promise.all(many.filter((_, i) => i !== 7))).toEqual(range(20).filter((i) => i !== 7));
    expect(await ex.submit(add, 1, 1)).toBe(2);
  });
});

describe("map", () => {
  it("gives ordered, correct results with and without chunksize", async () => {
    const ex = pool({ maxWorkers: 2 });
    const expected = range(50).map((i) => i + i);
    for (const chunksize of [1, 7, 64]) {
      expect(await within(ex.map(add, range(50), range(50), { chunksize }).toArray(), `chunksize ${chunksize}`)).toEqual(expected);
    }
    expect(await within(ex.map((x: number) => x * x, range(10), { chunksize: 3 }).toArray(), "source fn")).toEqual(
      range(10).map((x) => x * x),
    );
  });

  it("raises the first failure at its index, inside a chunk", async () => {
    const ex = pool({ maxWorkers: 2 });
    const seen: number[] = [];
    const iterate = async (): Promise<void> => {
      for await (const value of ex.map(failSome, range(100), { chunksize: 10 })) seen.push(value);
    };
    await expect(within(iterate(), "map")).rejects.toThrow("item 37 failed");
    expect(seen).toEqual(range(37).map((i) => i * 2));
  });
});

describe("shutdown", () => {
  it("shutdown({ wait: true }) waits for running and queued calls, then every child is gone", async () => {
    const ex = pool({ maxWorkers: 2 });
    const futures = range(4).map(() => ex.submit(pid, 100));
    await within(ex.shutdown({ wait: true }), "shutdown");
    expect(futures.every((f) => f.done())).toBe(true);
    const pids = await Promise.all(futures);
    expect(new Set(pids).size).toBe(2);
    expect(pids.filter(isRunning)).toEqual([]);
    expect(() => ex.submit(add, 1, 2)).toThrow("cannot schedule new futures after shutdown");
  });

  it("shutdown({ wait: false }) returns at once; submitted calls still finish and the child goes", async () => {
    const ex = pool({ maxWorkers: 1 });
    const running = ex.submit(pid, 100);
    const queued = ex.submit(add, 1, 2);
    await within(ex.shutdown({ wait: false }), "shutdown");
    expect(() => ex.submit(add, 1, 2)).toThrow("cannot schedule new futures after shutdown");
    const childPid = await within(running, "running call");
    expect(await within(queued, "queued call")).toBe(3);
    expect(await whenGone([childPid])).toEqual([]);
  });

  it("shutdown({ cancelFutures: true }) cancels queued calls; the running one finishes", async () => {
    const ex = pool({ maxWorkers: 1 });
    const running = ex.submit(slowAdd, 1, 2, 200);
    const queued = range(3).map((i) => ex.submit(add, i, i));
    await until(() => running.running(), "first call running");
    await within(ex.shutdown({ wait: true, cancelFutures: true }), "shutdown");
    expect(await running).toBe(3);
    expect(queued.map((f) => f.cancelled())).toEqual([true, true, true]);
    await expect(queued[0]!.result()).rejects.toBeInstanceOf(CancelledError);
  });

  it("[Symbol.asyncDispose] shuts down and waits for the children", async () => {
    let future;
    {
      await using ex = pool({ maxWorkers: 1 });
      future = ex.submit(pid, 50);
    }
    expect(future.done()).toBe(true);
    expect(isRunning(await future)).toBe(false);
  });
});

describe("maxTasksPerChild", () => {
  it("maxWorkers 1, maxTasksPerChild 2: six sequential tasks see three children, in pairs", async () => {
    const ex = pool({ maxWorkers: 1, maxTasksPerChild: 2 });
    const results = [];
    for (const i of range(6)) results.push(await within(ex.submit(addWithPid, i, 10), `task ${i}`));
    expect(results.map((r) => r.sum)).toEqual(range(6).map((i) => i + 10));
    const pids = results.map((r) => r.pid);
    expect(new Set(pids).size).toBe(3);
    expect(pids).toEqual([pids[0], pids[0], pids[2], pids[2], pids[4], pids[4]]);
    await within(ex.shutdown(), "shutdown");
    // Retired children are awaited by shutdown() too.
    expect(pids.filter(isRunning)).toEqual([]);
  });

  it("counts a map chunk as one task, and never batches past the limit", async () => {
    const ex = pool({ maxWorkers: 1, maxTasksPerChild: 1 });
    const chunked = await within(ex.map(addWithPid, range(6), range(6), { chunksize: 3 }).toArray(), "map");
    expect(chunked.map((r) => r.sum)).toEqual(range(6).map((i) => 2 * i));
    const [a, , , b] = chunked.map((r) => r.pid);
    expect(chunked.map((r) => r.pid)).toEqual([a, a, a, b, b, b]);
    expect(a).not.toBe(b);
    const flood = await within(Promise.all(range(6).map((i) => ex.submit(addWithPid, i, 1))), "flood", 15);
    expect(flood.map((r) => r.sum)).toEqual(range(6).map((i) => i + 1));
    expect(new Set(flood.map((r) => r.pid)).size).toBe(6);
  });
});

describe("initializer", () => {
  it("runs once per child with initargs, before the child's first task", async () => {
    const ex = pool({ maxWorkers: 2, initializer: remember, initargs: ["tag", 7] });
    const seen = await within(Promise.all(range(6).map(() => ex.submit(remembered, 50))), "tasks", 10);
    expect(new Set(seen.map((s) => s.pid)).size).toBe(2);
    for (const state of seen) expect(state).toMatchObject({ calls: 1, tag: "tag:7" });
  });

  it("a failing initializer breaks the pool with BrokenProcessPool caused by the rebuilt error", async () => {
    const ex = pool({ maxWorkers: 1, initializer: failInit });
    const futures = [ex.submit(add, 1, 2), ex.submit(add, 3, 4)];
    const errors = await within(Promise.all(futures.map((f) => f.exception())), "futures");
    for (const error of errors) {
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect((error as Error).cause).toBeInstanceOf(RangeError);
      expect(((error as Error).cause as Error).message).toBe("initializer refused");
    }
    expect(() => ex.submit(add, 1, 2)).toThrow(BrokenProcessPool);
    await within(ex.shutdown(), "shutdown");
  });

  it("rejects a closure initializer at construction", () => {
    const tag = "captured";
    expect(() => new ProcessPoolExecutor({ initializer: () => tag })).toThrow(TypeError);
    expect(() => new ProcessPoolExecutor({ initializer: () => tag })).toThrow(/captures `tag`/);
  });
});

/** What a caller can observe of an error, recursively through its cause. */
function shape(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const props = Object.fromEntries(Object.entries(error).filter(([key]) => key !== "stack"));
  return { ctor: error.constructor.name, name: error.name, message: error.message, props, cause: shape(error.cause) };
}

describe("errors cross the boundary (SPEC §1.2)", () => {
  it("keeps name, message, the child's stack, the cause chain and own properties such as code", async () => {
    const ex = pool({ maxWorkers: 1 });
    const error = (await within(ex.submit(validate, -1).exception(), "validate")) as Error;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe("validation failed");
    expect(error.stack).toMatch(/validation failed[\s\S]*at validate \(.*pool-tasks\.ts/);
    const cause = error.cause as Error & { field?: string; code?: string };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe("ValidationError");
    expect(cause.message).toBe("must be non-negative");
    expect(cause.field).toBe("value");
    expect(cause.code).toBe("E_NEGATIVE");
    expect(cause.stack).toMatch(/pool-tasks\.ts/);
  });

  it("matches what worker threads deliver, and a throwing task is no crash", async () => {
    const ex = pool({ maxWorkers: 1 });
    const threads = new InterpreterPoolExecutor({ maxWorkers: 1 });
    try {
      const before = await ex.submit(pid);
      for (const kind of ["TypeError", "AggregateError", "SyntaxError", "string"] as const) {
        const [viaProcess, viaThread] = await within(
          Promise.all([ex.submit(throwKind, kind).exception(), threads.submit(throwKind, kind).exception()]),
          kind,
          10,
        );
        expect(shape(viaProcess)).toEqual(shape(viaThread));
      }
      const aggregate = (await ex.submit(throwKind, "AggregateError").exception()) as AggregateError;
      expect(aggregate.errors.map(shape)).toEqual([shape(new RangeError("first")), shape(new URIError("second"))]);
      expect(await ex.submit(pid)).toBe(before);
    } finally {
      await within(threads.shutdown(), "threads shutdown", 10);
    }
  });
});

describe("execArgv and env", () => {
  it("gives the children env in place of process.env, and process.env by default", async () => {
    const ex = pool({ maxWorkers: 1, env: { ...process.env, UNIRUN_TEST_VAR: "x" } });
    expect((await ex.submit(environment, "UNIRUN_TEST_VAR")).value).toBe("x");
    process.env.UNIRUN_TEST_INHERITED = "y";
    try {
      const plain = pool({ maxWorkers: 1 });
      const seen = await plain.submit(environment, "UNIRUN_TEST_INHERITED");
      expect(seen.value).toBe("y");
      expect((await plain.submit(environment, "UNIRUN_TEST_VAR")).value).toBeUndefined();
    } finally {
      delete process.env.UNIRUN_TEST_INHERITED;
    }
  });

  it("starts the children with execArgv", async () => {
    const ex = pool({ maxWorkers: 1, execArgv: ["--max-old-space-size=64"] });
    const seen = await within(ex.submit(environment, "PATH"), "task");
    expect(seen.execArgv).toContain("--max-old-space-size=64");
  });

  it("does not pass the parent's --inspect flags to the children (built package)", async () => {
    requireBuild();
    const run = await runNode(["--inspect=0", "tests/fixtures/proc-parent.mjs", "execArgv"], 20_000);
    expect(run.code, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout) as { execArgv: string[]; parentExecArgv: string[]; pid: number };
    expect(seen.parentExecArgv).toContain("--inspect=0");
    expect(seen.execArgv.filter((flag) => flag.startsWith("--inspect"))).toEqual([]);
    expect(await whenGone([seen.pid])).toEqual([]);
  });
});
