/**
 * Statistics over a handful of samples: the median and how far samples stray
 * from it. Medians, not means: a shared machine's stray slow run should not
 * move the result.
 */
import type { Spread } from "./types.js";

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Min, max and median absolute deviation of `values` around their median. */
export function spread(values: readonly number[]): Spread {
  const center = median(values);
  const mad = median(values.map((value) => Math.abs(value - center)));
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    mad,
    relative: center === 0 ? 0 : mad / Math.abs(center),
  };
}

/** Whether `actual op value` holds. */
export function meets(actual: number, op: "<=" | ">=", value: number): boolean {
  return op === "<=" ? actual <= value : actual >= value;
}
