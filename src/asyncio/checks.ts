/**
 * Argument checks shared by the asyncio helpers. Every check throws
 * synchronously, as the futures API does for bad arguments: a `TypeError` for
 * a value of the wrong kind, a `RangeError` for a value out of range, each
 * naming the argument and what it accepts.
 */
import { CancelledError } from "../futures/errors.js";
import { describe as describeValue } from "../futures/timeouts.js";

export { checkTimeout } from "../futures/timeouts.js";

/** A short description of a value for error messages ("an Object", "number 5", ...). */
export function describe(value: unknown): string {
  return describeValue(value).replace(/^a (?=[AEIOU])/, "an ");
}

/** True for a Promise, a unirun Future, or any other object with a `then` method. */
export function isAwaitable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null
    && typeof (value as PromiseLike<unknown>).then === "function";
}

/** True for `{}` literals and `Object.create(null)`: what an options argument looks like. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A required duration in seconds: a non-negative number; `Infinity` is accepted.
 *
 * @throws TypeError when it is not a number; RangeError when it is negative or NaN.
 */
export function checkSeconds(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number of seconds (>= 0); got ${describe(value)}`);
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of seconds; got ${value}`);
  }
  return value;
}

/**
 * An options object (or `undefined`/`null`) whose keys are all in `keys`.
 *
 * @throws TypeError for a non-object or an unknown key, listing the accepted keys.
 */
export function checkOptions<T extends object>(caller: string, options: unknown, keys: readonly string[]): Partial<T> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${caller}: options must be an object with keys ${keys.join(", ")}; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${caller}: unknown option "${key}"; accepted options are ${keys.join(", ")}`);
    }
  }
  return options as Partial<T>;
}

/**
 * An optional `AbortSignal` option.
 *
 * @throws TypeError when it is neither an AbortSignal nor `undefined`/`null`.
 */
export function checkSignal(caller: string, signal: unknown): AbortSignal | null {
  if (signal === undefined || signal === null) return null;
  if (typeof signal !== "object" || typeof (signal as AbortSignal).addEventListener !== "function"
    || typeof (signal as AbortSignal).aborted !== "boolean") {
    throw new TypeError(`${caller}: signal must be an AbortSignal; got ${describe(signal)}`);
  }
  return signal as AbortSignal;
}

/** @throws TypeError naming `name` when `fn` is not a function. */
export function checkFunction(name: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${name} must be a function; got ${describe(fn)}`);
  }
}

/**
 * Whether `error` is how a piece of work reports that it was cancelled: a
 * `CancelledError`, the abort reason of `signal` (or an error caused by it),
 * or — once `signal` has aborted — an `AbortError`, as Node's own
 * signal-aware APIs throw.
 */
export function isCancellation(error: unknown, signal: AbortSignal | null): boolean {
  if (error instanceof CancelledError) return true;
  if (signal === null || !signal.aborted) return false;
  const reason = signal.reason;
  if (error === reason) return true;
  if (typeof error !== "object" || error === null) return false;
  return (error as { cause?: unknown }).cause === reason || (error as { name?: unknown }).name === "AbortError";
}

/** Listen for `signal` aborting; returns the function that stops listening. */
export function onAbort(signal: AbortSignal | null, listener: () => void): () => void {
  if (signal === null) return () => undefined;
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/** Swallow a rejection that is reported elsewhere, so Node does not call it unhandled. */
export function markHandled(promise: PromiseLike<unknown>): void {
  Promise.resolve(promise).catch(() => undefined);
}
