/**
 * Validation shared by the executors' constructors.
 */
import { describe } from "../futures/timeouts.js";

/**
 * `maxWorkers`: a positive integer, or `undefined`/`null` for the default.
 *
 * @throws RangeError naming the value when it is `<= 0` or NaN.
 * @throws TypeError when it is not a number.
 */
export function checkMaxWorkers(executor: string, value: unknown, defaultSize: number): number {
  if (value === undefined || value === null) return defaultSize;
  if (typeof value !== "number") {
    throw new TypeError(`${executor}(maxWorkers): must be a positive integer; got ${describe(value)}`);
  }
  if (Number.isNaN(value) || value <= 0) {
    throw new RangeError(`${executor}(maxWorkers): max_workers must be greater than 0; got ${value}`);
  }
  if (!Number.isInteger(value)) {
    throw new RangeError(`${executor}(maxWorkers): must be a positive integer; got ${value}`);
  }
  return value;
}

/**
 * `initializer` (a function, or `undefined`/`null`) and `initargs` (an array).
 *
 * @throws TypeError naming the option.
 */
export function checkInitializer(
  executor: string,
  initializer: unknown,
  initargs: unknown,
): { initializer: ((...args: unknown[]) => unknown) | null; initargs: readonly unknown[] } {
  if (initializer !== undefined && initializer !== null && typeof initializer !== "function") {
    throw new TypeError(`${executor}(initializer): must be a function; got ${describe(initializer)}`);
  }
  if (initargs !== undefined && !Array.isArray(initargs)) {
    throw new TypeError(`${executor}(initargs): must be an array of arguments; got ${describe(initargs)}`);
  }
  return {
    initializer: (initializer as ((...args: unknown[]) => unknown) | null | undefined) ?? null,
    initargs: (initargs as unknown[] | undefined) ?? [],
  };
}
