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
// Bound here rather than re-exported from compat/futures.ts and compat/asyncio.ts:
// each entry point stays a file of its own, and shares one chunk with the others.
import "../api/shared.js";
import type * as native from "../api/futures.js";
import { compatAsyncio, compatExecutors, passthroughMode, type Compat } from "./surface.js";

// Read once, at first import: flipping the variable later changes nothing.
const passthrough = passthroughMode();
const executors = compatExecutors(passthrough);
const asyncio = compatAsyncio(passthrough);

export const ThreadPoolExecutor = executors.ThreadPoolExecutor as Compat<typeof native.ThreadPoolExecutor>;
export type ThreadPoolExecutor = InstanceType<typeof ThreadPoolExecutor>;
export const InterpreterPoolExecutor = executors.InterpreterPoolExecutor as Compat<typeof native.InterpreterPoolExecutor>;
export type InterpreterPoolExecutor = InstanceType<typeof InterpreterPoolExecutor>;
export const ProcessPoolExecutor = executors.ProcessPoolExecutor as Compat<typeof native.ProcessPoolExecutor>;
export type ProcessPoolExecutor = InstanceType<typeof ProcessPoolExecutor>;
export const toThread = asyncio.toThread;
export const toProcess = asyncio.toProcess;
export const runInExecutor = asyncio.runInExecutor;

export * from "./natives.js";
export { BoundedSemaphore, gather, Semaphore, sleep, TaskGroup, timeout, waitFor, wrapFuture } from "../asyncio/index.js";
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
} from "../asyncio/index.js";
