/**
 * ProcessPoolExecutor's failure contract with real child processes (SPEC §2):
 * a child that dies — exit, SIGKILL from outside, out of memory, an uncaught
 * error — breaks the pool with BrokenProcessPool carrying the exit code or
 * signal and the tail of the child's stderr; a hanging child is stopped by
 * terminateWorkers()/killWorkers(); an AbortSignal stops one task and replaces
 * its child without breaking the pool; and no child outlives its pool or its
 * parent.
 *
 * The children's stderr is forwarded to this process, so the out-of-memory and
 * uncaught-error cases print V8's report and a stack: that output is expected.
 * Waits are bounded (~5 s, for a loaded 2-core machine); no timing is asserted.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  BrokenProcessPool,
  CancelledError,
  ProcessPoolExecutor,
  task,
  wait,
  type Future,
  type ProcessPoolExecutorOptions,
} from "../src/api/futures.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import type * as Proc from "./fixtures/proc-tasks.js";
import { deadline, isRunning, killIfRunning, requireBuild, startParent, until, whenGone } from "./fixtures/proc-helpers.js";
import { range, stoppedAfterEach, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const PROC = new URL("./fixtures/proc-tasks.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const exitWith = task<typeof Pool, "exitWith">(POOL, "exitWith");
const exhaustMemory = task<typeof Pool, "exhaustMemory">(POOL, "exhaustMemory");
const throwFromTimer = task<typeof Pool, "throwFromTimer">(POOL, "throwFromTimer");
const hang = task<typeof Pool, "hang">(POOL, "hang");
const pid = task<typeof Proc, "pid">(PROC, "pid");

const pidsSeen: number[] = [];
const pool = stoppedAfterEach((options?: ProcessPoolExecutorOptions) => new ProcessPoolExecutor(options), "killWorkers");
afterEach(() => killIfRunning(pidsSeen.splice(0)));

/** The pids of the pool's `n` children, learned from `n` overlapping tasks. */
async function childPids(ex: ProcessPoolExecutor, n: number): Promise<number[]> {
  const pids = await within(Promise.all(range(n).map(() => ex.submit(pid, n > 1 ? 150 : 0))), "pid tasks", 10);
  expect(new Set(pids).size).toBe(n);
  pidsSeen.push(...pids);
  return pids;
}

/**
 * The failure contract: every given future (running or pending) fails with
 * BrokenProcessPool within a bounded wait, later submits throw it, and
 * shutdown() resolves. Returns the running future's error.
 */
async function expectBroken(ex: ProcessPoolExecutor, futures: Future<unknown>[]): Promise<BrokenProcessPool> {
  const errors = await within(Promise.all(futures.map((f) => f.exception())), "futures of the broken pool");
  for (const error of errors) expect(error).toBeInstanceOf(BrokenProcessPool);
  expect(() => ex.submit(add, 1, 2)).toThrow(BrokenProcessPool);
  await within(ex.shutdown(), "shutdown of the broken pool");
  return errors[0] as BrokenProcessPool;
}

interface ChildExit extends Error {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

describe("a child that dies breaks the pool", () => {
  it("process.exit(3): BrokenProcessPool whose message and cause carry 'exited with code 3'", async () => {
    const ex = pool({ maxWorkers: 1 });
    const [child] = await childPids(ex, 1);
    const futures = [ex.submit(exitWith, 3), ex.submit(add, 1, 2), ex.submit(add, 3, 4)];
    const error = await expectBroken(ex, futures);
    expect(error.message).toContain("exited with code 3");
    const cause = error.cause as ChildExit;
    expect(cause.name).toBe("ChildExitError");
    expect(cause.message).toContain(`child process ${child} exited with code 3`);
    expect(cause.exitCode).toBe(3);
    expect(isRunning(child!)).toBe(false);
  });

  it("fails the futures running on the other children too, and stops those children", async () => {
    const ex = pool({ maxWorkers: 2 });
    const pids = await childPids(ex, 2);
    const futures = [ex.submit(hang), ex.submit(exitWith, 3), ex.submit(add, 1, 2)];
    const error = await expectBroken(ex, futures);
    expect(error.message).toContain("exited with code 3");
    expect(await whenGone(pids)).toEqual([]);
  });

  it("SIGKILL from outside: the cause names the signal", async () => {
    const ex = pool({ maxWorkers: 1 });
    const [child] = await childPids(ex, 1);
    const running = ex.submit(hang);
    const pending = [ex.submit(add, 1, 2), ex.submit(add, 3, 4)];
    await until(() => running.running(), "hang running");
    process.kill(child!, "SIGKILL");
    const error = await expectBroken(ex, [running, ...pending]);
    expect(error.message).toContain("SIGKILL");
    expect((error.cause as ChildExit).signal).toBe("SIGKILL");
    expect(isRunning(child!)).toBe(false);
  });

  it("an idle child that dies breaks the pool as well", async () => {
    const ex = pool({ maxWorkers: 1 });
    const [child] = await childPids(ex, 1);
    process.kill(child!, "SIGKILL");
    await until(() => !isRunning(child!), "child killed");
    // The pool hears of the death on its own schedule: the next call either fails or is refused.
    let refused: unknown = null;
    try {
      refused = await within(ex.submit(add, 1, 2).exception(), "call after the death");
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(BrokenProcessPool);
    expect((refused as Error).message).toContain("SIGKILL");
    await expectBroken(ex, []);
  });

  it("out of memory: the cause carries the tail of the child's stderr", async () => {
    const ex = pool({ maxWorkers: 1, execArgv: ["--max-old-space-size=32"] });
    const futures = [ex.submit(exhaustMemory), ex.submit(add, 1, 2)];
    const error = await expectBroken(ex, futures);
    const cause = error.cause as ChildExit;
    expect(cause.stderr).toContain("heap out of memory");
    expect(cause.stderr.length).toBeLessThanOrEqual(4096);
    expect(error.message).toContain("heap out of memory");
  });

  it("an uncaught error from a timer: exit code 1, its message in the stderr tail", async () => {
    const ex = pool({ maxWorkers: 1 });
    const futures = [ex.submit(throwFromTimer, "boom from a timer"), ex.submit(add, 1, 2)];
    const error = await expectBroken(ex, futures);
    const cause = error.cause as ChildExit;
    expect(cause.exitCode).toBe(1);
    expect(cause.stderr).toContain("Error: boom from a timer");
  });
});

describe.each(["killWorkers", "terminateWorkers"] as const)("a hanging child, shutdown raced against a deadline, then %s()", (stop) => {
  it("fails the running future, cancels the pending ones, and leaves no child running", async () => {
    const ex = pool({ maxWorkers: 1 });
    const [child] = await childPids(ex, 1);
    const running = ex.submit(hang);
    const pending = [ex.submit(add, 1, 2), ex.submit(add, 3, 4)];
    await until(() => running.running(), "hang running");
    const graceful = ex.shutdown({ wait: true });
    const finished = await Promise.race([graceful.then(() => true), deadline(0.3, false)]);
    expect(finished).toBe(false);
    await within(ex[stop](), stop);
    expect(await within(running.exception(), "running future")).toBeInstanceOf(BrokenProcessPool);
    expect(pending.map((f) => f.cancelled())).toEqual([true, true]);
    await expect(pending[0]!.result()).rejects.toBeInstanceOf(CancelledError);
    const { notDone } = await within(wait([running, ...pending]), "wait()");
    expect(notDone.size).toBe(0);
    await within(graceful, "the raced shutdown");
    expect(isRunning(child!)).toBe(false);
    expect(() => ex.submit(add, 1, 2)).toThrow(BrokenProcessPool);
    await within(ex.shutdown(), "shutdown");
  });
});

describe("submitWith({ signal })", () => {
  it("abort while running: the future fails with signal.reason, that child is replaced, the pool lives on", async () => {
    const ex = pool({ maxWorkers: 1 });
    const [child] = await childPids(ex, 1);
    const controller = new AbortController();
    const running = ex.submitWith({ signal: controller.signal }, hang);
    const queued = ex.submit(add, 2, 3);
    await until(() => running.running(), "hang running");
    const reason = new Error("stop it");
    controller.abort(reason);
    expect(await within(running.exception(), "aborted future")).toBe(reason);
    expect(await whenGone([child!])).toEqual([]);
    expect(await within(queued, "queued call")).toBe(5);
    const replacement = await within(ex.submit(pid), "call on the new child");
    pidsSeen.push(replacement);
    expect(replacement).not.toBe(child);
    await within(ex.shutdown(), "shutdown");
    expect(isRunning(replacement)).toBe(false);
  });

  it("abort while pending cancels the call; an aborted signal cancels at once", async () => {
    const ex = pool({ maxWorkers: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const running = ex.submitWith({ signal: first.signal }, hang);
    const pending = ex.submitWith({ signal: second.signal }, add, 1, 2);
    await until(() => running.running(), "hang running");
    second.abort();
    expect(pending.cancelled()).toBe(true);
    expect(ex.submitWith({ signal: AbortSignal.abort() }, add, 1, 2).cancelled()).toBe(true);
    first.abort(new Error("done waiting"));
    expect(((await within(running.exception(), "aborted future")) as Error).message).toBe("done waiting");
    expect(await within(ex.submit(add, 4, 5), "next call")).toBe(9);
  });
});

describe("no child left behind", () => {
  it("the children of a parent that exits without shutdown finish their task, then exit", async () => {
    requireBuild();
    const parent = startParent(["tests/fixtures/proc-parent.mjs", "orphan", "1000"]);
    const children: number[] = [];
    try {
      const started = await parent.linesMatching(/^started (\d+)$/, 2);
      children.push(...started.map((m) => Number(m[1])));
      pidsSeen.push(...children);
      parent.proc.stdin!.end("exit now\n");
      expect(await within(parent.exited, "the parent's exit")).toEqual({ code: 0, signal: null });
      // The parent is gone; each child still runs its task to the end, then leaves.
      const finished = await parent.linesMatching(/^finished (\d+)$/, 2);
      expect(finished.map((m) => Number(m[1])).sort()).toEqual([...children].sort());
      expect(await whenGone(children)).toEqual([]);
    } finally {
      killIfRunning(parent.proc.pid ? [parent.proc.pid] : []);
    }
  });

  it("a script that uses the pool and does nothing more exits on its own; its idle children go too", async () => {
    requireBuild();
    const parent = startParent(["tests/fixtures/proc-parent.mjs", "idle"]);
    try {
      const [line] = await parent.linesMatching(/^pids (\d+) (\d+)$/, 1);
      const children = [Number(line![1]), Number(line![2])];
      pidsSeen.push(...children);
      expect(await within(parent.exited, "the parent's own exit", 10)).toEqual({ code: 0, signal: null });
      expect(await whenGone(children)).toEqual([]);
    } finally {
      killIfRunning(parent.proc.pid ? [parent.proc.pid] : []);
    }
  });
});
