/**
 * The worker side of a pool: rebuild each call, run it, and answer with its
 * outcome. Shared by worker threads and child processes. A task that throws
 * is an answer (`ok: false`), never a crash of the worker.
 */
import { inspectValue, sendProblem, type CloneProblem, type Transport } from "./arguments.js";
import { serializeError } from "./errors.js";
import { evaluateFunctionSource } from "./function-source.js";
import { loadTaskExport } from "./task.js";
import type { CallMessage, CallOutcome, CallSpec } from "./types.js";

/** What a worker is told when it starts. */
export interface WorkerConfig {
  transport: "thread" | "process";
  initializer: CallSpec | null;
  initargs: unknown[];
}

/** One call, or several carried in one message. */
export type WorkerRequest = { one: CallMessage } | { batch: CallMessage[] };

/** The answer to a request; `initFailed` when this worker's initializer threw. */
export type WorkerReply =
  | { outcomes: CallOutcome[]; ms: number }
  | { initFailed: unknown };

let initialized: Promise<void> | null = null;

/** Resolve a call spec to the function to call. */
export function resolveCall(call: CallSpec): Promise<(...args: unknown[]) => unknown> | ((...args: unknown[]) => unknown) {
  if (call.kind === "source") return evaluateFunctionSource(call.source) as (...args: unknown[]) => unknown;
  return loadTaskExport(call.url, call.name);
}

async function runOne(message: CallMessage, transport: WorkerConfig["transport"]): Promise<CallOutcome> {
  try {
    const fn = await resolveCall(message.call);
    const value = await fn(...message.args);
    // A result that cannot cross back must fail its own future, not crash the worker.
    const refused = checkResult(value, message.call, transport);
    if (refused) return { id: message.id, ok: false, error: serializeError(refused) };
    return { id: message.id, ok: true, value };
  } catch (error) {
    return { id: message.id, ok: false, error: serializeError(error) };
  }
}

const FROM: Record<Transport, string> = { thread: "a worker thread", process: "a child process" };

/**
 * Whether a task's result can be sent back to the caller: the bounded walk of
 * the argument check, then — for a worker thread, when that walk could not
 * see everything — the real serializer. A thread has no other net: piscina
 * posts the reply itself, and a reply it cannot clone kills the worker. (A
 * child process catches its own failed send, see child-entry.ts.)
 *
 * @returns the TypeError to fail the call with, or null when the result can cross.
 */
export function checkResult(value: unknown, call: CallSpec, transport: Transport): TypeError | null {
  const { problem, complete } = inspectValue(value, transport);
  if (problem) return resultError(problem, call, transport);
  if (complete || transport === "process") return null;
  const refused = sendProblem(value, transport);
  return refused && resultError(refused, call, transport);
}

/**
 * The TypeError for a result that cannot cross back, e.g. `the result of
 * task fib (fib.ts) cannot be sent back from a worker thread (return
 * value.cache: a Map...): <why>; return plain data ...`.
 *
 * @param cause the serializer's own error, when it was the one to refuse.
 */
export function resultError(problem: CloneProblem, call: CallSpec, transport: Transport, cause?: unknown): TypeError {
  // The argument advice after ';' (send data, recreate the object inside the task) is backwards for a result.
  const why = problem.reason.split("; ", 1)[0]!.replace(/\.$/, "");
  const message =
    `the result of ${describeCall(call)} cannot be sent back from ${FROM[transport]} ` +
    `(return value${problem.path}: ${problem.what}): ${why}; return plain data (objects, arrays, strings, ` +
    "numbers, typed arrays) and rebuild anything richer on the calling side";
  return cause === undefined ? new TypeError(message) : new TypeError(message, { cause });
}

/** `task fib (fib.ts)` for a task reference, `function fib` or `a self-contained function` for source. */
function describeCall(call: CallSpec): string {
  if (call.kind === "ref") return `task ${call.name} (${call.url.slice(call.url.lastIndexOf("/") + 1)})`;
  const name = /^\s*(?:async\s+)?function\s*\*?\s*([\w$]+)/.exec(call.source)?.[1];
  return name ? `function ${name}` : "a self-contained function";
}

/**
 * Run a request in this worker: the initializer first (once per worker), then
 * each call in order.
 */
export async function handleRequest(request: WorkerRequest, config: WorkerConfig): Promise<WorkerReply> {
  if (config.initializer !== null) {
    const spec = config.initializer;
    initialized ??= Promise.resolve()
      .then(() => resolveCall(spec))
      .then((fn) => fn(...config.initargs))
      .then(() => undefined);
    try {
      await initialized;
    } catch (error) {
      return { initFailed: serializeError(error) };
    }
  }
  const started = performance.now();
  const messages = "one" in request ? [request.one] : request.batch;
  const outcomes: CallOutcome[] = [];
  for (const message of messages) outcomes.push(await runOne(message, config.transport));
  return { outcomes, ms: performance.now() - started };
}
