/**
 * The managed executors behind `unirun/compat` (SPEC §4): the native
 * constructors' names, options and errors, but their work runs where the
 * scheduler decides, on pools it shares, with `executor.decision` saying where
 * and why. Options the shared pools cannot honour (`initializer`/`initargs`;
 * `execArgv`/`env` for processes) get a dedicated native pool and a downgrade
 * warning.
 */
import { ProcessPoolExecutor as NativeProcessPool, type ProcessPoolExecutorOptions } from "../executors/child-processes.js";
import { ThreadPoolExecutor as NativeThreadPool, type ThreadPoolExecutorOptions } from "../executors/event-loop.js";
import {
  InterpreterPoolExecutor as NativeInterpreterPool,
  type InterpreterPoolExecutorOptions,
} from "../executors/worker-threads.js";
import type { Executor } from "../futures/executor.js";
import { capabilities } from "./capabilities.js";
import type { Flavor } from "./config.js";
import { type Backend, permitted } from "./decide.js";
import { ManagedExecutor } from "./managed.js";
import type { ManagedInit } from "./managed-plan.js";
import type { PoolShape } from "./pools.js";
import { currentConfig } from "./scheduler.js";

interface Surface {
  name: string;
  flavor: Flavor;
  backend: Backend;
}

/**
 * @param make builds the dedicated native pool on `backend`: the surface's own,
 *   or where Node's permission model denies it, the next one allowed
 *   (child-processes → worker-threads → event-loop), so the work still runs.
 */
function managedInit(
  surface: Surface,
  maxWorkers: number | undefined | null,
  dedicatedBy: string | null,
  make: (backend: Backend) => Executor,
  shape: PoolShape,
  name: string | null,
): ManagedInit {
  const backend = permitted(surface.backend, capabilities());
  return {
    surface: surface.name,
    flavor: surface.flavor,
    implied: true,
    maxWorkers: maxWorkers ?? null,
    name,
    config: currentConfig(),
    executor: null,
    dedicated: dedicatedBy === null ? null : { reason: dedicatedBy, backend, make: () => make(backend) },
    shape,
    trace: null,
  };
}

/** A native pool with `options`' initializer on a backend the permission model allows instead. */
function fallbackPool(
  backend: Backend,
  options: { maxWorkers?: number; initializer?: ((...args: any[]) => unknown) | null; initargs?: readonly unknown[] },
): Executor {
  const { maxWorkers, initializer, initargs } = options;
  return backend === "worker-threads"
    ? new NativeInterpreterPool({ maxWorkers, initializer, initargs })
    : new NativeThreadPool({ maxWorkers, initializer, initargs });
}

/**
 * Why an executor built with `options` needs a native pool of its own, or
 * `null` when a shared one serves. `initargs: []` alone changes nothing; an
 * empty `execArgv` does (it drops the flags children inherit by default).
 */
function dedicatedReason(options: Record<string, unknown>, keys: readonly string[], why: string): string | null {
  const given = keys.filter((key) => {
    const value = options[key];
    if (value === undefined || value === null) return false;
    return key !== "initargs" || (Array.isArray(value) && value.length > 0);
  });
  if (given.length === 0) return null;
  return `${given.join("/")} ${why}`;
}

const SHARED_POOL = "cannot be applied to a shared pool, so this executor gets a native pool of its own";

/**
 * Managed `ThreadPoolExecutor`: tasks run on the event loop, at most
 * `maxWorkers` at once, except where `UNIRUN_THREAD_MODE` sends them to worker
 * threads (`auto`: CPU-bound task references; `nogil`: every transferable task).
 */
export class ThreadPoolExecutor extends ManagedExecutor {
  /** Kept for parity with Python. */
  readonly threadNamePrefix: string;

  /** Same options and errors as the native `ThreadPoolExecutor`. */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    // The native constructor validates (same errors); it starts nothing.
    const native = new NativeThreadPool(options);
    const surface = { name: "ThreadPoolExecutor", flavor: "threads", backend: "event-loop" } as const;
    // Its slots are on the event loop either way; what it gives up is per-task routing.
    const reason = dedicatedReason(
      options as Record<string, unknown>,
      ["initializer", "initargs"],
      "must run in every slot that runs a task, so this executor keeps a native pool of its own and " +
        "UNIRUN_THREAD_MODE does not route its tasks",
    );
    super(managedInit(surface, options.maxWorkers, reason, () => native, {}, options.threadNamePrefix || null));
    this.threadNamePrefix = native.threadNamePrefix;
  }
}

/** Managed `InterpreterPoolExecutor`: worker threads from a pool shared by size and `resourceLimits`. */
export class InterpreterPoolExecutor extends ManagedExecutor {
  /** Kept for parity with Python. */
  readonly threadNamePrefix: string;

  /** Same options and errors as the native `InterpreterPoolExecutor`. */
  constructor(options: InterpreterPoolExecutorOptions = {}) {
    const native = new NativeInterpreterPool(options);
    const surface = { name: "InterpreterPoolExecutor", flavor: "interpreters", backend: "worker-threads" } as const;
    const reason = dedicatedReason(options as Record<string, unknown>, ["initializer", "initargs"], SHARED_POOL);
    const shape = { resourceLimits: options.resourceLimits ?? null };
    const make = (backend: Backend) => (backend === surface.backend ? native : fallbackPool(backend, options));
    super(managedInit(surface, options.maxWorkers, reason, make, shape, options.threadNamePrefix || null));
    this.threadNamePrefix = native.threadNamePrefix;
  }
}

/** Managed `ProcessPoolExecutor`: child processes from a pool shared by size and `maxTasksPerChild`. */
export class ProcessPoolExecutor extends ManagedExecutor {
  /** Same options and errors as the native `ProcessPoolExecutor`. */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    const native = new NativeProcessPool(options);
    const surface = { name: "ProcessPoolExecutor", flavor: "processes", backend: "child-processes" } as const;
    const keys = ["initializer", "initargs", "execArgv", "env"];
    const reason = dedicatedReason(options as Record<string, unknown>, keys, SHARED_POOL);
    const shape = { maxTasksPerChild: options.maxTasksPerChild ?? null };
    // Denied child processes: the initializer still runs in each worker or slot; execArgv/env cannot apply.
    const make = (backend: Backend) => (backend === surface.backend ? native : fallbackPool(backend, options));
    super(managedInit(surface, options.maxWorkers, reason, make, shape, null));
  }
}
