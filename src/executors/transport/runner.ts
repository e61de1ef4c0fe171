/**
 * The worker side of a pool: rebuild each call, run it, and answer with its
 * outcome. Shared by worker threads and child processes. A task that throws
 * is an answer (`ok: false`), never a crash of the worker.
 */
import { checkArguments } from "./arguments.js";
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
    try {
      // A result that cannot cross back must fail its own future, not crash the worker.
      checkArguments([value], "the task's return value", transport);
    } catch (error) {
      return { id: message.id, ok: false, error: serializeError(error) };
    }
    return { id: message.id, ok: true, value };
  } catch (error) {
    return { id: message.id, ok: false, error: serializeError(error) };
  }
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
