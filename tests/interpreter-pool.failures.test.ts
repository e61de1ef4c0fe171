/**
 * InterpreterPoolExecutor's failure contract with real worker threads (SPEC §2):
 * a worker that dies — process.exit(), an uncaught error from a timer, out of
 * memory under resourceLimits, terminated from outside — breaks the pool with
 * BrokenInterpreterPool carrying the cause; every running and pending future
 * fails, wait()/asCompleted() over them complete, later submits throw,
 * shutdown() resolves and the pool's threads are gone. A worker that never
 * returns is stopped by putting a deadline on shutdown() and then calling
 * terminateWorkers()/killWorkers(). And a script that uses a pool and never
 * shuts it down still exits on its own.
 *
 * The spec says the futures fail within a second; the waits here are bounded
 * more generously (5 s) to stay robust on a loaded 2-core machine. No timing
 * is asserted. A worker that dies of an uncaught error or of memory may print
 * to stderr: that output is expected.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import {
  BrokenInterpreterPool,
  CancelledError,
  InterpreterPoolExecutor,
  asCompleted,
  task,
  wait,
  type Future,
  type InterpreterPoolExecutorOptions,
} from "../src/api/futures.js";
import { deadline } from "./fixtures/proc-helpers.js";
import { backendOf, exited, sharedCell, started } from "./fixtures/pool-helpers.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import type * as Threads from "./fixtures/pool-threads.js";
import { root, runNode } from "./run-node.js";
import { range, stoppedAfterEach, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const THREADS = new URL("./fixtures/pool-threads.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const exitWith = task<typeof Pool, "exitWith">(POOL, "exitWith");
const throwFromTimer = task<typeof Pool, "throwFromTimer">(POOL, "throwFromTimer");
const exhaustMemory = task<typeof Pool, "exhaustMemory">(POOL, "exhaustMemory");
const hangReporting = task<typeof Threads, "hangReporting">(THREADS, "hangReporting");

const pool = stoppedAfterEach((options?: InterpreterPoolExecutorOptions) => new InterpreterPoolExecutor(options));

interface Scene {
  ex: InterpreterPoolExecutor;
  /** The worker thread running `hangReporting`, and every worker of the pool. */
  hangWorker: Worker;
  workers: readonly Worker[];
  /** The `hangReporting` future (running on a worker), then the pending ones. */
  running: Future<never>;
  pending: Future<number>[];
}

/**
 * A pool of two workers, one really running a task that never returns, and
 * three calls queued behind whatever the caller sends to the other worker.
 */
async function saturated(options: InterpreterPoolExecutorOptions, fatal: (ex: InterpreterPoolExecutor) => Future<unknown>) {
  const ex = pool({ maxWorkers: 2, ...options });
  const cell = sharedCell();
  const running = ex.submit(hangReporting, cell);
  const hangThread = await started(cell);
  const killer = fatal(ex);
  const pending = range(3).map((i) => ex.submit(add, i, i));
  const workers = backendOf(ex).threads;
  const hangWorker = workers.find((worker) => worker.threadId === hangThread)!;
  expect(hangWorker).toBeDefined();
  return { scene: { ex, hangWorker, workers, running, pending } satisfies Scene, killer };
}

/**
 * The failure contract: every given future fails with BrokenInterpreterPool
 * within a bounded wait, wait() and asCompleted() over them complete, later
 * submits throw it, shutdown() resolves and every worker is gone. Returns the
 * errors, in the order of `futures`.
 */
async function expectBroken(ex: InterpreterPoolExecutor, futures: Future<unknown>[], workers: readonly Worker[]) {
  const { done, notDone } = await within(wait(futures), "wait() over the futures of the broken pool");
  expect(done.size).toBe(futures.length);
  expect(notDone.size).toBe(0);
  const yielded: Future<unknown>[] = [];
  await within(
    (async () => {
      for await (const future of asCompleted(futures)) yielded.push(future);
    })(),
    "asCompleted() over the futures of the broken pool",
  );
  expect(new Set(yielded)).toEqual(new Set(futures));
  const errors = await within(Promise.all(futures.map((f) => f.exception())), "futures of the broken pool");
  for (const error of errors) expect(error).toBeInstanceOf(BrokenInterpreterPool);
  expect(() => ex.submit(add, 1, 2)).toThrow(BrokenInterpreterPool);
  await within(ex.shutdown(), "shutdown of the broken pool");
  await within(Promise.all(workers.map(exited)), "exit of every worker of the broken pool");
  return errors as BrokenInterpreterPool[];
}

describe("a worker that dies breaks the pool: running and pending futures fail", () => {
  it("process.exit(3) in a task: the message and the cause carry the exit code", async () => {
    const { scene, killer } = await saturated({}, (ex) => ex.submit(exitWith, 3));
    const errors = await expectBroken(scene.ex, [killer, scene.running, ...scene.pending], scene.workers);
    for (const error of errors) {
      expect(error.message).toMatch(/exited with code:? 3/);
      expect((error.cause as Error).message).toMatch(/exited with code:? 3/);
    }
  });

  it("an uncaught error thrown from a timer in the worker: the cause is that error", async () => {
    const { scene, killer } = await saturated({}, (ex) => ex.submit(throwFromTimer, "boom from a timer"));
    const errors = await expectBroken(scene.ex, [killer, scene.running, ...scene.pending], scene.workers);
    for (const error of errors) {
      expect(error.cause).toBeInstanceOf(Error);
      expect((error.cause as Error).message).toBe("boom from a timer");
      expect(error.message).toMatch(/boom from a timer/);
    }
  });

  it("out of memory under resourceLimits: the cause is ERR_WORKER_OUT_OF_MEMORY", async () => {
    const resourceLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 };
    const { scene, killer } = await saturated({ resourceLimits }, (ex) => ex.submit(exhaustMemory));
    const errors = await expectBroken(scene.ex, [killer, scene.running, ...scene.pending], scene.workers);
    for (const error of errors) {
      expect((error.cause as NodeJS.ErrnoException).code).toBe("ERR_WORKER_OUT_OF_MEMORY");
      expect(error.message).toMatch(/memory/);
    }
  });

  it("a worker terminated from outside while it runs a task: the cause names its exit", async () => {
    const ex = pool({ maxWorkers: 2 });
    const [firstCell, secondCell] = [sharedCell(), sharedCell()];
    const first = ex.submit(hangReporting, firstCell);
    const second = ex.submit(hangReporting, secondCell);
    const firstThread = await started(firstCell);
    await started(secondCell);
    const pending = range(3).map((i) => ex.submit(add, i, i));
    const workers = backendOf(ex).threads;
    const victim = workers.find((worker) => worker.threadId === firstThread)!;
    void victim.terminate();
    const errors = await expectBroken(ex, [first, second, ...pending], workers);
    for (const error of errors) expect((error.cause as Error).message).toMatch(/exited with code/);
  });
});

describe("a worker that never returns: a deadline on shutdown(), then terminateWorkers()", () => {
  // The pattern for callers (SPEC §2): shutdown() waits for running calls, so
  // race it against a deadline; when the deadline wins, stop the workers.
  //   const finished = await Promise.race([ex.shutdown().then(() => true), deadline(seconds, false)]);
  //   if (!finished) await ex.terminateWorkers();
  it.each(["terminateWorkers", "killWorkers"] as const)(
    "%s(): the running future fails with BrokenInterpreterPool, pending ones are cancelled, shutdown() resolves",
    async (stop) => {
      const ex = pool({ maxWorkers: 1 });
      const cell = sharedCell();
      const running = ex.submit(hangReporting, cell);
      const pending = range(3).map((i) => ex.submit(add, i, i));
      await started(cell);
      const workers = backendOf(ex).threads;
      const shutdown = ex.shutdown({ wait: true });
      const finished = await Promise.race([shutdown.then(() => true), deadline(0.3, false)]);
      expect(finished).toBe(false);
      await within(ex[stop](), stop);
      await within(shutdown, "the raced shutdown()");
      expect(await within(running.exception(), "the running future")).toBeInstanceOf(BrokenInterpreterPool);
      for (const future of pending) {
        expect(future.cancelled()).toBe(true);
        await expect(within(future.result(), "a pending future")).rejects.toBeInstanceOf(CancelledError);
      }
      const { notDone } = await within(wait([running, ...pending]), "wait() over the stopped pool's futures");
      expect(notDone.size).toBe(0);
      expect(() => ex.submit(add, 1, 2)).toThrow();
      await within(Promise.all(workers.map(exited)), "exit of the stopped worker");
    },
  );
});

describe("exit behaviour", () => {
  it("a script that uses the pool and never shuts it down exits on its own with code 0", async () => {
    if (!existsSync(path.join(root, "dist", "worker.js"))) {
      throw new Error("dist/ is missing: run `npx tsup --silent` first (`npm test` does)");
    }
    const script = new URL("./fixtures/pool-exit.mjs", import.meta.url).pathname;
    const run = await runNode([script], 10_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toEqual({ sums: [3, 7, 11], squares: [0, 1, 4, 9], greeting: "hello, pool" });
  });
});
