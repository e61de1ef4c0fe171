/**
 * The module each child process of a ProcessPoolExecutor runs. It answers one
 * request at a time over the IPC channel (advanced serialization), and exits
 * once its parent has gone — at once when idle, or as soon as the current
 * task returns.
 */
import { sendProblem } from "./transport/arguments.js";
import { serializeError } from "./transport/errors.js";
import {
  handleRequest,
  resultError,
  type WorkerConfig,
  type WorkerReply,
  type WorkerRequest,
} from "./transport/runner.js";
import type { CallOutcome } from "./transport/types.js";

/** Parent → child. */
export type ParentMessage =
  | { type: "init"; config: WorkerConfig }
  | { type: "run"; seq: number; request: WorkerRequest }
  | { type: "exit" };

/** Child → parent. */
export type ChildMessage = { type: "ready" } | { type: "reply"; seq: number; reply: WorkerReply };

let config: WorkerConfig | null = null;
let busy = false;
let parentGone = false;

function send(message: ChildMessage, request?: WorkerRequest): void {
  if (!process.connected) return;
  try {
    process.send!(message);
  } catch (error) {
    // A result the serializer refuses after all: answer with the error instead,
    // so only that call fails and this child lives on.
    if (message.type !== "reply" || !("outcomes" in message.reply) || !request) throw error;
    const outcomes = message.reply.outcomes.map((outcome) => refusedResult(outcome, request, error));
    process.send!({ ...message, reply: { ...message.reply, outcomes } });
  }
}

/** The outcome again, or the result's TypeError when the serializer refuses its value. */
function refusedResult(outcome: CallOutcome, request: WorkerRequest, error: unknown): CallOutcome {
  if (!outcome.ok) return outcome;
  // Unbounded, unlike the check in the runner: this is the last net.
  const problem = sendProblem(outcome.value, "process");
  if (problem === null) return outcome;
  const calls = "one" in request ? [request.one] : request.batch;
  const call = calls.find((each) => each.id === outcome.id)!.call;
  return { id: outcome.id, ok: false, error: serializeError(resultError(problem, call, "process", error)) };
}

async function onMessage(message: ParentMessage): Promise<void> {
  if (message.type === "init") {
    config = message.config;
    return;
  }
  if (message.type === "exit") {
    process.disconnect?.();
    return;
  }
  busy = true;
  const reply = await handleRequest(message.request, config!);
  busy = false;
  send({ type: "reply", seq: message.seq, reply }, message.request);
  if (parentGone) process.exit(0);
}

process.on("message", (message: ParentMessage) => void onMessage(message));
// Announce readiness only once listening: a message sent earlier could be lost.
send({ type: "ready" });
process.on("disconnect", () => {
  // The parent has gone (or retired this child): finish the current task, then leave.
  parentGone = true;
  if (!busy) process.exit(0);
});
