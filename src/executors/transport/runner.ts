/**
 * The worker side of a pool: rebuild each call, run it, and answer with its
 * outcome. Shared by worker threads and child processes. A task that throws
 * is an answer (a failed value), never a crash of the worker.
 *
 * The hot path is synchronous: a function already resolved in this worker is
 * called without an `await`, and a request whose calls all return plain
 * values is answered in the same turn.
 */
import { inspectValue, sendProblem, type CloneProblem, type Transport } from "./arguments.js";
import { serializeError } from "./errors.js";
import { evaluateFunctionSource } from "./function-source.js";
import { importTaskModule, loadTaskExport } from "./load-module.js";
import type { CallMessage, CallSpec } from "./types.js";

/** What a worker is told when it starts. */
export interface WorkerConfig {
  transport: "thread" | "process";
  initializer: CallSpec | null;
  initargs: unknown[];
}

/**
 * Calls for a worker, columnar so that a function crosses once per message:
 * `fns` the functions, `which[i]` the index in `fns` of call `i` (`0` when
 * every call uses `fns[0]`), `args[i]` its arguments.
 */
export type WorkerRequest = [fns: CallSpec[], which: number[] | 0, args: unknown[][]];

/**
 * The answer to a request: `values[i]` is call `i`'s result, or its serialized
 * error when `i` is in `failed` (`0` when none failed); `ms` the calls' time in
 * the worker. `initFailed` when this worker's initializer threw.
 */
export type WorkerReply = [values: unknown[], failed: number[] | 0, ms: number] | { initFailed: unknown };

type Fn = (...args: unknown[]) => unknown;

/** The calls of a request, one by one (for messages and tests). */
export function callsOf([fns, which, args]: WorkerRequest): CallMessage[] {
  return args.map((each, i) => ({ call: fns[which === 0 ? 0 : which[i]!]!, args: each }));
}

let initialized: Promise<void> | null = null;
let initDone = false;

/** Task modules this worker has loaded, by URL: their exports are looked up without waiting. */
const namespaces = new Map<string, Record<string, unknown>>();

/** Resolve a call spec to the function to call: at once when it is at hand, else a promise. */
export function resolveCall(call: CallSpec): Promise<Fn> | Fn {
  if (call.kind === "source") return evaluateFunctionSource(call.source) as Fn;
  const fn = namespaces.get(call.url)?.[call.name];
  if (typeof fn === "function") return fn as Fn;
  // The first call (or a missing export, whose error loadTaskExport words): load, then remember the module.
  return importTaskModule(call.url).then((namespace) => {
    namespaces.set(call.url, namespace);
    return loadTaskExport(call.url, call.name);
  });
}
