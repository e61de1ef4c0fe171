/**
 * The workloads as task references (SPEC §1.1), built for a given module URL:
 * the `unirun/workloads` entry's own, or — for the benchmark harness, whose
 * code the bundler places elsewhere — the entry's path in the package.
 */
import { task, type TaskRef } from "../executors/transport/task.js";
import { countPrimes, hashChain } from "./cpu.js";
import { simulateAsyncIo, simulateBlockingIo } from "./io.js";
import { mixedWorkload } from "./mixed.js";
import { noop, noopBatch } from "./noop.js";

/** Every workload as a task reference to the module that exports it. */
export interface WorkloadTasks {
  countPrimes: TaskRef<typeof countPrimes>;
  hashChain: TaskRef<typeof hashChain>;
  simulateBlockingIo: TaskRef<typeof simulateBlockingIo>;
  simulateAsyncIo: TaskRef<typeof simulateAsyncIo>;
  mixedWorkload: TaskRef<typeof mixedWorkload>;
  noop: TaskRef<typeof noop>;
  noopBatch: TaskRef<typeof noopBatch>;
}

/**
 * Task references to the workloads exported by the module at `moduleUrl`,
 * which must export every workload under its own name (as `unirun/workloads`
 * does). Builds function objects only: nothing is imported or started.
 *
 * @param moduleUrl a `file:` URL or an absolute path.
 */
export function workloadTasks(moduleUrl: URL | string): WorkloadTasks {
  const cpu = { cpuBound: true };
  return {
    countPrimes: task(moduleUrl, { countPrimes }, cpu),
    hashChain: task(moduleUrl, { hashChain }, cpu),
    simulateBlockingIo: task(moduleUrl, { simulateBlockingIo }),
    simulateAsyncIo: task(moduleUrl, { simulateAsyncIo }),
    mixedWorkload: task(moduleUrl, { mixedWorkload }, cpu),
    noop: task(moduleUrl, { noop }),
    noopBatch: task(moduleUrl, { noopBatch }),
  };
}
