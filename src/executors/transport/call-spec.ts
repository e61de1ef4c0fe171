/**
 * The calling side of the transport: turn a function into what a worker can
 * rebuild (SPEC §1.1), or refuse it with a TypeError that says how to fix it.
 */
import { functionSource } from "./function-source.js";
import { callSpecOf, isTaskRef } from "./task.js";
import type { CallSpec } from "./types.js";

/**
 * A task reference crosses as module URL and export name; any other function
 * crosses as its source, if it is self-contained.
 *
 * @throws TypeError for closures, bound and built-in functions.
 */
export function toCallSpec(fn: Function, caller: string): CallSpec {
  if (isTaskRef(fn)) return callSpecOf(fn);
  return { kind: "source", source: functionSource(fn, caller) };
}
