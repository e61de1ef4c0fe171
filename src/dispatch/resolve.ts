/**
 * `resolveExecutor` (SPEC §7): hypernodes' executor aliases on Node's backends.
 *
 * | alias          | backend           | executor                                   |
 * | -------------- | ----------------- | ------------------------------------------ |
 * | `"sequential"` | `inline`          | `SequentialExecutor`: one at a time, in order |
 * | `"async"`      | `event-loop`      | `ThreadPoolExecutor`, default 100 in flight |
 * | `"threaded"`   | `worker-threads`  | `InterpreterPoolExecutor`                  |
 * | `"parallel"`   | `child-processes` | `ProcessPoolExecutor`                      |
 *
 * Aliases give the native executors of `unirun/futures`: the alias names the
 * backend, so no scheduler rule or environment variable moves the work.
 */
import { ProcessPoolExecutor } from "../executors/child-processes.js";
import { ThreadPoolExecutor } from "../executors/event-loop.js";
import { checkMaxWorkers } from "../executors/options.js";
import { InterpreterPoolExecutor } from "../executors/worker-threads.js";
import { Executor } from "../futures/executor.js";
import { describe } from "../futures/timeouts.js";
import { BorrowedExecutor } from "./borrowed.js";
import { SequentialExecutor } from "./sequential.js";

/** The four aliases `resolveExecutor` accepts. */
export type ExecutorAlias = "sequential" | "async" | "threaded" | "parallel";

/** Each alias and the backend it runs on (frozen). */
export const EXECUTOR_ALIASES: Readonly<Record<ExecutorAlias, "inline" | "event-loop" | "worker-threads" | "child-processes">> =
  Object.freeze({
    sequential: "inline",
    async: "event-loop",
    threaded: "worker-threads",
    parallel: "child-processes",
  });

/** Calls in flight by default for `"async"` (hypernodes' default). */
export const DEFAULT_ASYNC_IN_FLIGHT = 100;

/** Options of {@link resolveExecutor}. */
export interface ResolveExecutorOptions {
  /**
   * Calls in flight (`"async"`) or workers (`"threaded"`, `"parallel"`) at
   * most. Defaults: 100 for `"async"`, `os.availableParallelism()` for the
   * pools. `"sequential"` always runs one at a time, and a supplied executor
   * keeps its own size: for those it is only checked.
   */
  maxWorkers?: number | null;
}

const OPTION_KEYS = ["maxWorkers"];

/**
 * An executor for `spec`: one of the four aliases, or an executor of yours.
 *
 * **You own what it returns**: shut it down when done (`await
 * ex.shutdown()`, or `await using ex = resolveExecutor(...)`). For an alias
 * that frees the executor made for you. For a supplied executor it returns a
 * {@link BorrowedExecutor} view (`view.executor` is yours): work goes
 * straight to your executor, and shutting the view down only ends the borrow
 * — it waits for (or, with `cancelFutures`, cancels) the calls made through
 * the view — so your executor is never shut down by whoever resolved it.
 *
 * @param spec `"sequential"` (backend `inline`), `"async"` (`event-loop`, sync
 *   and async callables), `"threaded"` (`worker-threads`), `"parallel"`
 *   (`child-processes`), or an `Executor`.
 * @throws RangeError for an unknown alias (the message lists the four) or `maxWorkers <= 0`.
 * @throws TypeError when `spec` is neither a string nor an Executor, or for bad options.
 */
export function resolveExecutor(spec: ExecutorAlias | Executor, options: ResolveExecutorOptions = {}): Executor {
  const maxWorkers = checkResolveOptions(options);
  if (spec instanceof Executor) return new BorrowedExecutor(spec);
  if (typeof spec !== "string") {
    throw new TypeError(
      `resolveExecutor(spec): must be an executor alias (${aliasList()}) or an Executor; got ${describe(spec)}`,
    );
  }
  const size = maxWorkers ?? undefined;
  switch (spec) {
    case "sequential":
      return new SequentialExecutor();
    case "async":
      return new ThreadPoolExecutor({ maxWorkers: size ?? DEFAULT_ASYNC_IN_FLIGHT });
    case "threaded":
      return new InterpreterPoolExecutor({ maxWorkers: size });
    case "parallel":
      return new ProcessPoolExecutor({ maxWorkers: size });
    default:
      throw new RangeError(`resolveExecutor(spec): unknown executor alias ${JSON.stringify(spec)}; accepted aliases are ${aliasList()}`);
  }
}

/** Whether `value` is one of the four aliases. */
export function isExecutorAlias(value: unknown): value is ExecutorAlias {
  return typeof value === "string" && Object.hasOwn(EXECUTOR_ALIASES, value);
}

/** The four aliases with their backends, for messages. */
export function aliasList(): string {
  return Object.entries(EXECUTOR_ALIASES).map(([alias, backend]) => `"${alias}" (${backend})`).join(", ");
}

function checkResolveOptions(options: ResolveExecutorOptions): number | null {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`resolveExecutor(spec, options): options must be an object; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError(`resolveExecutor(options): unknown option "${key}"; accepted options are ${OPTION_KEYS.join(", ")}`);
    }
  }
  const { maxWorkers } = options;
  if (maxWorkers === undefined || maxWorkers === null) return null;
  return checkMaxWorkers("resolveExecutor", maxWorkers, 1);
}
