/**
 * The default executors of `unirun/asyncio`, one of each per process, made on
 * first use: an event-loop `ThreadPoolExecutor` for `runInExecutor(null, ...)`
 * (asyncio's loop default executor), and the worker-thread and child-process
 * pools of `toThread` and `toProcess`. Constructing them starts nothing; the
 * pools start their workers lazily, and idle workers never keep the process
 * alive, so a program that never shuts them down still exits on its own.
 *
 * A default pool found broken (a worker died) is replaced on the next call.
 *
 * Internal: `shutdownDefaultExecutors` is for tests and is not exported from
 * `unirun/asyncio`.
 */
import { ProcessPoolExecutor } from "../executors/child-processes.js";
import { ThreadPoolExecutor } from "../executors/event-loop.js";
import { InterpreterPoolExecutor } from "../executors/worker-threads.js";
import { BrokenExecutor } from "../futures/errors.js";
import type { Executor } from "../futures/executor.js";
import type { Future } from "../futures/future.js";

/** Which default executor. */
export type DefaultKind = "event-loop" | "worker-threads" | "child-processes";

const defaults = new Map<DefaultKind, Executor>();

function create(kind: DefaultKind): Executor {
  switch (kind) {
    case "event-loop":
      return new ThreadPoolExecutor({ threadNamePrefix: "asyncio" });
    case "worker-threads":
      return new InterpreterPoolExecutor({ threadNamePrefix: "asyncio-toThread" });
    case "child-processes":
      return new ProcessPoolExecutor();
  }
}

/** The default executor of `kind`, made on first use (no worker starts until a call is sent). */
export function defaultExecutor(kind: DefaultKind): Executor {
  let executor = defaults.get(kind);
  if (executor === undefined) {
    executor = create(kind);
    defaults.set(kind, executor);
  }
  return executor;
}

/**
 * Submit to the default executor of `kind`; a pool found broken is replaced
 * once. The §1.1 TypeError for a closure is thrown synchronously, as `submit` throws it.
 */
export function submitToDefault(kind: DefaultKind, fn: (...args: any[]) => unknown, args: unknown[]): Future<unknown> {
  try {
    return defaultExecutor(kind).submit(fn, ...args);
  } catch (error) {
    if (!(error instanceof BrokenExecutor)) throw error;
    defaults.delete(kind);
    return defaultExecutor(kind).submit(fn, ...args);
  }
}

/**
 * Shut down every default executor made so far and forget them (the next
 * call makes new ones). For tests; not part of the public API.
 */
export async function shutdownDefaultExecutors(options?: { cancelFutures?: boolean }): Promise<void> {
  const executors = [...defaults.values()];
  defaults.clear();
  await Promise.all(executors.map((executor) => executor.shutdown({ wait: true, cancelFutures: options?.cancelFutures ?? false })));
}

/** Whether the default executor of `kind` has been made (for tests). */
export function hasDefaultExecutor(kind: DefaultKind): boolean {
  return defaults.has(kind);
}
