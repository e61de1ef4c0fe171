/**
 * The module each child process of a ProcessPoolExecutor runs. It answers one
 * request at a time over the IPC channel (advanced serialization), and exits
 * once its parent has gone — at once when idle, or as soon as the current
 * task returns.
 */
import { sendProblem } from "./transport/arguments.js";
import { serializeError } from "./transport/errors.js";
import {
  fnIndex,
  handleRequest,
  resultError,
  type WorkerConfig,
  type WorkerReply,
  type WorkerRequest,
} from "./transport/runner.js";
import type { CallSpec } from "./transport/types.js";

/**
 * A request over the channel: a WorkerRequest whose functions are numbers.
 * `defs` first tells the child what a number stands for; the parent sends
 * each function once per child and numbers it from then on (a number may be
 * given a new meaning later: the parent keeps at most a bounded set per child).
 */
export type RunMessage = [fns: number[], which: WorkerRequest[1], args: unknown[], defs: [id: number, spec: CallSpec][] | 0];

/** Parent → child. */
export type ParentMessage = RunMessage | { type: "init"; config: WorkerConfig } | { type: "exit" };

/** Child → parent: ready once, then one reply per request. */
export type ChildMessage = { type: "ready" } | WorkerReply;

let config: WorkerConfig | null = null;
const specs: CallSpec[] = [];
let busy = false;
let parentGone = false;

function send(message: ChildMessage, request?: WorkerRequest): void {
  if (!process.connected) return;
  try {
    process.send!(message);
  } catch (error) {
    // A result the serializer refuses after all: answer with the error instead,
    // so only that call fails and this child lives on.
    if (!Array.isArray(message) || !request) throw error;
    process.send!(refusedResults(message, request, error));
  }
}

/** The reply again, with each result the serializer refuses replaced by its TypeError. */
function refusedResults([values, failed, ms]: [unknown[], number[] | 0, number], request: WorkerRequest, error: unknown): WorkerReply {
  const [fns, which] = request;
  const failing = failed === 0 ? [] : [...failed];
  const checked = values.map((value, i) => {
    if (failing.includes(i)) return value;
    // Unbounded, unlike the check in the runner: this is the last net.
    const problem = sendProblem(value, "process");
    if (problem === null) return value;
    failing.push(i);
    return serializeError(resultError(problem, fns[fnIndex(which, i)]!, "process", error));
  });
  return [checked, failing.length > 0 ? failing : 0, ms];
}

function onMessage(message: ParentMessage): void {
  if (!Array.isArray(message)) {
    if (message.type === "init") config = message.config;
    else process.disconnect?.();
    return;
  }
  const [ids, which, args, defs] = message;
  if (defs !== 0) for (const [id, spec] of defs) specs[id] = spec;
  const fns: CallSpec[] = [];
  for (const id of ids) fns.push(specs[id]!);
  const request: WorkerRequest = [fns, which, args];
  busy = true;
  const handled = handleRequest(request, config!);
  // Answered in the same turn when no call had to be awaited (the common case).
  if (handled instanceof Promise) void handled.then((reply) => answer(reply, request));
  else answer(handled, request);
}

function answer(reply: WorkerReply, request: WorkerRequest): void {
  busy = false;
  send(reply, request);
  if (parentGone) process.exit(0);
}

process.on("message", onMessage);
// Announce readiness only once listening: a message sent earlier could be lost.
send({ type: "ready" });
process.on("disconnect", () => {
  // The parent has gone (or retired this child): finish the current task, then leave.
  parentGone = true;
  if (!busy) process.exit(0);
});
