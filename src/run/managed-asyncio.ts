/**
 * Managed `toThread`, `toProcess` and `runInExecutor` for `unirun/compat/asyncio`
 * (SPEC §4): the native signatures, results and errors, but the work runs on
 * the scheduler's shared pools — never a pool per call — and a call that
 * cannot be transferred (a closure, arguments that cannot be cloned) runs on
 * the event loop with a downgrade warning instead of being rejected.
 *
 * `toThread` and `toProcess` each submit to one process-wide managed executor
 * (surfaces `"toThread"` and `"toProcess"`), made on first use with the
 * current configuration and dropped by `reset()`. Making one starts nothing;
 * it leases the shared pool on its first transferable call, and idle workers
 * and children never keep the process alive.
 */
import { checkFunction } from "../asyncio/checks.js";
import { runInExecutor as nativeRunInExecutor, wrapFuture } from "../asyncio/executors.js";
import type { Executor } from "../futures/executor.js";
import { outsideContexts } from "./context.js";
import { ManagedExecutor } from "./managed.js";
import { currentConfig, defaultExecutor, onReset } from "./scheduler.js";

type Surface = "toThread" | "toProcess";

const executors = new Map<Surface, ManagedExecutor>();

onReset(() => {
  const dropped = [...executors.values()];
  executors.clear();
  return dropped;
});

/** The process-wide managed executor behind `surface`, made on first use. */
export function surfaceExecutor(surface: Surface): ManagedExecutor {
  let executor = executors.get(surface);
  if (executor === undefined) {
    // Decided outside the caller's ExecutionContext, as the scheduler's default
    // executor is: the first caller's hints must not stick to the process.
    executor = outsideContexts(() => new ManagedExecutor({
      surface,
      flavor: surface === "toThread" ? "interpreters" : "processes",
      implied: true,
      maxWorkers: null,
      name: null,
      config: currentConfig(),
      executor: null,
      dedicated: null,
      shape: {},
      trace: null,
      closures: "event-loop",
    }));
    executors.set(surface, executor);
  }
  return executor;
}

/**
 * Run `fn(...args)` on a worker thread of the scheduler's shared
 * worker-thread pool and return a Promise of its result (asyncio.to_thread).
 * A task reference or a self-contained function with cloneable arguments runs
 * on a worker; anything else runs on the event loop, with a
 * `DowngradeWarning` (once per reason).
 *
 * @returns a Promise of the result; the call's error, rebuilt (§1.2), on failure.
 * @throws TypeError (synchronously) when `fn` is not a function;
 *   DowngradeError for a call that cannot be transferred under `UNIRUN_WARNINGS=error`.
 */
export function toThread<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
  checkFunction("toThread(fn, ...args): fn", fn);
  return wrapFuture(surfaceExecutor("toThread").submit(fn, ...args));
}

/**
 * `toThread`'s counterpart on the scheduler's shared child-process pool:
 * arguments and the result cross by the advanced serializer; a call that
 * cannot be transferred runs on the event loop, with a `DowngradeWarning`.
 *
 * @throws as {@link toThread} does.
 */
export function toProcess<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
  checkFunction("toProcess(fn, ...args): fn", fn);
  return wrapFuture(surfaceExecutor("toProcess").submit(fn, ...args));
}

/**
 * `loop.run_in_executor`: with an executor, exactly the native
 * `runInExecutor`; with `null` (or `undefined`), the scheduler's default
 * executor — the innermost `Run.scope`'s, else the process-wide one behind
 * `submit` (flavor `UNIRUN_MODE`, tasks routed by `UNIRUN_THREAD_MODE`).
 *
 * @throws TypeError (synchronously) for a bad `executor` or `fn`, and whatever `submit` throws.
 */
export function runInExecutor<A extends unknown[], R>(
  executor: Executor | null | undefined,
  fn: (...args: A) => R,
  ...args: A
): Promise<Awaited<R>> {
  if (executor !== null && executor !== undefined) return nativeRunInExecutor(executor, fn, ...args);
  checkFunction("runInExecutor(executor, fn, ...args): fn", fn);
  return wrapFuture(defaultExecutor().submit(fn, ...args));
}
