/**
 * I/O-shaped contract workloads: waiting that costs no CPU. Each function is
 * self-contained (SPEC §1.1), like those in `cpu.ts`.
 */

/**
 * Block the thread that runs it for `seconds` without using a CPU, as a
 * blocking system call would (Python's `time.sleep` in
 * `unirun.workloads.simulate_blocking_io`). On the event loop it stalls every
 * other task, which is what it is for: it shows why blocking calls belong on
 * a worker thread or process.
 *
 * @param seconds how long to block (a finite number >= 0).
 * @returns `seconds`, so a caller can check which call answered.
 * @throws RangeError when `seconds` is negative or not a finite number.
 */
export function simulateBlockingIo(seconds: number): number {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`simulateBlockingIo(seconds): seconds must be a finite number >= 0; got ${String(seconds)}`);
  }
  if (seconds > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  return seconds;
}

/**
 * Wait `seconds` on a timer without blocking the thread, as a network call
 * would (Python's `asyncio.sleep` in `unirun.workloads.simulate_async_io`).
 *
 * @param seconds how long to wait (a finite number >= 0; Node's timers have
 *   about millisecond resolution).
 * @returns (a promise of) `seconds`.
 * @throws RangeError (the promise rejects) when `seconds` is negative or not a finite number.
 */
export async function simulateAsyncIo(seconds: number): Promise<number> {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`simulateAsyncIo(seconds): seconds must be a finite number >= 0; got ${String(seconds)}`);
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return seconds;
}
