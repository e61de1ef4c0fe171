/**
 * No-op tasks: what the benchmarks time when they measure a backend's own
 * cost (a round trip, a flood of tiny tasks) rather than the work.
 */

/**
 * Do nothing and return the argument: the cheapest task there is.
 *
 * @returns `value`, unchanged.
 */
export function noop<T>(value?: T): T | undefined {
  return value;
}

/**
 * `noop` over an array: the function a hand-chunked pool runs, one chunk per
 * message (a `map` with `chunksize` does the same inside unirun).
 *
 * @returns a new array of the same values.
 */
export function noopBatch<T>(values: readonly T[]): T[] {
  return values.map((value) => value);
}
