/**
 * Per-task routing (SPEC §6, `UNIRUN_THREAD_MODE`): where one thread-pool task
 * runs. A task may leave the event loop only if it is transferable (a task
 * reference, or a self-contained function with arguments that can be cloned).
 *
 * - `gil`: every task stays on the event loop (a CPU-bound task is reported as
 *   a downgrade, since it was asked to run elsewhere).
 * - `auto`: a CPU-bound task (`task(..., { cpuBound: true })`, or submitted
 *   inside `ExecutionContext({ ioHeavy: false })`) goes to worker threads; the
 *   rest stay.
 * - `nogil`: every transferable task goes to worker threads; a closure stays,
 *   with a downgrade warning.
 */
import { checkArguments } from "../executors/transport/arguments.js";
import { toCallSpec } from "../executors/transport/call-spec.js";
import { isTaskRef } from "../executors/transport/task.js";
import type { Capabilities } from "./capabilities.js";
import { ExecutionContext } from "./context.js";
import type { ThreadMode } from "./config.js";
import type { Backend } from "./decide.js";
import type { ReasonCode } from "./decisions.js";
import type { Downgrade } from "./warnings.js";

/** Where one task goes, and why. */
export interface TaskRoute {
  backend: Backend;
  reason: ReasonCode;
  /** Set when the task was asked to go elsewhere and could not. */
  downgrade: Downgrade | null;
  detail: string;
}

/**
 * Why `fn(...args)` cannot leave this thread, or `null` when it can. Uses
 * the transport's own checks (the parser for functions, the structured-clone
 * walk for arguments), so the answer matches what a pool would accept.
 */
export function notTransferable(fn: Function, args: readonly unknown[], transport: "thread" | "process"): string | null {
  try {
    toCallSpec(fn, "submit(fn, ...args)");
    checkArguments(args, "submit(fn, ...args)", transport);
    return null;
  } catch (error) {
    if (error instanceof TypeError) return summary(error.message);
    throw error;
  }
}

/**
 * The part of a transport TypeError that says what is wrong, for a decision's
 * detail: `fn captures \`latency\``, without the caller prefix or the advice
 * (the downgrade warning carries the advice).
 */
function summary(message: string): string {
  const line = message.split("\n", 1)[0] ?? message;
  const what = line.replace(/^[^:]*\([^)]*\): /, "").split(" — ", 1)[0] ?? line;
  return what.length > 160 ? `${what.slice(0, 157)}...` : what;
}

/** Whether the task asks for a CPU: a `cpuBound` task reference, or an `ioHeavy: false` context. */
export function isCpuBound(fn: Function): boolean {
  if (isTaskRef(fn) && fn.cpuBound) return true;
  return ExecutionContext.current()?.ioHeavy === false;
}

/**
 * Route one task of a thread-pool-flavoured executor under `mode`.
 *
 * @param surface the API, for downgrade messages.
 */
export function routeThreadTask(
  surface: string,
  mode: ThreadMode,
  fn: Function,
  args: readonly unknown[],
  caps: Capabilities,
): TaskRoute {
  const stay = (reason: ReasonCode, detail: string): TaskRoute => ({ backend: "event-loop", reason, downgrade: null, detail });
  const fallback = (why: string, detail = why): TaskRoute => ({
    backend: "event-loop",
    reason: "downgrade",
    detail,
    downgrade: { surface, reason: why, requested: "worker-threads", resolved: "event-loop" },
  });
  const cpu = isCpuBound(fn);
  if (mode === "gil") {
    return cpu ? fallback("UNIRUN_THREAD_MODE=gil keeps CPU-bound tasks on the event loop") : stay("thread-mode", "gil");
  }
  if (mode === "auto" && !cpu) {
    return ExecutionContext.current()?.ioHeavy === true ? stay("hint", "ioHeavy: true") : stay("thread-mode", "auto");
  }
  if (!caps.workerThreadsAllowed) {
    return fallback("Node's permission model denies worker threads (run node with --allow-worker to allow them)");
  }
  const problem = notTransferable(fn, args, "thread");
  if (problem !== null) {
    // One reason per executor, whatever the closure captured: warned once.
    return fallback(
      "a task that is not transferable (a closure, or arguments that cannot be cloned) stays on the event loop; " +
        "use a task reference (task(url, name)) or a self-contained function",
      problem,
    );
  }
  return mode === "nogil"
    ? { backend: "worker-threads", reason: "thread-mode", downgrade: null, detail: "nogil" }
    : { backend: "worker-threads", reason: "hint", downgrade: null, detail: "CPU-bound task" };
}
