/**
 * The bridges between asyncio and executors: `toThread`, `toProcess`,
 * `runInExecutor` and `wrapFuture`.
 */
import { toCallSpec } from "../executors/transport/call-spec.js";
import type { Executor } from "../futures/executor.js";
import { Future } from "../futures/future.js";
import { checkFunction, describe } from "./checks.js";
import { defaultExecutor, submitToDefault } from "./defaults.js";

/**
 * A Promise settling as `future` does (asyncio.wrap_future): it resolves with
 * the result, rejects with the call's error, and rejects with
 * `CancelledError` when the future is cancelled. A Promise cannot be
 * cancelled, so unlike asyncio's wrapped future it does not forward a
 * cancellation: call `future.cancel()` (or use `waitFor(future, timeout)`,
 * which cancels it on timeout). A Promise given here is returned as is, as
 * asyncio returns an asyncio future unchanged.
 *
 * @throws TypeError (synchronously) when `future` is neither a unirun Future nor a Promise.
 */
export function wrapFuture<T>(future: Future<T> | Promise<T>): Promise<T> {
  if (future instanceof Promise) return future;
  if (future instanceof Future || isFutureLike(future)) return (future as Future<T>).result();
  throw new TypeError(
    `wrapFuture(future): future must be a unirun Future (from executor.submit) or a Promise; got ${describe(future)}`,
  );
}

/** A Future from another copy of unirun (its ESM and CJS builds side by side). */
function isFutureLike(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const f = value as Record<string, unknown>;
  return typeof f.result === "function" && typeof f.addDoneCallback === "function" && typeof f.cancel === "function";
}

/**
 * Run `fn(...args)` on `executor` and return a Promise of its result
 * (asyncio's `loop.run_in_executor`). With `null` (or `undefined`), the
 * default executor is used: one event-loop `ThreadPoolExecutor` per process,
 * made on first use and shared by every call (Python's loop default executor,
 * `min(32, cpus + 4)` calls in flight). Calls on an event-loop executor run in
 * the caller's AsyncLocalStorage context.
 *
 * @param executor any unirun Executor (or object with `submit(fn, ...args)`), or null.
 * @returns a Promise of the result; see {@link wrapFuture}.
 * @throws TypeError (synchronously) for a bad `executor` or `fn`, and
 *   whatever `executor.submit` throws (after shutdown, a broken pool, a
 *   closure sent to a worker pool).
 */
export function runInExecutor<A extends unknown[], R>(
  executor: Executor | null | undefined,
  fn: (...args: A) => R,
  ...args: A
): Promise<Awaited<R>> {
  if (executor !== null && executor !== undefined && typeof (executor as Partial<Executor>).submit !== "function") {
    throw new TypeError(
      "runInExecutor(executor, fn, ...args): executor must be an Executor (anything with submit(fn, ...args)) "
        + `or null for the default executor; got ${describe(executor)}`,
    );
  }
  checkFunction("runInExecutor(executor, fn, ...args): fn", fn);
  const target = executor ?? defaultExecutor("event-loop");
  return wrapFuture(target.submit(fn, ...args));
}

/**
 * Run a transferable function on a worker thread and return a Promise of its
 * result (asyncio.to_thread). The pool is the default `InterpreterPoolExecutor`:
 * one per process, made on first use, sized `os.availableParallelism()`,
 * shared by every call; its idle workers never keep the process alive.
 *
 * `fn` must be transferable (SPEC §1.1): a task reference from `task()`, or a
 * self-contained function. Arguments and the result cross by structured
 * clone; AsyncLocalStorage context does not cross into the worker.
 *
 * @returns a Promise of the result; the call's error, rebuilt (§1.2), on failure.
 * @throws TypeError (synchronously) for a closure — naming what it captures
 *   and showing the task-reference fix — for a bound or built-in function, and
 *   for an argument that cannot be cloned (naming its position).
 */
export function toThread<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
  return submitTransferable("worker-threads", "toThread", fn, args) as Promise<Awaited<R>>;
}

/**
 * Run a transferable function in a child process and return a Promise of its
 * result: `toThread`'s counterpart on the default `ProcessPoolExecutor` (one
 * per process, made on first use, shared; idle children never keep the
 * process alive). Arguments and the result cross by the advanced serializer.
 *
 * @throws TypeError (synchronously) as {@link toThread} does.
 */
export function toProcess<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
  return submitTransferable("child-processes", "toProcess", fn, args) as Promise<Awaited<R>>;
}

function submitTransferable(
  kind: "worker-threads" | "child-processes",
  caller: string,
  fn: (...args: any[]) => unknown,
  args: unknown[],
): Promise<unknown> {
  checkFunction(`${caller}(fn, ...args): fn`, fn);
  // The executor would refuse a closure too, worded for submit(); this words it for the caller.
  // The analysis is cached per function, so the executor does not parse it again.
  toCallSpec(fn, `${caller}(fn, ...args)`);
  return wrapFuture(submitToDefault(kind, fn, args));
}
