/**
 * The executor-independent core of `concurrent.futures`: Future, the Executor
 * base, wait, asCompleted and the error classes.
 */
export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  BrokenExecutor,
  BrokenThreadPool,
  BrokenInterpreterPool,
  BrokenProcessPool,
} from "./errors.js";
export { Future, type FutureState, type DoneCallback } from "./future.js";
export {
  Executor,
  type SubmitOptions,
  type MapOptions,
  type ShutdownOptions,
  type AnyIterable,
} from "./executor.js";
export type { MapResults } from "./map.js";
export {
  wait,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  ALL_COMPLETED,
  type ReturnWhen,
  type WaitOptions,
  type AsCompletedOptions,
  type DoneAndNotDoneFutures,
  type CompletedFuture,
} from "./wait.js";
