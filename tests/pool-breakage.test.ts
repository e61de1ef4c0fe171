/**
 * How pools break, with real worker threads and child processes (SPEC §2):
 *
 * - a worker or child that exits on its own *while idle* breaks the pool
 *   (piscina alone would replace it silently): every running and pending
 *   future fails with the pool's Broken* error carrying the exit code, later
 *   submits throw — but the pool's own terminations (shutdown, an abort's
 *   replacement) break nothing;
 * - after a break, shutdown()/terminateWorkers()/killWorkers() resolve only
 *   once the workers are gone (checked on thread ids and pids, not on time);
 * - a child's last words on stderr reach the BrokenProcessPool message even
 *   when they arrive after its 'exit' event.
 *
 * Waits are bounded; no timing is asserted. Children and workers that exit
 * with a message print it to stderr: that output is expected.
 */
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BrokenInterpreterPool,
  BrokenProcessPool,
  InterpreterPoolExecutor,
  ProcessPoolExecutor,
  task,
  type Future,
} from "../src/api/futures.js";
import type * as Exits from "./fixtures/pool-exits.js";
import { backendOf, exited, release, sharedCell, started } from "./fixtures/pool-helpers.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import type * as Threads from "./fixtures/pool-threads.js";
import type * as Proc from "./fixtures/proc-tasks.js";
import { isRunning, killIfRunning, whenGone } from "./fixtures/proc-helpers.js";
import { range, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const THREADS = new URL("./fixtures/pool-threads.ts", import.meta.url);
const EXITS = new URL("./fixtures/pool-exits.ts", import.meta.url);
const PROC = new URL("./fixtures/proc-tasks.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const hang = task<typeof Pool, "hang">(POOL, "hang");
const exitWith = task<typeof Pool, "exitWith">(POOL, "exitWith");
const hangReporting = task<typeof Threads, "hangReporting">(THREADS, "hangReporting");
const exitWhenReleased = task<typeof Exits, "exitWhenReleased">(EXITS, "exitWhenReleased");
const exitSoon = task<typeof Exits, "exitSoon">(EXITS, "exitSoon");
const stderrThenExit = task<typeof Exits, "stderrThenExit">(EXITS, "stderrThenExit");
const pid = task<typeof Proc, "pid">(PROC, "pid");

const made: (InterpreterPoolExecutor | ProcessPoolExecutor)[] = [];
const pidsSeen: number[] = [];
function threads(maxWorkers: number): InterpreterPoolExecutor {
  const ex = new InterpreterPoolExecutor({ maxWorkers });
  made.push(ex);
  return ex;
}
function processes(maxWorkers: number): ProcessPoolExecutor {
  const ex = new ProcessPoolExecutor({ maxWorkers });
  made.push(ex);
  return ex;
}
afterEach(async () => {
  vi.restoreAllMocks();
  for (const ex of made.splice(0)) await within(ex.killWorkers(), "cleanup killWorkers", 10);
  killIfRunning(pidsSeen.splice(0));
});

/** The next submit's refusal, or the failure of its future: a broken pool gives one or the other. */
async function nextCallError(ex: InterpreterPoolExecutor | ProcessPoolExecutor): Promise<unknown> {
  try {
    return await within(ex.submit(add, 1, 2).exception(), "a call after the death");
  } catch (error) {
    return error;
  }
}

/** A turn of the event loop's check phase: after it, what an 'exit' listener scheduled with setImmediate has run. */
function checkPhase(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The pids of `n` children of the pool, learned from `n` overlapping tasks. */
async function childPids(ex: ProcessPoolExecutor, n: number): Promise<number[]> {
  const pids = await within(Promise.all(range(n).map(() => ex.submit(pid, n > 1 ? 150 : 0))), "pid tasks", 10);
  expect(new Set(pids).size).toBe(n);
  pidsSeen.push(...pids);
  return pids;
}

describe("a worker thread that exits on its own while idle breaks the pool", () => {
  it("the future running on the other worker fails with BrokenInterpreterPool carrying the exit code; later submits throw", async () => {
    const ex = threads(2);
    const [hangCell, exitCell] = [sharedCell(), sharedCell()];
    const running = ex.submit(hangReporting, hangCell);
    await started(hangCell);
    const exiting = await within(ex.submit(exitWhenReleased, exitCell, 3), "exitWhenReleased");
    expect(await started(exitCell)).toBe(exiting);
    const workers = backendOf(ex).threads;
    const idle = workers.find((worker) => worker.threadId === exiting)!;
    expect(idle).toBeDefined();
    release(exitCell); // the task returned long ago: its worker is idle when it exits
    expect(await within(exited(idle), "the idle worker's exit")).toBe(3);
    const error = (await within(running.exception(), "the running future")) as BrokenInterpreterPool;
    expect(error).toBeInstanceOf(BrokenInterpreterPool);
    expect(error.message).toMatch(/exited with code 3/);
    expect((error.cause as Error).name).toBe("WorkerExitError");
    expect(error.cause).toMatchObject({ threadId: exiting, exitCode: 3 });
    expect(() => ex.submit(add, 1, 2)).toThrow(BrokenInterpreterPool);
    await within(ex.shutdown(), "shutdown of the broken pool");
    expect(workers.map((worker) => worker.threadId)).toEqual(workers.map(() => -1));
  });

  it("a task that schedules process.exit(3) and returns at once: the next call is refused or fails", async () => {
    const ex = threads(1);
    const where = await within(ex.submit(exitSoon, 3, 50), "exitSoon");
    const worker = backendOf(ex).threads.find((each) => each.threadId === where.threadId)!;
    expect(worker).toBeDefined();
    expect(await within(exited(worker), "the idle worker's exit")).toBe(3);
    const error = await nextCallError(ex);
    expect(error).toBeInstanceOf(BrokenInterpreterPool);
    expect((error as Error).message).toMatch(/exited with code 3/);
    expect(() => ex.submit(add, 1, 2)).toThrow(BrokenInterpreterPool);
  });

  it("the pool's own terminations break nothing: an abort's replacement, then shutdown()", async () => {
    const ex = threads(1);
    const cell = sharedCell();
    const controller = new AbortController();
    const aborted = ex.submitWith({ signal: controller.signal }, hangReporting, cell);
    const victimId = await started(cell);
    const victim = backendOf(ex).threads.find((worker) => worker.threadId === victimId)!;
    controller.abort(new Error("enough"));
    expect(((await within(aborted.exception(), "the aborted call")) as Error).message).toBe("enough");
    await within(exited(victim), "the replaced worker's exit");
    await checkPhase();
    expect(await within(ex.submit(add, 2, 3), "a call after the replacement")).toBe(5);
    const workers = backendOf(ex).threads;
    await within(ex.shutdown(), "shutdown");
    expect(workers.map((worker) => worker.threadId)).toEqual(workers.map(() => -1));
    await checkPhase();
    expect(() => ex.submit(add, 1, 2)).toThrow("cannot schedule new futures after shutdown");
  });
});

describe("a child process that exits on its own while idle breaks the pool", () => {
  it("with its exit code and the tail of its stderr; later submits throw", async () => {
    const ex = processes(1);
    const line = `unirun idle child ${process.pid} says goodbye`;
    const child = (await within(ex.submit(exitSoon, 5, 50, line), "exitSoon")).pid;
    pidsSeen.push(child);
    expect(await whenGone([child])).toEqual([]);
    const error = await nextCallError(ex);
    expect(error).toBeInstanceOf(BrokenProcessPool);
    expect((error as Error).message).toContain("exited with code 5");
    expect((error as Error).message).toContain(line);
    expect((error as Error).cause).toMatchObject({ exitCode: 5 });
    expect(() => ex.submit(add, 1, 2)).toThrow(BrokenProcessPool);
    await within(ex.shutdown(), "shutdown of the broken pool");
  });
});

describe("a child's last words on stderr reach the BrokenProcessPool error", () => {
  it.each([0, 512 * 1024])("a task writes %i bytes and a line to stderr, then exits with code 7", async (filler) => {
    const ex = processes(1);
    const line = `unirun child ${process.pid} last words: the disk is on fire`;
    // The parent forwards its children's stderr: keep half a megabyte of dots out of the test report.
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const dying = ex.submit(stderrThenExit, line, 7, filler);
    const error = (await within(dying.exception(), "the dying call")) as BrokenProcessPool;
    vi.restoreAllMocks();
    expect(error).toBeInstanceOf(BrokenProcessPool);
    expect(error.message).toContain("exited with code 7");
    expect(error.message).toContain(line);
    expect(error.cause).toMatchObject({ exitCode: 7 });
    expect((error.cause as { stderr: string }).stderr).toContain(line);
  });
});

describe.each(["shutdown", "terminateWorkers", "killWorkers"] as const)(
  "after a break, %s() resolves only once the workers are gone",
  (stop) => {
    it("worker threads: every thread of the pool has exited when it resolves", async () => {
      const ex = threads(2);
      const [hangCell, exitCell] = [sharedCell(), sharedCell()];
      const running: Future<never> = ex.submit(hangReporting, hangCell);
      await started(hangCell);
      const dying = ex.submit(exitWhenReleased, exitCell, 3);
      await started(exitCell);
      const workers: readonly Worker[] = backendOf(ex).threads;
      expect(workers).toHaveLength(2);
      await within(dying, "exitWhenReleased");
      release(exitCell);
      expect(await within(running.exception(), "the running future")).toBeInstanceOf(BrokenInterpreterPool);
      await within(ex[stop](), stop);
      expect(workers.map((worker) => worker.threadId)).toEqual([-1, -1]);
    });

    it("child processes: no child of the pool is running when it resolves", async () => {
      const ex = processes(2);
      const pids = await childPids(ex, 2);
      const futures = [ex.submit(hang), ex.submit(exitWith, 3)];
      const errors = await within(Promise.all(futures.map((future) => future.exception())), "the pool's futures");
      for (const error of errors) expect(error).toBeInstanceOf(BrokenProcessPool);
      await within(ex[stop](), stop);
      expect(pids.filter(isRunning)).toEqual([]);
    });
  },
);
