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
 * every call uses `fns[0]`), `args[i]` its arguments. With `which` =
 * {@link ONE_ARG}, every call uses `fns[0]` and `args[i]` is call `i`'s only
 * argument: a one-input `map` chunk crosses as a flat column of values.
 */
export type WorkerRequest = [fns: CallSpec[], which: number[] | 0 | typeof ONE_ARG, args: unknown[]];

/** `which` of a request whose `args` is a column of single arguments. */
export const ONE_ARG = -1;

/** The index in `fns` of call `i`'s function. */
export function fnIndex(which: WorkerRequest[1], i: number): number {
  return typeof which === "number" ? 0 : which[i]!;
}

/**
 * The answer to a request: `values[i]` is call `i`'s result, or its serialized
 * error when `i` is in `failed` (`0` when none failed); `ms` the calls' time in
 * the worker. `initFailed` when this worker's initializer threw.
 */
export type WorkerReply = [values: unknown[], failed: number[] | 0, ms: number] | { initFailed: unknown };

type Fn = (...args: unknown[]) => unknown;

/** The calls of a request, one by one (for messages and tests). */
export function callsOf([fns, which, args]: WorkerRequest): CallMessage[] {
  return args.map((each, i) => ({ call: fns[fnIndex(which, i)]!, args: which === ONE_ARG ? [each] : (each as unknown[]) }));
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
 * each call in order. Synchronous when nothing has to be waited for.
 */
export function handleRequest(request: WorkerRequest, config: WorkerConfig): WorkerReply | Promise<WorkerReply> {
  if (config.initializer !== null && !initDone) return initThenHandle(request, config, config.initializer);
  return new Calls(request, config.transport).run(0);
}

async function initThenHandle(request: WorkerRequest, config: WorkerConfig, spec: CallSpec): Promise<WorkerReply> {
  initialized ??= Promise.resolve()
    .then(() => resolveCall(spec))
    .then((fn) => fn(...config.initargs))
    .then(() => {
      initDone = true;
    });
  try {
    await initialized;
  } catch (error) {
    return { initFailed: serializeError(error) };
  }
  return new Calls(request, config.transport).run(0);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  ((typeof value === "object" && value !== null) || typeof value === "function")
  && typeof (value as { then?: unknown }).then === "function";

/** The calls of one request, run in order; the reply fills in as they finish. */
class Calls {
  readonly #fns: CallSpec[];
  readonly #which: WorkerRequest[1];
  readonly #args: unknown[];
  readonly #transport: Transport;
  /** The functions of `#fns`, resolved on first use (a resolution that failed is its error). */
  readonly #resolved: (Fn | { failed: unknown } | undefined)[] = [];
  /** Filled by push, in call order: the serializer writes a packed array in one pass, a holey one key by key. */
  readonly #values: unknown[] = [];
  #failed: number[] | 0 = 0;
  readonly #started = performance.now();

  constructor([fns, which, args]: WorkerRequest, transport: Transport) {
    this.#fns = fns;
    this.#which = which;
    this.#args = args;
    this.#transport = transport;
  }

  /** Run calls from `i` on; returns the reply, or a promise of it at the first call that must be awaited. */
  run(i: number): WorkerReply | Promise<WorkerReply> {
    for (; i < this.#args.length; i++) {
      const f = fnIndex(this.#which, i);
      let fn = this.#resolved[f];
      if (fn === undefined) {
        let resolved: Promise<Fn> | Fn;
        try {
          resolved = resolveCall(this.#fns[f]!);
        } catch (error) {
          resolved = Promise.reject(error);
        }
        if (isThenable(resolved)) return this.#resolveThenRun(resolved, f, i);
        fn = this.#resolved[f] = resolved;
      }
      if (typeof fn !== "function") {
        this.#fail(i, fn.failed);
        continue;
      }
      let value: unknown;
      try {
        value = this.#which === ONE_ARG ? fn(this.#args[i]) : fn(...(this.#args[i] as unknown[]));
      } catch (error) {
        this.#fail(i, error);
        continue;
      }
      if (isThenable(value)) return this.#awaitThenRun(value, i);
      this.#succeed(i, value);
    }
    return [this.#values, this.#failed, performance.now() - this.#started];
  }

  async #resolveThenRun(resolving: Promise<Fn>, f: number, i: number): Promise<WorkerReply> {
    try {
      this.#resolved[f] = await resolving;
    } catch (error) {
      this.#resolved[f] = { failed: error };
    }
    return this.run(i);
  }

  async #awaitThenRun(value: PromiseLike<unknown>, i: number): Promise<WorkerReply> {
    try {
      this.#succeed(i, await value);
    } catch (error) {
      this.#fail(i, error);
    }
    return this.run(i + 1);
  }

  #succeed(i: number, value: unknown): void {
    // A primitive always crosses; anything else is checked: a result that
    // cannot cross back must fail its own future, not crash the worker.
    const type = typeof value;
    const refused = (type === "object" && value !== null) || type === "function" || type === "symbol"
      ? checkResult(value, this.#fns[fnIndex(this.#which, i)]!, this.#transport)
      : null;
    if (refused) this.#fail(i, refused);
    else this.#values.push(value);
  }

  #fail(i: number, error: unknown): void {
    this.#values.push(serializeError(error));
    if (this.#failed === 0) this.#failed = [i];
    else this.#failed.push(i);
  }
}
