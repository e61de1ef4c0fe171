/**
 * `sleep`: asyncio.sleep, with an optional `AbortSignal` (the Node way to
 * cancel a wait).
 */
import { after } from "../futures/timeouts.js";
import { checkOptions, checkSeconds, checkSignal, onAbort } from "./checks.js";

/** Options of {@link sleep}. */
export interface SleepOptions {
  /** Aborting it ends the sleep early: the promise rejects with `signal.reason`. */
  signal?: AbortSignal | null;
}

/**
 * Resolve with `value` after `seconds` (asyncio.sleep(delay, result)).
 *
 * `sleep(0)` yields to the event loop once (a later macrotask, after pending
 * I/O callbacks and timers). `sleep(Infinity)` never resolves by itself: it
 * holds no timer (so it does not keep the process alive) and ends only when
 * `options.signal` aborts.
 *
 * @param seconds how long to sleep, in seconds; a non-negative number.
 * @param value what the promise resolves with (default `undefined`).
 * @param options.signal aborting it rejects the promise with `signal.reason`
 *   (at once when it is already aborted).
 * @throws TypeError (synchronously) when `seconds` is not a number, or for a
 *   bad option; RangeError when `seconds` is negative or NaN.
 */
export function sleep<T = undefined>(seconds: number, value?: T, options?: SleepOptions): Promise<T> {
  const delay = checkSeconds("sleep(seconds)", seconds);
  const opts = checkOptions<SleepOptions>("sleep(seconds, value, options)", options, ["signal"]);
  const signal = checkSignal("sleep(seconds, value, options)", opts.signal);
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => {
      timer?.cancel();
      reject(signal!.reason);
    });
    const timer = delay === Infinity ? null : after(delay, () => {
      stop();
      resolve(value as T);
    });
  });
}
