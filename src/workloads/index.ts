/**
 * `unirun/workloads`: transferable contract workloads (SPEC §8) — the same
 * work Python's `unirun.workloads` does, for tests, demos and `unirun bench`.
 *
 * Every function is self-contained (SPEC §1.1): it runs when called directly,
 * crosses to a worker thread or child process as its own source, and is also
 * exported ready-made as a task reference (`countPrimesTask`, ...) that any
 * executor runs by importing this module. Like every task module, this one
 * has no top-level side effects: importing it builds a few function objects
 * and starts nothing.
 *
 * ```ts
 * import { InterpreterPoolExecutor } from "unirun/futures";
 * import { countPrimesTask } from "unirun/workloads";
 *
 * const pool = new InterpreterPoolExecutor();
 * const counts = await pool.map(countPrimesTask, [100_000, 200_000]).toArray();
 * await pool.shutdown();
 * ```
 */
import { workloadTasks } from "./tasks.js";

export { countPrimes, hashChain } from "./cpu.js";
export { simulateAsyncIo, simulateBlockingIo } from "./io.js";
export { mixedWorkload } from "./mixed.js";
export { noop, noopBatch } from "./noop.js";
export type { WorkloadTasks } from "./tasks.js";

// Workers import this module to find each export by name. No other module of
// unirun imports this file, so its code stays in the entry itself.
const tasks = workloadTasks(entryUrl(import.meta.url));

/** {@link countPrimes} as a task reference (marked `cpuBound`). */
export const countPrimesTask = tasks.countPrimes;
/** {@link hashChain} as a task reference (marked `cpuBound`). */
export const hashChainTask = tasks.hashChain;
/** {@link simulateBlockingIo} as a task reference. */
export const simulateBlockingIoTask = tasks.simulateBlockingIo;
/** {@link simulateAsyncIo} as a task reference. */
export const simulateAsyncIoTask = tasks.simulateAsyncIo;
/** {@link mixedWorkload} as a task reference (marked `cpuBound`). */
export const mixedWorkloadTask = tasks.mixedWorkload;
/** {@link noop} as a task reference. */
export const noopTask = tasks.noop;
/** {@link noopBatch} as a task reference. */
export const noopBatchTask = tasks.noopBatch;

/**
 * This module's URL. In the CJS build, tsup's `import.meta.url` shim is
 * computed in a shared chunk at the root of dist/, so it names that chunk
 * (`dist/chunk-*.cjs`), not `dist/workloads/index.cjs`.
 */
function entryUrl(here: string): string {
  const url = new URL(here);
  if (/\/workloads\/index\.[cm]?[jt]s$/.test(url.pathname)) return url.href;
  const extension = /\.[^./]+$/.exec(url.pathname)?.[0] ?? ".js";
  return new URL(`./workloads/index${extension}`, url).href;
}
