/**
 * Measuring: wall-clock time in milliseconds, the V8 heap in bytes, and a
 * garbage collection between runs so one contender's garbage is not
 * collected on another's time.
 */
import v8 from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;

/**
 * Run a full garbage collection, when one can be had: `global.gc` under
 * `--expose-gc`, else a fresh context's `gc` after setting the flag at run time.
 *
 * @returns whether a collection ran.
 */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === "function") {
      gc = exposed;
    } else {
      try {
        v8.setFlagsFromString("--expose-gc");
        gc = runInNewContext("gc") as () => void;
      } catch {
        gc = null;
      }
    }
  }
  if (gc === null) return false;
  gc();
  return true;
}

/** Bytes of V8 heap in use now. */
export function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/** Milliseconds `fn` takes to settle (wall clock). */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** `count` operations in `ms` milliseconds, as operations per second. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

/** `ms` milliseconds over `count` operations, as microseconds per operation. */
export function microsEach(ms: number, count: number): number {
  return (ms * 1000) / count;
}

/** `[0, 1, ..., count - 1]`. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
