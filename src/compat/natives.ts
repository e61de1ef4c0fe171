/**
 * The names of `unirun/futures` that the compat entry points export as they
 * are, in both modes (everything but the three executor classes, which each
 * entry binds itself).
 */
export {
  ALL_COMPLETED,
  asCompleted,
  BrokenExecutor,
  BrokenInterpreterPool,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  Executor,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  InvalidStateError,
  task,
  TimeoutError,
  wait,
} from "../api/futures.js";
export type * from "../api/futures.js";
