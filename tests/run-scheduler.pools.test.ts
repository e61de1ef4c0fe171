/**
 * The scheduler's shared pools (SPEC §5) with real worker threads and child
 * processes: executors with the same backend, size and shape lease one pool;
 * one holder's shutdown never stops another's work; the last release shuts
 * the pool down; each executor's maxWorkers limits its own calls on a shared
 * pool; a pool that breaks breaks its holders and is replaced for new ones;
 * reset() and the process's exit tear every pool down.
 *
 * Waits are bounded; no timing is asserted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BrokenInterpreterPool, BrokenProcessPool } from "../src/api/futures.js";
import { kPoolBackend } from "../src/executors/pool-executor.js";
import { reset, Run, RuntimeConfig } from "../src/index.js";
import { capabilities } from "../src/run/capabilities.js";
import { lease, poolStats } from "../src/run/pools.js";
import { isRunning, killIfRunning, startParent, until, whenGone } from "./fixtures/proc-helpers.js";
import {
  counterCell,
  counts,
  exitNow,
  hang,
  holdCounting,
  pidAfter,
  releaseCalls,
  square,
  startedAtLeast,
  where,
} from "./fixtures/sched-helpers.js";
import { within } from "./thread-pool.helpers.js";

const pidsSeen: number[] = [];
afterEach(async () => {
  await within(reset(), "reset()", 10);
  killIfRunning(pidsSeen.splice(0));
});

/** A Run whose pids are killed after the test if anything is left. */
async function pidOf(run: Run): Promise<number> {
  const { pid } = await within(run.submit(where), "where()", 10);
  pidsSeen.push(pid);
  return pid;
}

describe("two executors, one pool", () => {
  it("executors with the same backend and size lease the same pool (same child)", async () => {
    const a = new Run({ flavor: "processes", maxWorkers: 1 });
    const b = new Run({ flavor: "processes", maxWorkers: 1 });
    const pid = await pidOf(a);
    expect(pid).not.toBe(process.pid);
    expect(await pidOf(b)).toBe(pid);
    expect(poolStats()).toEqual({ live: 1, shared: 1 });
    const other = new Run({ flavor: "processes", maxWorkers: 2 });
    expect(await pidOf(other)).not.toBe(pid);
    expect(poolStats()).toEqual({ live: 2, shared: 2 });
  });

  it("one holder's shutdown does not stop the other's running work", async () => {
    const a = new Run({ flavor: "interpreters", maxWorkers: 2 });
    const b = new Run({ flavor: "interpreters", maxWorkers: 2 });
    const cell = counterCell();
    const running = b.submit(holdCounting, cell);
    await startedAtLeast(cell, 1);
    expect(await within(a.submit(square, 3), "a's call")).toBe(9);
    await within(a.shutdown(), "a.shutdown()");
    expect(running.done()).toBe(false);
    expect(poolStats().live).toBe(1);
    releaseCalls(cell, 1);
    expect(await within(running, "b's running call")).toBeGreaterThan(0);
    expect(await within(b.submit(square, 4), "b after a left")).toBe(16);
    await within(b.shutdown(), "b.shutdown()");
    expect(poolStats()).toEqual({ live: 0, shared: 0 });
  });

  it("the last release shuts the pool down: its child is gone", async () => {
    const a = new Run({ flavor: "processes", maxWorkers: 1 });
    const b = new Run({ flavor: "processes", maxWorkers: 1 });
    const pid = await pidOf(a);
    expect(await pidOf(b)).toBe(pid);
    await within(a.shutdown(), "a.shutdown()");
    expect(isRunning(pid)).toBe(true);
    expect(await pidOf(b)).toBe(pid);
    await within(b.shutdown(), "b.shutdown()");
    expect(await whenGone([pid])).toEqual([]);
    expect(poolStats()).toEqual({ live: 0, shared: 0 });
  });
});

describe("each executor's maxWorkers on a shared pool", () => {
  const workers = capabilities().suggested.cpu;

  it.skipIf(workers < 2)("limits that executor's calls in flight, while the pool serves others", async () => {
    // A routes its task references to the automatically sized worker pool
    // (nogil), which B (interpreters, automatic size) leases too.
    const config = new RuntimeConfig({ threadMode: "nogil", warnings: "ignore" });
    const a = new Run({ flavor: "threads", maxWorkers: 1, config });
    const b = new Run({ flavor: "interpreters", config });
    const mine = counterCell();
    const theirs = counterCell();
    // Were A's limit not kept, these would take every worker and B's call would wait behind them.
    const held = Array.from({ length: workers + 1 }, () => a.submit(holdCounting, mine));
    const other = b.submit(holdCounting, theirs);
    await startedAtLeast(theirs, 1);
    await startedAtLeast(mine, 1);
    expect(poolStats()).toEqual({ live: 1, shared: 1 });
    expect(counts(mine)).toMatchObject({ running: 1, started: 1 });
    releaseCalls(mine, held.length);
    releaseCalls(theirs, 1);
    await within(Promise.all([...held, other]), "every held call");
    expect(counts(mine)).toEqual({ running: 0, max: 1, started: held.length });
  });
});

describe("a shared pool that breaks", () => {
  it.each([
    ["processes", BrokenProcessPool],
    ["interpreters", BrokenInterpreterPool],
  ] as const)("%s: breaks every holder with its Broken* error; a new executor gets a fresh pool", async (flavor, Broken) => {
    const a = new Run({ flavor, maxWorkers: 1 });
    const b = new Run({ flavor, maxWorkers: 1 });
    const before = await within(b.submit(where), "b's first call");
    const crash = a.submit(exitNow, 3);
    const queued = b.submit(where);
    expect(await within(crash.exception(), "the crashing call")).toBeInstanceOf(Broken);
    expect(await within(queued.exception(), "b's queued call")).toBeInstanceOf(Broken);
    expect(() => a.submit(where)).toThrow(Broken);
    expect(() => b.submit(where)).toThrow(Broken);
    const c = new Run({ flavor, maxWorkers: 1 });
    const after = await within(c.submit(where), "c's call on a fresh pool");
    if (flavor === "processes") expect(after.pid).not.toBe(before.pid);
    else expect(after.threadId).not.toBe(before.threadId);
    await within(Promise.all([a.shutdown(), b.shutdown(), c.shutdown()]), "shutdowns");
  });

  it("a pool that breaks while idle breaks its holder but not the next executor", async () => {
    const a = new Run({ flavor: "processes", maxWorkers: 1 });
    const pid = await pidOf(a);
    const held = lease("child-processes", 1);
    try {
      process.kill(pid, "SIGKILL");
      await until(() => held.executor[kPoolBackend]() === null, "the pool noticed its child died");
      // Nobody has seen the pool break: the next executor still finds it in the table.
      const b = new Run({ flavor: "processes", maxWorkers: 1 });
      const fresh = await pidOf(b);
      expect(fresh).not.toBe(pid);
      expect(() => a.submit(where)).toThrow(BrokenProcessPool);
      await within(b.shutdown(), "b.shutdown()");
    } finally {
      await held.release();
    }
  });
});

describe("terminateWorkers() and killWorkers() on a managed executor", () => {
  it("on a pool of its own: the child is stopped, running calls fail, and a new executor never gets that pool", async () => {
    const a = new Run({ flavor: "processes", maxWorkers: 1 });
    const pid = await pidOf(a);
    const running = a.submit(hang);
    await until(() => running.running(), "the hang call running");
    const stopping = a.killWorkers();
    const b = new Run({ flavor: "processes", maxWorkers: 1 });
    const next = await pidOf(b);
    expect(next).not.toBe(pid);
    await within(stopping, "killWorkers()");
    expect(await within(running.exception(), "the running call")).toBeInstanceOf(BrokenProcessPool);
    expect(await whenGone([pid])).toEqual([]);
    expect(isRunning(next)).toBe(true);
  });

  it("on a shared pool: its own calls fail at once, the other holder's keep running", async () => {
    const a = new Run({ flavor: "interpreters", maxWorkers: 2 });
    const b = new Run({ flavor: "interpreters", maxWorkers: 2 });
    const mine = counterCell();
    const theirs = counterCell();
    const own = a.submit(holdCounting, mine);
    const other = b.submit(holdCounting, theirs);
    await startedAtLeast(mine, 1);
    await startedAtLeast(theirs, 1);
    await within(a.terminateWorkers(), "a.terminateWorkers()");
    expect(await within(own.exception(), "a's call")).toBeInstanceOf(BrokenInterpreterPool);
    expect(() => a.submit(square, 1)).toThrow();
    expect(other.done()).toBe(false);
    releaseCalls(theirs, 1);
    releaseCalls(mine, 1);
    expect(await within(other, "b's call")).toBeGreaterThan(0);
    expect(await within(b.submit(square, 5), "b after a stopped")).toBe(25);
  });
});

describe("teardown", () => {
  it("reset() tears down every pool: children gone, running calls failed, waiting ones settled, new pools after", async () => {
    const procs = new Run({ flavor: "processes", maxWorkers: 2 });
    const threads = new Run({ flavor: "interpreters", maxWorkers: 1 });
    const pids = await within(Promise.all([procs.submit(pidAfter, 150), procs.submit(pidAfter, 150)]), "two pids", 10);
    pidsSeen.push(...pids);
    expect(new Set(pids).size).toBe(2);
    const cell = counterCell();
    const holding = threads.submit(holdCounting, cell);
    await startedAtLeast(cell, 1);
    const hanging = procs.submit(hang);
    const queued = procs.submit(hang);
    await until(() => hanging.running() && queued.running(), "both hang calls sent to children");
    const waiting = procs.submit(hang);
    expect(poolStats()).toEqual({ live: 2, shared: 2 });
    await within(reset(), "reset()", 10);
    expect(poolStats()).toEqual({ live: 0, shared: 0 });
    expect(await whenGone(pids)).toEqual([]);
    expect(await within(holding.exception(), "the thread call")).toBeInstanceOf(BrokenInterpreterPool);
    expect(await within(hanging.exception(), "a running call")).toBeInstanceOf(BrokenProcessPool);
    expect(await within(queued.exception(), "the other running call")).toBeInstanceOf(BrokenProcessPool);
    // Not started yet: cancelled (or failed with the pool), never left pending.
    expect(waiting.done()).toBe(true);
    const next = new Run({ flavor: "processes", maxWorkers: 2 });
    expect(pids).not.toContain(await pidOf(next));
  });

  it("a script that uses a managed process pool and ends exits on its own; no child is left", async () => {
    const parent = startParent(["--import", "tsx", "tests/fixtures/sched-exit.ts", "idle"]);
    try {
      const [line] = await parent.linesMatching(/^pids (\d+) (\d+)$/, 1, 20);
      const children = [Number(line![1]), Number(line![2])];
      pidsSeen.push(...children);
      expect(await within(parent.exited, "the script's own exit", 20)).toEqual({ code: 0, signal: null });
      expect(await whenGone(children)).toEqual([]);
    } finally {
      killIfRunning(parent.proc.pid ? [parent.proc.pid] : []);
    }
  });

  it("process.exit() with a child busy in a long task: the exit teardown stops the child", async () => {
    const parent = startParent(["--import", "tsx", "tests/fixtures/sched-exit.ts", "busy"]);
    try {
      const [line] = await parent.linesMatching(/^pids (\d+)$/, 1, 20);
      const child = Number(line![1]);
      pidsSeen.push(child);
      expect(await within(parent.exited, "the script's exit", 20)).toEqual({ code: 0, signal: null });
      // Left alone, the child would spin for a minute before noticing its parent is gone.
      expect(await whenGone([child])).toEqual([]);
    } finally {
      killIfRunning(parent.proc.pid ? [parent.proc.pid] : []);
    }
  });
});
