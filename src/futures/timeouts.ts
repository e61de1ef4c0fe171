/**
 * Timeouts are in seconds everywhere, as in Python. `null`/`undefined` (and
 * `Infinity`) mean "no limit".
 */

// setTimeout overflows to 1 ms above this; longer timers are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Validate a timeout argument and return it in seconds, or `null` for no limit.
 *
 * @throws TypeError when the value is not a number, null or undefined.
 * @throws RangeError when the value is negative or NaN.
 */
export function checkTimeout(name: string, value: unknown): number | null {
  if (value === null || value === undefined || value === Infinity) return null;
  if (typeof value !== "number") {
    throw new TypeError(
      `${name} must be a number of seconds, null or undefined (no limit); got ${describe(value)}`,
    );
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `${name} must be a non-negative number of seconds, null or undefined (no limit); got ${value}`,
    );
  }
  return value;
}

/** A one-shot timer; `cancel()` is idempotent. */
export interface Deadline {
  cancel(): void;
}

/**
 * Call `fn` once `seconds` have passed (a `seconds` of 0 still waits for a
 * later macrotask). Long delays are split so setTimeout never overflows.
 */
export function after(seconds: number, fn: () => void): Deadline {
  const due = performance.now() + seconds * 1000;
  let handle: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const remaining = due - performance.now();
    if (remaining <= MAX_TIMER_MS) {
      handle = setTimeout(fn, Math.max(0, remaining));
    } else {
      handle = setTimeout(arm, MAX_TIMER_MS);
    }
  };
  arm();
  return { cancel: () => clearTimeout(handle) };
}

/** Seconds left until a deadline given as a `performance.now()` value, never negative. */
export function remainingSeconds(dueMs: number): number {
  return Math.max(0, (dueMs - performance.now()) / 1000);
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") return value.constructor?.name ? `a ${value.constructor.name}` : "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}
