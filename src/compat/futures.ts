/**
 * `unirun/compat/futures`: the drop-in mirror of `unirun/futures` (SPEC §4).
 *
 * `UNIRUN_COMPAT_MODE` is read once, when this module is first imported:
 * - `passthrough`: every export is the very object `unirun/futures` exports;
 * - `managed` (default): the three executor classes lease pools from the
 *   scheduler and carry `executor.decision`; everything else is shared.
 */
import * as native from "../api/futures.js";
import type { Decision } from "../run/decisions.js";
// Imported in both modes: the exports must be bound synchronously (ESM link
// time, and `require` in the CJS build, which cannot await an import()).
// Loading it only defines classes: no pool, piscina, parser, semver or dotenv
// is loaded before first use.
import * as managed from "../run/managed-executors.js";
import { currentConfig } from "../run/scheduler.js";

// Read once, at first import: flipping the variable later changes nothing.
const passthrough = currentConfig().compatMode === "passthrough";

/** A native executor class whose instances may also carry `decision` (managed mode). */
type Compat<C extends abstract new (...args: any) => any> =
  & (new (...args: ConstructorParameters<C>) => InstanceType<C> & { readonly decision?: Decision })
  & C;

export const ThreadPoolExecutor = (passthrough ? native.ThreadPoolExecutor : managed.ThreadPoolExecutor) as Compat<
  typeof native.ThreadPoolExecutor
>;
export type ThreadPoolExecutor = InstanceType<typeof ThreadPoolExecutor>;
export const InterpreterPoolExecutor = (passthrough
  ? native.InterpreterPoolExecutor
  : managed.InterpreterPoolExecutor) as Compat<typeof native.InterpreterPoolExecutor>;
export type InterpreterPoolExecutor = InstanceType<typeof InterpreterPoolExecutor>;
export const ProcessPoolExecutor = (passthrough ? native.ProcessPoolExecutor : managed.ProcessPoolExecutor) as Compat<
  typeof native.ProcessPoolExecutor
>;
export type ProcessPoolExecutor = InstanceType<typeof ProcessPoolExecutor>;

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
