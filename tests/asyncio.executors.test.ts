// unirun/asyncio: toThread, toProcess, runInExecutor and wrapFuture, on real
// worker threads and child processes, and the default executors behind them.
import { AsyncLocalStorage } from "node:async_hooks";
import { threadId } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import {
  BrokenInterpreterPool,
  CancelledError,
  InterpreterPoolExecutor,
  ThreadPoolExecutor,
  task,
} from "../src/api/futures.js";
import { runInExecutor, toProcess, toThread, wrapFuture } from "../src/asyncio/index.js";
import { defaultExecutor, shutdownDefaultExecutors } from "../src/asyncio/defaults.js";
import { settled, turns, until } from "./fixtures/asyncio-helpers.js";
import { runNode } from "./run-node.js";
import { createFuture, deferred, thrown, within } from "./helpers.js";

type Tasks = typeof import("./fixtures/asyncio-tasks.js");
const TASKS = new URL("./fixtures/asyncio-tasks.ts", import.meta.url);
const whereAmI = task<Tasks, "whereAmI">(TASKS, "whereAmI");
const failWith = task<Tasks, "failWith">(TASKS, "failWith");
const offset = 10;

afterAll(() => shutdownDefaultExecutors({ cancelFutures: true }));

describe("toThread", () => {
  it("runs a task reference on a worker thread of the default pool", async () => {
    const where = await within(toThread(whereAmI, "t"), 20);
    expect(where.tag).toBe("t");
    expect(where.threadId).not.toBe(threadId);
    expect(where.pid).toBe(process.pid);
  });

  it("runs a self-contained function, with its arguments cloned", async () => {
    const sum = (values: number[], scale: number) => values.reduce((a, b) => a + b, 0) * scale;
    expect(await within(toThread(sum, [1, 2, 3], 10), 20)).toBe(60);
  });

  it("reuses one default pool for every call", async () => {
    const pool = defaultExecutor("worker-threads");
    expect(pool).toBeInstanceOf(InterpreterPoolExecutor);
    await within(Promise.all([toThread(whereAmI, "a"), toThread(whereAmI, "b")]), 20);
    expect(defaultExecutor("worker-threads")).toBe(pool);
  });

  it("rejects a closure synchronously with the §1.1 TypeError, worded for toThread", () => {
    const error = thrown(() => toThread((x: number) => x + offset, 1)) as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^toThread\(fn, \.\.\.args\): fn captures `offset`/);
    expect(error.message).toMatch(/task\(new URL\(/);
    expect((thrown(() => toThread(5 as never)) as Error).message).toBe("toThread(fn, ...args): fn must be a function; got number 5");
  });

  it("rejects with the worker's error rebuilt as its built-in class, code and cause", async () => {
    const error = await within(toThread(failWith, "from a worker"), 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: "from a worker", code: "E_ASYNCIO", cause: { message: "root cause" } });
  });

  it("replaces a default pool found broken on the next call", async () => {
    const pool = defaultExecutor("worker-threads") as InterpreterPoolExecutor;
    await within(toThread(whereAmI, "warm"), 20);
    await within(pool.terminateWorkers(), 20);
    expect(thrown(() => pool.submit(whereAmI, "x"))).toBeInstanceOf(BrokenInterpreterPool);
    const where = await within(toThread(whereAmI, "after"), 20);
    expect(where.tag).toBe("after");
    expect(defaultExecutor("worker-threads")).not.toBe(pool);
  });
});

describe("toProcess", () => {
  it("runs a task reference and a self-contained function in a child process", async () => {
    const where = await within(toProcess(whereAmI, "p"), 20);
    expect(where.tag).toBe("p");
    expect(where.pid).not.toBe(process.pid);
    expect(await within(toProcess((a: bigint, b: bigint) => a * b, 6n, 7n), 20)).toBe(42n);
  });

  it("rejects a closure synchronously, worded for toProcess", () => {
    const error = thrown(() => toProcess(() => offset)) as TypeError;
    expect(error.message).toMatch(/^toProcess\(fn, \.\.\.args\): fn captures `offset`/);
  });
});

describe("runInExecutor", () => {
  it("with null, runs any function (closures included) on the default event-loop executor", async () => {
    expect(await within(runInExecutor(null, (x: number) => x + offset, 1))).toBe(11);
    expect(await within(runInExecutor(undefined, async () => threadId))).toBe(threadId);
    expect(defaultExecutor("event-loop")).toBeInstanceOf(ThreadPoolExecutor);
  });

  it("with null, shares one executor: at most its maxWorkers calls run at once", async () => {
    const pool = defaultExecutor("event-loop") as ThreadPoolExecutor;
    const gate = deferred();
    let started = 0;
    const calls = Array.from({ length: pool.maxWorkers + 1 }, () => runInExecutor(null, async () => {
      started++;
      await gate.promise;
    }));
    await until(() => started === pool.maxWorkers, 5, "the pool filling up");
    await turns();
    expect(started).toBe(pool.maxWorkers); // one waits: a pool per call would have started them all
    gate.resolve();
    await within(Promise.all(calls));
    expect(started).toBe(pool.maxWorkers + 1);
  });

  it("AsyncLocalStorage context flows into calls on the event loop, default or given executor", async () => {
    const als = new AsyncLocalStorage<{ id: string }>();
    const read = async (): Promise<string | undefined> => {
      await turns(1);
      return als.getStore()?.id;
    };
    const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const [fromDefault, fromGiven] = await within(als.run({ id: "req-7" }, () =>
        Promise.all([runInExecutor(null, read), runInExecutor(ex, read)])));
      expect(fromDefault).toBe("req-7");
      expect(fromGiven).toBe("req-7");
      expect(await within(runInExecutor(null, read))).toBeUndefined(); // outside any context
    } finally {
      await ex.shutdown();
    }
  });

  it("with an executor, submits to it: a worker pool runs the call on a worker thread", async () => {
    const ex = new InterpreterPoolExecutor({ maxWorkers: 1 });
    try {
      const where = await within(runInExecutor(ex, whereAmI, "given"), 20);
      expect(where.threadId).not.toBe(threadId);
    } finally {
      await ex.shutdown();
    }
  });

  it("passes on what submit throws, and rejects a bad executor or fn synchronously", async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    await ex.shutdown();
    expect((thrown(() => runInExecutor(ex, () => 1)) as Error).message).toBe("cannot schedule new futures after shutdown");
    const bad = thrown(() => runInExecutor({} as never, () => 1)) as TypeError;
    expect(bad.message).toBe(
      "runInExecutor(executor, fn, ...args): executor must be an Executor (anything with submit(fn, ...args)) "
        + "or null for the default executor; got an Object",
    );
    expect((thrown(() => runInExecutor(null, "f" as never)) as Error).message)
      .toBe('runInExecutor(executor, fn, ...args): fn must be a function; got "f"');
  });
});

describe("wrapFuture", () => {
  it("settles as the future does: result, exception, or CancelledError", async () => {
    expect(await within(wrapFuture(createFuture("FINISHED", { result: 5 })))).toBe(5);
    const error = new Error("failed");
    await expect(within(wrapFuture(createFuture("FINISHED", { exception: error })))).rejects.toBe(error);
    const pending = createFuture<number>("PENDING");
    const wrapped = wrapFuture(pending);
    expect(await settled(wrapped)).toBe("pending");
    pending.cancel();
    await expect(within(wrapped)).rejects.toBeInstanceOf(CancelledError);
  });

  it("returns a Promise as is, and rejects anything else synchronously", () => {
    const p = Promise.resolve(1);
    expect(wrapFuture(p)).toBe(p);
    expect((thrown(() => wrapFuture(5 as never)) as Error).message)
      .toBe("wrapFuture(future): future must be a unirun Future (from executor.submit) or a Promise; got number 5");
  });
});

describe("loading and exit", () => {
  it("importing starts nothing; a script using every default executor exits on its own", async () => {
    const run = await runNode(["--import", "tsx", "tests/fixtures/asyncio-exit.ts"], 30_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const [loaded, used] = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(loaded).toEqual({ afterImport: { piscina: false, acorn: false }, executors: [] });
    expect(used).toEqual({
      afterUse: { piscina: true, acorn: true },
      executors: ["event-loop", "worker-threads", "child-processes"],
      onWorkerThread: true,
      inChildProcess: true,
      doubled: 42,
      local: 2,
    });
  });
});
