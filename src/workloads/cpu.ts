/**
 * CPU-bound contract workloads. Each function is self-contained (SPEC §1.1):
 * no imports and no module-level helpers, so it crosses to a worker as a task
 * reference or as its own source, and runs the same when called directly.
 */

/**
 * Count the primes below `limit` by trial division: deliberately naive, so it
 * keeps one CPU busy for a predictable time (a few milliseconds for
 * `limit = 100_000`, growing a little faster than linearly). Python's
 * `unirun.workloads.count_primes`.
 *
 * @param limit an upper bound, exclusive (any finite number; below 3 there are none).
 * @returns how many primes `p` satisfy `2 <= p < limit`.
 * @throws RangeError when `limit` is not a finite number.
 */
export function countPrimes(limit: number): number {
  if (typeof limit !== "number" || !Number.isFinite(limit)) {
    throw new RangeError(`countPrimes(limit): limit must be a finite number; got ${String(limit)}`);
  }
  let count = limit > 2 ? 1 : 0;
  for (let candidate = 3; candidate < limit; candidate += 2) {
    let prime = true;
    for (let divisor = 3; divisor * divisor <= candidate; divisor += 2) {
      if (candidate % divisor === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/**
 * A SHA-256 hash chain: `h0 = utf8(seed)`, `h(i+1) = sha256(h(i))`, computed
 * in plain JavaScript (no `node:crypto`, so the work stays on the thread that
 * runs it, and the function stays self-contained). The result equals
 * iterating `crypto.createHash("sha256")` `rounds` times.
 *
 * @param rounds how many times to hash (a non-negative integer; each round is
 *   one 64-byte SHA-256 block after the first, about a microsecond).
 * @param seed the text the chain starts from (default `"unirun"`).
 * @returns the last digest as 64 lowercase hex digits (for `rounds = 0`, the
 *   seed's UTF-8 bytes in hex).
 * @throws RangeError when `rounds` is not a non-negative safe integer.
 */
export function hashChain(rounds: number, seed = "unirun"): string {
  if (!Number.isSafeInteger(rounds) || rounds < 0) {
    throw new RangeError(`hashChain(rounds): rounds must be a non-negative integer; got ${String(rounds)}`);
  }
  // SHA-256's constants: the fractional parts of the square roots (initial
  // state) and cube roots (round constants) of the first 64 primes.
  const primes: number[] = [];
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p !== 0)) primes.push(n);
  const fraction = (x: number): number => ((x - Math.floor(x)) * 0x100000000) >>> 0;
  const K = Uint32Array.from(primes, (p) => fraction(Math.cbrt(p)));
  const H = Uint32Array.from(primes.slice(0, 8), (p) => fraction(Math.sqrt(p)));
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  const w = new Uint32Array(64);
  const state = new Uint32Array(8);
  let message: Uint8Array = new TextEncoder().encode(seed);
  for (let round = 0; round < rounds; round++) {
    const length = message.length;
    const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
    padded.set(message);
    padded[length] = 0x80;
    const view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
    view.setUint32(padded.length - 4, (length * 8) >>> 0);
    state.set(H);
    for (let offset = 0; offset < padded.length; offset += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15];
        const y = w[i - 2];
        w[i] = w[i - 16] + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + w[i - 7] + (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10));
      }
      let a = state[0], b = state[1], c = state[2], d = state[3];
      let e = state[4], f = state[5], g = state[6], h = state[7];
      for (let i = 0; i < 64; i++) {
        const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      state[0] += a; state[1] += b; state[2] += c; state[3] += d;
      state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
    message = new Uint8Array(32);
    const out = new DataView(message.buffer);
    for (let i = 0; i < 8; i++) out.setUint32(i * 4, state[i]);
  }
  return Array.from(message, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
