/**
 * `unirun/compat/futures`: the drop-in mirror of `unirun/futures` (SPEC §4).
 *
 * `UNIRUN_COMPAT_MODE` is read once, when this module is first imported:
 * - `passthrough`: every export is the very object `unirun/futures` exports;
 * - `managed` (default): the three executor classes lease pools from the
 *   scheduler and carry `executor.decision`; everything else is shared.
 */
import "../api/shared.js";
import type * as native from "../api/futures.js";
import { compatExecutors, passthroughMode, type Compat } from "./surface.js";

// Read once, at first import: flipping the variable later changes nothing.
const chosen = compatExecutors(passthroughMode());

export const ThreadPoolExecutor = chosen.ThreadPoolExecutor as Compat<
  typeof native.ThreadPoolExecutor
>;
export type ThreadPoolExecutor = InstanceType<typeof ThreadPoolExecutor>;
export const InterpreterPoolExecutor = chosen.InterpreterPoolExecutor as Compat<typeof native.InterpreterPoolExecutor>;
export type InterpreterPoolExecutor = InstanceType<typeof InterpreterPoolExecutor>;
export const ProcessPoolExecutor = chosen.ProcessPoolExecutor as Compat<
  typeof native.ProcessPoolExecutor
>;
export type ProcessPoolExecutor = InstanceType<typeof ProcessPoolExecutor>;

export * from "./natives.js";
