/**
 * `unirun/compat/asyncio`: the drop-in mirror of `unirun/asyncio` (SPEC §4).
 *
 * `UNIRUN_COMPAT_MODE` is read once, when this module is first imported:
 * - `passthrough`: every export is the very object `unirun/asyncio` exports;
 * - `managed` (default): `toThread`, `toProcess` and `runInExecutor(null, ...)`
 *   run on the scheduler's shared pools, and a call that cannot be transferred
 *   runs on the event loop with a downgrade warning instead of being
 *   rejected; everything else is shared.
 */
import "../api/shared.js";
import { compatAsyncio, passthroughMode } from "./surface.js";

// Read once, at first import: flipping the variable later changes nothing.
const chosen = compatAsyncio(passthroughMode());

export const toThread = chosen.toThread;
export const toProcess = chosen.toProcess;
export const runInExecutor = chosen.runInExecutor;

export {
  asCompleted,
  BoundedSemaphore,
  CancelledError,
  gather,
  Semaphore,
  sleep,
  TaskGroup,
  timeout,
  TimeoutError,
  waitFor,
  wrapFuture,
} from "../asyncio/index.js";
export type * from "../asyncio/index.js";
