/**
 * The module each child process of a ProcessPoolExecutor runs. It answers one
 * request at a time over the IPC channel (advanced serialization), and exits
 * once its parent has gone — at once when idle, or as soon as the current
 * task returns.
 */
import v8 from "node:v8";
import { cloneFailureMessage } from "./transport/arguments.js";
import { serializeError } from "./transport/errors.js";
import { handleRequest, type WorkerConfig, type WorkerReply, type WorkerRequest } from "./transport/runner.js";

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

function send(message: ChildMessage): void {
  if (!process.connected) return;
  try {
    process.send!(message);
  } catch (error) {
    // A result the serializer refuses after all: answer with the error instead,
    // so only that call fails and this child lives on.
    if (message.type !== "reply" || !("outcomes" in message.reply)) throw error;
    const outcomes = message.reply.outcomes.map((outcome) => {
      if (!outcome.ok) return outcome;
      // Unbounded, unlike the check in the runner: this is the last net.
      try {
        v8.serialize(outcome.value);
        return outcome;
      } catch (why) {
        const error = cloneFailureMessage(why, [outcome.value], "the task's return value", "process");
        return { id: outcome.id, ok: false as const, error: serializeError(error) };
      }
    });
    process.send!({ ...message, reply: { ...message.reply, outcomes } });
  }
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
  send({ type: "reply", seq: message.seq, reply });
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
