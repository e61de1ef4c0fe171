/**
 * The scheduler's shared pools (SPEC §5): one native pool per backend and
 * every option that shapes it, leased by the managed executors that use it.
 * A pool is shut down when its last holder lets go, never before; a pool that
 * breaks is dropped from the table so the next lease gets a fresh one; every
 * pool (shared or dedicated) is torn down at `reset()` and when the process
 * exits.
 */
import type { ResourceLimits } from "node:worker_threads";
import type { Executor } from "../futures/executor.js";
import { ProcessPoolExecutor } from "../executors/child-processes.js";
import { InterpreterPoolExecutor } from "../executors/worker-threads.js";

/** The options that shape a shared pool, besides its backend and size. */
export interface PoolShape {
  /** Worker threads: V8 limits of each worker. */
  resourceLimits?: ResourceLimits | null;
  /** Child processes: replace a child after this many tasks. */
  maxTasksPerChild?: number | null;
}

/** A holder's claim on a shared pool. */
export interface Lease {
  /** The native pool. */
  readonly executor: InterpreterPoolExecutor | ProcessPoolExecutor;
  /** Whether other holders share the pool right now. */
  shared(): boolean;
  /** Drop the pool from the table (it broke): later leases get a new one. */
  markBroken(): void;
  /** Let go; the last holder's release shuts the pool down. Idempotent. */
  release(): Promise<void>;
}

interface Entry {
  key: string;
  executor: InterpreterPoolExecutor | ProcessPoolExecutor;
  holders: number;
}

const table = new Map<string, Entry>();
// Every native pool the scheduler made (shared or dedicated), until shut down.
const live = new Set<Executor>();
let exitHookInstalled = false;

/**
 * Lease the shared pool for `backend`, `size` and `shape`, creating it on
 * first use (a pool starts no worker until its first task).
 */
export function lease(backend: "worker-threads" | "child-processes", size: number, shape: PoolShape = {}): Lease {
  const key = poolKey(backend, size, shape);
  let entry = table.get(key);
  if (entry === undefined) {
    const executor = backend === "worker-threads"
      ? new InterpreterPoolExecutor({ maxWorkers: size, resourceLimits: shape.resourceLimits ?? undefined })
      : new ProcessPoolExecutor({ maxWorkers: size, maxTasksPerChild: shape.maxTasksPerChild ?? undefined });
    entry = { key, executor, holders: 0 };
    table.set(key, entry);
    track(executor);
  }
  entry.holders++;
  const held = entry;
  let released = false;
  return {
    executor: held.executor,
    shared: () => held.holders > 1,
    markBroken: () => {
      if (table.get(held.key) === held) table.delete(held.key);
    },
    release: async () => {
      if (released) return;
      released = true;
      held.holders--;
      if (held.holders > 0) return;
      if (table.get(held.key) === held) table.delete(held.key);
      await held.executor.shutdown({ wait: true });
      live.delete(held.executor);
    },
  };
}

/** Track a pool the scheduler must tear down at `reset()` and exit. */
export function track<E extends Executor>(executor: E): E {
  live.add(executor);
  installExitHook();
  return executor;
}

/** Stop tracking a pool that was shut down by its owner. */
export function untrack(executor: Executor): void {
  live.delete(executor);
}

/**
 * Tear down every pool: queued work is cancelled and running work stopped
 * (its futures fail with the pool's Broken* error). Resolves once every
 * worker and child is gone.
 */
export async function teardownPools(): Promise<void> {
  const pools = [...live];
  live.clear();
  table.clear();
  await Promise.all(pools.map(stopPool));
}

async function stopPool(executor: Executor): Promise<void> {
  const pool = executor as Executor & { terminateWorkers?: () => Promise<void> };
  if (typeof pool.terminateWorkers === "function") {
    await pool.terminateWorkers();
    return;
  }
  await executor.shutdown({ wait: false, cancelFutures: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // `exit` handlers run synchronously: the stop starts here (children are
  // signalled at once) and the process ends right after. Idle pools never
  // keep the process alive, so this is the last moment to clean up.
  process.once("exit", () => {
    for (const executor of live) void stopPool(executor).catch(() => undefined);
    live.clear();
  });
}

/** How many pools are alive, and how many are in the shared table (for tests and diagnostics). */
export function poolStats(): { live: number; shared: number } {
  return { live: live.size, shared: table.size };
}

function poolKey(backend: string, size: number, shape: PoolShape): string {
  const limits = shape.resourceLimits ? JSON.stringify(sorted(shape.resourceLimits)) : "";
  return `${backend}|${size}|${limits}|${shape.maxTasksPerChild ?? ""}`;
}

function sorted(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}
