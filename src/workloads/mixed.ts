/**
 * The mixed contract workload: CPU and blocking I/O in turn. Self-contained
 * (SPEC §1.1), so it repeats the prime count of `cpu.ts` rather than calling it.
 */

/**
 * For each `[limit, seconds]` pair in turn: count the primes below `limit`
 * (as `countPrimes`), then block for `seconds` (as `simulateBlockingIo`).
 * Python's `unirun.workloads.mixed_workload`.
 *
 * @param pairs `[limit, seconds]` pairs (any iterable; seconds >= 0).
 * @returns per pair, the prime count divided by `seconds + 1e-6` (as Python's does).
 * @throws RangeError for a pair that is not `[finite number, finite number >= 0]`.
 */
export function mixedWorkload(pairs: Iterable<readonly [limit: number, seconds: number]>): number[] {
  const results: number[] = [];
  for (const pair of pairs) {
    const [limit, seconds] = (Array.isArray(pair) ? pair : [Number.NaN, Number.NaN]) as readonly [number, number];
    if (!Number.isFinite(limit) || !Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`mixedWorkload(pairs): each pair must be [limit, seconds >= 0]; got ${JSON.stringify(pair)}`);
    }
    let primes = limit > 2 ? 1 : 0;
    for (let candidate = 3; candidate < limit; candidate += 2) {
      let divisor = 3;
      while (divisor * divisor <= candidate && candidate % divisor !== 0) divisor += 2;
      if (divisor * divisor > candidate) primes++;
    }
    if (seconds > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
    results.push(primes / (seconds + 1e-6));
  }
  return results;
}
