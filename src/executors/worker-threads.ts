/**
 * `InterpreterPoolExecutor` (backend `worker-threads`): Python's
 * sub-interpreters become `worker_threads` isolates, pooled with piscina.
 * Only transferable tasks run here (SPEC §1.1): task references and
 * self-contained functions.
 */
import { os } from "../builtins.js";
import type { ResourceLimits } from "node:worker_threads";
import { BrokenInterpreterPool } from "../futures/errors.js";
import { checkInitializer, checkMaxWorkers } from "./options.js";
import { PiscinaBackend } from "./piscina-backend.js";
import { PoolExecutor, type PoolBackend } from "./pool-executor.js";
import type { WorkerConfig } from "./transport/runner.js";

export { WorkerExitError } from "./piscina-backend.js";

export interface InterpreterPoolExecutorOptions {
  /** Worker threads at most; default `os().availableParallelism()`. */
  maxWorkers?: number;
  /** Kept for parity with Python's `thread_name_prefix`; piscina gives no way to name its threads. */
  threadNamePrefix?: string;
  /** A transferable function run once in each worker before its first task; a failure breaks the pool. */
  initializer?: ((...args: any[]) => unknown) | null;
  /** Arguments for `initializer`. */
  initargs?: readonly unknown[];
  /** Each worker's V8 limits (`worker_threads` `resourceLimits`); a worker that exceeds them breaks the pool. */
  resourceLimits?: ResourceLimits;
}

let executorCount = 0;

/**
 * An executor that runs transferable calls on a pool of worker threads.
 */
export class InterpreterPoolExecutor extends PoolExecutor {
  /** Kept for parity with Python; piscina gives no way to name its threads. */
  readonly threadNamePrefix: string;
  readonly #resourceLimits: ResourceLimits | undefined;

  /**
   * @throws RangeError when `maxWorkers <= 0`; TypeError for a non-transferable
   *   `initializer` or options of the wrong type.
   */
  constructor(options: InterpreterPoolExecutorOptions = {}) {
    const name = "InterpreterPoolExecutor";
    const maxWorkers = checkMaxWorkers(name, options.maxWorkers, os().availableParallelism());
    const { initializer, initargs } = checkInitializer(name, options.initializer, options.initargs);
    super(
      { name, Broken: BrokenInterpreterPool, transport: "thread", worker: "worker thread" },
      maxWorkers,
      initializer,
      initargs,
    );
    this.threadNamePrefix = options.threadNamePrefix ?? `InterpreterPoolExecutor-${executorCount++}`;
    if (options.resourceLimits !== undefined && (typeof options.resourceLimits !== "object" || options.resourceLimits === null)) {
      throw new TypeError(`${name}(resourceLimits): must be an object of worker_threads resource limits`);
    }
    this.#resourceLimits = options.resourceLimits;
  }

  protected override createBackend(config: WorkerConfig, size: number, onFatal: (error: unknown) => void): PoolBackend {
    return new PiscinaBackend({ config, size, resourceLimits: this.#resourceLimits, onFatal });
  }
}
