/**
 * `waitFor`: asyncio.wait_for. asyncio cancels what it waited on when the
 * timeout passes; in Node, what can be cancelled depends on what was given:
 * a function of an `AbortSignal` is aborted, a unirun `Future` is cancelled,
 * and a plain Promise — which nothing can cancel — is abandoned.
 */
import { TimeoutError } from "../futures/errors.js";
import { Future } from "../futures/future.js";
import { after } from "../futures/timeouts.js";
import { checkTimeout, describe, isAwaitable } from "./checks.js";
import { runWithTimeout } from "./timeout.js";

/** Work that `waitFor` can stop: it is called with a signal that aborts at the deadline. */
export type AbortableWork<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/**
 * Wait for `awaitable` to settle, at most `timeout` seconds (asyncio.wait_for).
 * On timeout the promise rejects with `TimeoutError`, and:
 *
 * - a function `(signal) => ...` is called at once with an `AbortSignal`
 *   that aborts at the deadline (with the `TimeoutError` as reason); as
 *   asyncio waits for the cancelled task, `waitFor` then waits for the
 *   function's promise to settle before rejecting — this is
 *   `timeout(seconds, fn)`, the way to put a deadline on work that must stop;
 * - a unirun `Future` is cancelled (`future.cancel()`: a pending call never
 *   runs; a running one cannot be stopped this way, as in Python) and the
 *   promise rejects at once;
 * - any other Promise or thenable is abandoned (it keeps running; its late
 *   rejection is handled, never reported as unhandled) and the promise
 *   rejects at once.
 *
 * With `timeout` 0, an awaitable that is already settled still yields its
 * outcome (as in Python); otherwise it times out on the next macrotask.
 *
 * @param awaitable a Promise, a unirun Future, another thenable, or a
 *   function of an `AbortSignal`.
 * @param timeout seconds to wait at most; `null`/`undefined` waits without limit.
 * @returns what `awaitable` resolves with.
 * @throws TypeError/RangeError (synchronously) for an invalid `timeout` or
 *   an `awaitable` that is none of the above.
 */
export function waitFor<T>(
  awaitable: PromiseLike<T> | AbortableWork<T>,
  timeout?: number | null,
): Promise<Awaited<T>> {
  const limit = checkTimeout("waitFor(timeout)", timeout);
  if (typeof awaitable === "function" && !isAwaitable(awaitable)) {
    return runWithTimeout(limit, awaitable as AbortableWork<T>, null, (seconds) =>
      `waitFor(): the work did not finish within ${seconds} seconds; its signal was aborted`);
  }
  if (!isAwaitable(awaitable)) {
    throw new TypeError(
      "waitFor(awaitable, timeout): awaitable must be a Promise, a Future, another thenable or a function "
        + `(signal) => Promise; got ${describe(awaitable)}`,
    );
  }
  if (limit === null) return Promise.resolve(awaitable) as Promise<Awaited<T>>;
  return new Promise<Awaited<T>>((resolve, reject) => {
    const deadline = after(limit, () => reject(timedOut(awaitable, limit)));
    Promise.resolve(awaitable).then(
      (value) => {
        deadline.cancel();
        resolve(value as Awaited<T>);
      },
      (error: unknown) => {
        deadline.cancel();
        reject(error);
      },
    );
  });
}

/** The TimeoutError for `awaitable`, after cancelling it when it is a Future. */
function timedOut(awaitable: PromiseLike<unknown>, seconds: number): TimeoutError {
  const head = `waitFor(): the awaitable did not settle within ${seconds} seconds`;
  if (awaitable instanceof Future) {
    const fate = awaitable.cancel() ? "it was cancelled" : "it is running, so it could not be cancelled";
    return new TimeoutError(`${head}; ${fate}`);
  }
  return new TimeoutError(
    `${head}; a Promise cannot be cancelled and keeps running — to stop the work, pass a function `
      + "(signal) => Promise that honours the signal",
  );
}
