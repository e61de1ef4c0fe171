/**
 * `unirun/compat`: the drop-in mirror of `unirun/futures` and the names of
 * `unirun/asyncio` that do not clash (`asCompleted`, `CancelledError`,
 * `TimeoutError` and the `AsCompletedOptions` type are the futures ones),
 * behind `UNIRUN_COMPAT_MODE` (SPEC §4). Migration is one import line:
 *
 * ```diff
 * -import { ThreadPoolExecutor, asCompleted } from "unirun/futures";
 * +import { ThreadPoolExecutor, asCompleted } from "unirun/compat";
 * ```
 */
export * from "./futures.js";
export {
  BoundedSemaphore,
  gather,
  runInExecutor,
  Semaphore,
  sleep,
  TaskGroup,
  timeout,
  toProcess,
  toThread,
  waitFor,
  wrapFuture,
} from "./asyncio.js";
export type {
  AbortableWork,
  AcquireOptions,
  GatherOptions,
  GatherOutcomes,
  GatherResults,
  SleepOptions,
  TaskFunction,
  TaskGroupOptions,
  TimeoutBody,
  TimeoutOptions,
  TimeoutScope,
} from "./asyncio.js";
