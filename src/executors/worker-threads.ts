/**
 * `InterpreterPoolExecutor` (backend `worker-threads`): Python's
 * sub-interpreters become `worker_threads` isolates, pooled with piscina.
 * Only transferable tasks run here (SPEC §1.1): task references and
 * self-contained functions.
 */
import { createRequire } from "node:module";
import os from "node:os";
import type { ResourceLimits, TransferListItem } from "node:worker_threads";
import type { Piscina as PiscinaType } from "piscina";
import { BrokenInterpreterPool } from "../futures/errors.js";
import { entryModule, withEntryFlags } from "./entry.js";
import { checkInitializer, checkMaxWorkers } from "./options.js";
import { PoolExecutor, type PoolBackend } from "./pool-executor.js";
import { workerExecArgv } from "./transport/load-module.js";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "./transport/runner.js";

export interface InterpreterPoolExecutorOptions {
  /** Worker threads at most; default `os.availableParallelism()`. */
  maxWorkers?: number;
  /** Names the worker threads (`${threadNamePrefix}`), as Python's `thread_name_prefix`. */
  threadNamePrefix?: string;
  /** A transferable function run once in each worker before its first task; a failure breaks the pool. */
  initializer?: ((...args: any[]) => unknown) | null;
  /** Arguments for `initializer`. */
  initargs?: readonly unknown[];
  /** Each worker's V8 limits (`worker_threads` `resourceLimits`); a worker that exceeds them breaks the pool. */
  resourceLimits?: ResourceLimits;
}

const requireHere = createRequire(import.meta.url);
let executorCount = 0;

class PiscinaBackend implements PoolBackend {
  readonly #pool: PiscinaType;

  constructor(
    config: WorkerConfig,
    size: number,
    name: string,
    resourceLimits: ResourceLimits | undefined,
    onFatal: (error: unknown) => void,
  ) {
    // Loaded on first use: importing unirun must not load worker machinery.
    const { Piscina } = requireHere("piscina") as typeof import("piscina");
    const entry = entryModule("worker");
    const execArgv = withEntryFlags(workerExecArgv(), entry);
    this.#pool = new Piscina({
      filename: entry.filename,
      minThreads: 0,
      maxThreads: size,
      // Idle workers stay warm but unreferenced, so they never keep the process alive.
      idleTimeout: Infinity,
      // 'sync' would block a worker's event loop between tasks (its timers would not fire).
      atomics: "async",
      workerData: config,
      execArgv,
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    // piscina reports a worker that dies with no task in flight (failing to
    // start, or an uncaught error while idle) only as an 'error' event, and
    // keeps queued tasks waiting: for unirun that is a broken pool.
    this.#pool.on("error", onFatal);
  }

  run(request: WorkerRequest, options: { signal?: AbortSignal; transferList?: TransferListItem[] }): Promise<WorkerReply> {
    return this.#pool.run(request, options as Parameters<PiscinaType["run"]>[1]) as Promise<WorkerReply>;
  }

  destroy(): Promise<void> {
    // A graceful stop is only asked for once the pool is idle, so all three are the same here.
    return this.#pool.destroy();
  }

  /** The live worker threads, for diagnostics and tests. */
  get threads(): readonly import("node:worker_threads").Worker[] {
    return this.#pool.threads;
  }
}

/**
 * An executor that runs transferable calls on a pool of worker threads.
 */
export class InterpreterPoolExecutor extends PoolExecutor {
  /** Kept for parity with Python; the pool's threads are named after it. */
  readonly threadNamePrefix: string;
  readonly #resourceLimits: ResourceLimits | undefined;

  /**
   * @throws RangeError when `maxWorkers <= 0`; TypeError for a non-transferable
   *   `initializer` or options of the wrong type.
   */
  constructor(options: InterpreterPoolExecutorOptions = {}) {
    const name = "InterpreterPoolExecutor";
    const maxWorkers = checkMaxWorkers(name, options.maxWorkers, os.availableParallelism());
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
    return new PiscinaBackend(config, size, this.threadNamePrefix, this.#resourceLimits, onFatal);
  }
}
