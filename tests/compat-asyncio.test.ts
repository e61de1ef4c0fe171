// unirun/compat/asyncio and the asyncio names of unirun/compat (SPEC §4):
// passthrough re-exports the native objects; managed runs toThread/toProcess
// on the scheduler's shared pools (real worker threads and children), runs a
// call that cannot be transferred on the event loop with a downgrade warning,
// and sends runInExecutor(null, ...) to the scheduler's default executor.
// Each test loads a fresh module graph with its environment, since compat
// reads UNIRUN_COMPAT_MODE once, at first import.
import { threadId } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import { within } from "./helpers.js";
import { runNode } from "./run-node.js";

type Tasks = typeof import("./fixtures/asyncio-tasks.js");
const TASKS = new URL("./fixtures/asyncio-tasks.ts", import.meta.url);
const offset = 10;

/** Every configuration variable pinned, so the runner's environment cannot change what these tests see. */
const BASE_ENV = {
  UNIRUN_COMPAT_MODE: "managed",
  UNIRUN_THREAD_MODE: "auto",
  UNIRUN_FORCE_THREADS: "0",
  UNIRUN_FORCE_PROCESS: "0",
  UNIRUN_MODE: "auto",
  UNIRUN_MAX_WORKERS: "2",
  UNIRUN_WARNINGS: "default",
};

/** Every module a test needs, from one module graph; compat is imported first. */
async function importAll() {
  const compat = await import("../src/compat/asyncio.js");
  const modules = {
    compat,
    compatAll: await import("../src/compat/index.js"),
    compatFutures: await import("../src/compat/futures.js"),
    native: await import("../src/asyncio/index.js"),
    nativeFutures: await import("../src/api/futures.js"),
    nativeDefaults: await import("../src/asyncio/defaults.js"),
    managed: await import("../src/run/managed-asyncio.js"),
    scheduler: await import("../src/run/scheduler.js"),
    decisions: await import("../src/run/decisions.js"),
    warnings: await import("../src/run/warnings.js"),
    pools: await import("../src/run/pools.js"),
    context: await import("../src/run/context.js"),
    run: await import("../src/run/run.js"),
  };
  const { task } = modules.nativeFutures;
  const refs = { whereAmI: task<Tasks, "whereAmI">(TASKS, "whereAmI"), failWith: task<Tasks, "failWith">(TASKS, "failWith") };
  return { ...modules, refs };
}

type Loaded = Awaited<ReturnType<typeof importAll>>;
let loaded: Loaded | null = null;

/** A fresh module graph under `env` (on top of {@link BASE_ENV}). */
async function load(env: Partial<typeof BASE_ENV> = {}): Promise<Loaded> {
  for (const [name, value] of Object.entries({ ...BASE_ENV, ...env })) vi.stubEnv(name, value);
  vi.resetModules();
  loaded = await importAll();
  return loaded;
}

afterEach(async () => {
  const current = loaded;
  loaded = null;
  if (current !== null) {
    await within(current.scheduler.reset(), 20, "reset()");
    await within(current.nativeDefaults.shutdownDefaultExecutors({ cancelFutures: true }), 20, "native defaults");
  }
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** Every DowngradeWarning that reaches `process.on("warning")` while `body` runs, and one turn after. */
async function collectWarnings(body: () => Promise<void>): Promise<Error[]> {
  const received: Error[] = [];
  const onWarning = (warning: Error): void => {
    if (warning.name === "DowngradeWarning") received.push(warning);
  };
  process.on("warning", onWarning);
  try {
    await body();
    // Node emits warnings on process.nextTick: by setImmediate, every one emitted before has arrived.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return received;
}

const NATIVE_NAMES = [
  "BoundedSemaphore", "CancelledError", "Semaphore", "TaskGroup", "TimeoutError", "asCompleted", "gather",
  "runInExecutor", "sleep", "timeout", "toProcess", "toThread", "waitFor", "wrapFuture",
];
const SWITCHED = ["runInExecutor", "toProcess", "toThread"];

describe("exports", () => {
  it("compat/asyncio exports exactly the names of unirun/asyncio", async () => {
    const { compat, native } = await load();
    expect(Object.keys(native).sort()).toEqual(NATIVE_NAMES);
    expect(Object.keys(compat).sort()).toEqual(NATIVE_NAMES);
  });

  it("passthrough: every compat/asyncio export is the native object", async () => {
    const { compat, native } = await load({ UNIRUN_COMPAT_MODE: "passthrough" });
    for (const name of NATIVE_NAMES) {
      expect(compat[name as keyof typeof compat], name).toBe(native[name as keyof typeof native]);
    }
    // Native semantics: a closure is refused, worded for toThread.
    expect(() => compat.toThread((x: number) => x + offset, 1)).toThrow(/^toThread\(fn, \.\.\.args\): fn captures `offset`/);
  });

  it("managed: toThread, toProcess and runInExecutor are the managed ones; the rest are native", async () => {
    const { compat, native, managed } = await load();
    for (const name of NATIVE_NAMES) {
      const value = compat[name as keyof typeof compat];
      if (SWITCHED.includes(name)) expect(value, name).toBe(managed[name as keyof typeof managed]);
      else expect(value, name).toBe(native[name as keyof typeof native]);
    }
  });

  for (const mode of ["managed", "passthrough"] as const) {
    it(`unirun/compat (${mode}): every compat/futures name plus the asyncio names that do not clash`, async () => {
      const { compat, compatAll, compatFutures, nativeFutures } = await load({ UNIRUN_COMPAT_MODE: mode });
      const clashing = Object.keys(compat).filter((name) => name in compatFutures);
      expect(clashing.sort()).toEqual(["CancelledError", "TimeoutError", "asCompleted"]);
      const expected = [...Object.keys(compatFutures), ...Object.keys(compat).filter((n) => !clashing.includes(n))];
      expect(Object.keys(compatAll).sort()).toEqual(expected.sort());
      for (const name of Object.keys(compatFutures)) {
        expect(compatAll[name as keyof typeof compatAll], name).toBe(compatFutures[name as keyof typeof compatFutures]);
      }
      for (const name of Object.keys(compat)) {
        if (clashing.includes(name)) continue;
        expect(compatAll[name as keyof typeof compatAll], name).toBe(compat[name as keyof typeof compat]);
      }
      expect(compatAll.asCompleted).toBe(nativeFutures.asCompleted);
      expect(compatAll.asCompleted).not.toBe(compat.asCompleted);
    });
  }
});

describe("managed toThread", () => {
  it("runs a task reference and a self-contained function on a worker thread of a shared pool", async () => {
    const { compat, refs, decisions, pools } = await load();
    const where = await within(compat.toThread(refs.whereAmI, "t"), 20);
    expect(where).toMatchObject({ tag: "t", pid: process.pid });
    expect(where.threadId).not.toBe(threadId);
    expect(decisions.lastDecision()).toMatchObject({ requested: "toThread", resolved: "worker-threads", scope: "executor" });
    const sum = (values: number[], scale: number) => values.reduce((a, b) => a + b, 0) * scale;
    expect(await within(compat.toThread(sum, [1, 2, 3], 10), 20)).toBe(60);
    expect(pools.poolStats().shared).toBe(1);
  });

  it("reuses one shared pool for every call, the one managed executors lease", async () => {
    const { compat, refs, managed, pools, compatFutures } = await load();
    const calls = Array.from({ length: 12 }, (_, i) => compat.toThread(refs.whereAmI, `c${i}`));
    const wheres = await within(Promise.all(calls), 20);
    const size = managed.surfaceExecutor("toThread").decision.poolSize;
    const threads = new Set(wheres.map((w) => w.threadId));
    expect(threads.has(threadId)).toBe(false);
    expect(threads.size).toBeGreaterThanOrEqual(1);
    expect(threads.size).toBeLessThanOrEqual(size);
    expect(size).toBeLessThanOrEqual(2); // UNIRUN_MAX_WORKERS
    const again = await within(Promise.all(Array.from({ length: 6 }, () => compat.toThread(refs.whereAmI, "again"))), 20);
    expect(new Set([...threads, ...again.map((w) => w.threadId)]).size).toBeLessThanOrEqual(size);
    expect(pools.poolStats()).toEqual({ live: 1, shared: 1 });
    // A managed InterpreterPoolExecutor of the same size leases the same pool.
    const executor = new compatFutures.InterpreterPoolExecutor();
    const fromExecutor = await within(executor.submit(refs.whereAmI, "executor"), 20);
    expect(pools.poolStats()).toEqual({ live: 1, shared: 1 });
    expect(new Set([...threads, ...again.map((w) => w.threadId), fromExecutor.threadId]).size).toBeLessThanOrEqual(size);
    await within(executor.shutdown(), 20);
  });

  it("decides its process-wide executor outside the first caller's ExecutionContext", async () => {
    const { compat, refs, managed, context } = await load();
    const first = new context.ExecutionContext({ component: "first-caller" });
    await within(first.run(() => compat.toThread(refs.whereAmI, "ctx")), 20);
    expect(managed.surfaceExecutor("toThread").decision).toMatchObject({ requested: "toThread", component: null });
  });

  it("rejects with the worker's error rebuilt", async () => {
    const { compat, refs } = await load();
    const error = await within(compat.toThread(refs.failWith, "boom"), 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: "boom", code: "E_ASYNCIO", cause: { message: "root cause" } });
  });

  it("runs a closure on the event loop with one DowngradeWarning per reason", async () => {
    const { compat, decisions } = await load();
    let results: number[] = [];
    const warnings = await collectWarnings(async () => {
      results = await within(Promise.all([compat.toThread(() => threadId), compat.toThread((x: number) => x + offset, 1)]), 20);
    });
    expect(results).toEqual([threadId, 11]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: "UNIRUN_DOWNGRADE",
      surface: "toThread",
      requested: "worker-threads",
      resolved: "event-loop",
    });
    expect(warnings[0]!.message).toMatch(/^toThread downgraded to native behaviour: a task that is not transferable/);
    expect(decisions.lastDecision()).toMatchObject({ requested: "toThread", resolved: "event-loop", reason: "downgrade", scope: "task" });
  });

  it("runs a call with arguments that cannot be cloned on the event loop, with a warning", async () => {
    const { compat } = await load();
    let result: unknown;
    const warnings = await collectWarnings(async () => {
      result = await within(compat.toThread((f: () => number) => f(), () => 5), 20);
    });
    expect(result).toBe(5);
    expect(warnings.map((w) => (w as Error & { surface: string }).surface)).toEqual(["toThread"]);
  });

  it("throws DowngradeError for a closure under UNIRUN_WARNINGS=error, and still runs transferable calls", async () => {
    const { compat, refs, warnings } = await load({ UNIRUN_WARNINGS: "error" });
    expect(() => compat.toThread(() => threadId)).toThrow(warnings.DowngradeError);
    expect(() => compat.toProcess(() => threadId)).toThrow(warnings.DowngradeError);
    const where = await within(compat.toThread(refs.whereAmI, "still"), 20);
    expect(where.threadId).not.toBe(threadId);
  });

  it("warns about nothing under UNIRUN_WARNINGS=ignore", async () => {
    const { compat } = await load({ UNIRUN_WARNINGS: "ignore" });
    let result: unknown;
    const warnings = await collectWarnings(async () => {
      result = await within(compat.toThread(() => threadId), 20);
    });
    expect(result).toBe(threadId);
    expect(warnings).toEqual([]);
  });

  it("throws the native TypeError for a non-function", async () => {
    const { compat, native } = await load();
    for (const name of ["toThread", "toProcess"] as const) {
      const message = (() => {
        try {
          native[name](5 as never);
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(() => compat[name](5 as never)).toThrow(new TypeError(message));
    }
  });
});

describe("managed toProcess", () => {
  it("runs in a child process of one shared pool, reused across calls", async () => {
    const { compat, refs, managed, pools, decisions } = await load();
    const first = await within(compat.toProcess(refs.whereAmI, "p"), 20);
    expect(first.tag).toBe("p");
    expect(first.pid).not.toBe(process.pid);
    expect(decisions.lastDecision()).toMatchObject({ requested: "toProcess", resolved: "child-processes" });
    const rest = await within(Promise.all(Array.from({ length: 8 }, (_, i) => compat.toProcess(refs.whereAmI, `p${i}`))), 20);
    const pids = new Set([first.pid, ...rest.map((w) => w.pid)]);
    expect(pids.has(process.pid)).toBe(false);
    expect(pids.size).toBeLessThanOrEqual(managed.surfaceExecutor("toProcess").decision.poolSize);
    expect(pools.poolStats()).toEqual({ live: 1, shared: 1 });
    expect(await within(compat.toProcess((a: bigint, b: bigint) => a * b, 6n, 7n), 20)).toBe(42n);
  });

  it("runs a closure on the event loop with a DowngradeWarning", async () => {
    const { compat } = await load();
    let result: unknown;
    const warnings = await collectWarnings(async () => {
      result = await within(compat.toProcess(() => process.pid + offset), 20);
    });
    expect(result).toBe(process.pid + offset);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ surface: "toProcess", requested: "child-processes", resolved: "event-loop" });
  });
});

describe("managed runInExecutor", () => {
  it("sends runInExecutor(null, ...) to the scheduler's default executor", async () => {
    const { compat, scheduler } = await load();
    const executor = scheduler.defaultExecutor();
    expect(executor.decision).toMatchObject({ name: "default", scope: "executor" });
    const submit = vi.spyOn(executor, "submit");
    expect(await within(compat.runInExecutor(null, async (x: number) => x + offset, 1), 20)).toBe(11);
    expect(await within(compat.runInExecutor(undefined, () => threadId), 20)).toBe(threadId);
    expect(submit).toHaveBeenCalledTimes(2);
  });

  it("uses the innermost Run.scope's executor, as submit does", async () => {
    const { compat, run, scheduler } = await load();
    const value = await within(
      run.Run.scope({ flavor: "threads", maxWorkers: 1, name: "scoped" }, async (executor) => {
        expect(scheduler.defaultExecutor()).toBe(executor);
        const submit = vi.spyOn(executor, "submit");
        const out = await compat.runInExecutor(null, (x: number) => x * 2, 21);
        expect(submit).toHaveBeenCalledOnce();
        return out;
      }),
      20,
    );
    expect(value).toBe(42);
  });

  it("with an executor, behaves as the native runInExecutor", async () => {
    const { compat, native, nativeFutures } = await load();
    const executor = new nativeFutures.ThreadPoolExecutor({ maxWorkers: 1 });
    const submit = vi.spyOn(executor, "submit");
    expect(await within(compat.runInExecutor(executor, (x: number) => x + offset, 1), 20)).toBe(11);
    expect(submit).toHaveBeenCalledOnce();
    await executor.shutdown();
    const sameError = (call: (run: typeof native.runInExecutor) => unknown): void => {
      const messages = [compat.runInExecutor, native.runInExecutor].map((run) => {
        try {
          call(run);
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
        return "did not throw";
      });
      expect(messages[0]).toMatch(/^TypeError: runInExecutor\(executor, fn, \.\.\.args\)/);
      expect(messages[0]).toBe(messages[1]);
    };
    sameError((run) => run({} as never, () => 1));
    sameError((run) => run(null, 5 as never));
  });
});

describe("process lifetime", () => {
  it("importing starts nothing, and a program that never resets exits on its own", async () => {
    const run = await runNode(["--import", "tsx", "tests/fixtures/compat-asyncio-exit.ts"], 30_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const [imported, used] = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(imported).toEqual({ piscinaAfterImport: false });
    expect(used).toEqual({ onWorkerThread: true, inChildProcess: true, doubled: 42, closureOnMainThread: true, local: 2 });
  });
});
