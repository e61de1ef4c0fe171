/**
 * `unirun/asyncio`: asyncio-shaped helpers (SPEC §3), native and unmanaged.
 *
 * Timeouts and delays are in seconds everywhere, as in Python. Cancellation is
 * the Node kind: an `AbortSignal` that work honours. Bad arguments throw
 * synchronously (TypeError/RangeError naming the argument), as in
 * `unirun/futures`; everything that happens to the work itself arrives
 * through the returned Promise.
 *
 * Importing this module starts no thread or process and loads no worker
 * machinery: the default executors are made on first use.
 */
// One shared chunk for every entry point (see api/shared.ts).
import "../api/shared.js";
export { CancelledError, TimeoutError } from "../futures/errors.js";
export { sleep, type SleepOptions } from "./sleep.js";
export { timeout, type TimeoutBody, type TimeoutOptions, type TimeoutScope } from "./timeout.js";
export { waitFor, type AbortableWork } from "./wait-for.js";
export { gather, type GatherOptions, type GatherResults, type GatherOutcomes } from "./gather.js";
export { asCompleted, type AsCompletedOptions, type AsCompletedIterator } from "./as-completed.js";
export { TaskGroup, type TaskGroupOptions, type TaskFunction } from "./task-group.js";
export { Semaphore, BoundedSemaphore, type AcquireOptions } from "./semaphore.js";
export { toThread, toProcess, runInExecutor, wrapFuture } from "./executors.js";
