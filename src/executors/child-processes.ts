/**
 * `ProcessPoolExecutor` (backend `child-processes`): Python's processes become
 * Node child processes with an IPC channel; arguments and results cross by
 * the advanced (structured-clone) serializer. Only transferable tasks run here
 * (SPEC §1.1).
 */
import { os } from "../builtins.js";
import { BrokenProcessPool } from "../futures/errors.js";
import { describe } from "../futures/timeouts.js";
import { ChildProcessBackend, type Spawn } from "./child-backend.js";
import { checkInitializer, checkMaxWorkers } from "./options.js";
import { PoolExecutor, type PoolBackend } from "./pool-executor.js";
import type { WorkerConfig } from "./transport/runner.js";

export { ChildExitError } from "./child-backend.js";

export interface ProcessPoolExecutorOptions {
  /** Child processes at most; default `os().availableParallelism()`. */
  maxWorkers?: number;
  /** Replace a child after it has run this many tasks (a `map` chunk counts as one), as in Python. */
  maxTasksPerChild?: number | null;
  /** A transferable function run once in each child before its first task; a failure breaks the pool. */
  initializer?: ((...args: any[]) => unknown) | null;
  /** Arguments for `initializer`. */
  initargs?: readonly unknown[];
  /** Node flags for the children, in place of the parent's (as `child_process.fork` does). */
  execArgv?: readonly string[];
  /** The children's environment, in place of `process.env` (as `child_process.fork` does). */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * An executor that runs transferable calls in a pool of child processes.
 */
export class ProcessPoolExecutor extends PoolExecutor {
  readonly #options: Omit<Spawn, "config" | "size" | "onFatal">;

  /**
   * @throws RangeError when `maxWorkers <= 0` or `maxTasksPerChild <= 0`;
   *   TypeError for a non-transferable `initializer` or options of the wrong type.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    const name = "ProcessPoolExecutor";
    const maxWorkers = checkMaxWorkers(name, options.maxWorkers, os().availableParallelism());
    const { initializer, initargs } = checkInitializer(name, options.initializer, options.initargs);
    const maxTasksPerChild = checkMaxTasksPerChild(name, options.maxTasksPerChild);
    super(
      { name, Broken: BrokenProcessPool, transport: "process", worker: "child process" },
      maxWorkers,
      initializer,
      initargs,
      // A batch would let a child run more calls than maxTasksPerChild allows.
      { batching: maxTasksPerChild === null },
    );
    this.#options = {
      maxTasksPerChild,
      execArgv: checkStrings(name, options.execArgv),
      env: checkEnv(name, options.env),
    };
  }

  protected override createBackend(config: WorkerConfig, size: number, onFatal: (error: unknown) => void): PoolBackend {
    return new ChildProcessBackend({ config, size, onFatal, ...this.#options });
  }
}

/** Python's `max_tasks_per_child`: a positive integer, or `undefined`/`null` for no limit. */
function checkMaxTasksPerChild(executor: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number") {
    throw new TypeError(`${executor}(maxTasksPerChild): must be a positive integer or null; got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${executor}(maxTasksPerChild): max_tasks_per_child must be a positive integer; got ${value}`);
  }
  return value;
}

function checkStrings(executor: string, value: unknown): readonly string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new TypeError(`${executor}(execArgv): must be an array of strings (Node flags); got ${describe(value)}`);
  }
  return [...value];
}

function checkEnv(executor: string, value: unknown): Readonly<Record<string, string | undefined>> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${executor}(env): must be an object of environment variables; got ${describe(value)}`);
  }
  return { ...(value as Record<string, string | undefined>) };
}
