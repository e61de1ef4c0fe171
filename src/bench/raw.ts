/**
 * The baselines a user would otherwise write by hand: a raw piscina pool, a
 * `worker_threads` ping-pong and a `child_process` IPC ping-pong. Each is set
 * up the plain way its documentation shows, with nothing of unirun's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { threadExecArgv } from "../executors/transport/load-module.js";
import type { ScenarioContext } from "./types.js";

/**
 * A piscina pool of `threads` threads over the workloads module, so that
 * `pool.run(x, { name: "noop" })` calls the same function unirun's task
 * reference does. Options are piscina's defaults unless given.
 */
export function rawPiscina(
  context: ScenarioContext,
  threads: number,
  options: { atomics?: "sync" | "async" | "disabled" } = {},
): Piscina {
  // From the TypeScript source (the tests), workers need tsx to load the workloads module.
  const execArgv = threadExecArgv(context.fromSource ? ["--import", "tsx"] : []);
  const pool = new Piscina({
    filename: context.workloadsFile,
    // The export a worker loads as it starts (piscina's default, "default", is not one).
    name: "noop",
    minThreads: threads,
    maxThreads: threads,
    ...(execArgv ? { execArgv } : {}),
    ...options,
  });
  // A worker that fails to start is only an 'error' event, and queued runs
  // would wait forever: stop the pool, which rejects them, so the scenario fails.
  pool.on("error", () => void pool.destroy());
  return pool;
}

/** One message out, the same message back: the floor of any pool built on a channel. */
interface PingPong {
  roundTrip(value: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/** Adapts a channel's one-message-at-a-time replies to promises. */
function replies(): { wait(): Promise<unknown>; deliver(message: unknown): void } {
  let resolve: ((value: unknown) => void) | null = null;
  return {
    wait: () => new Promise((r) => (resolve = r)),
    deliver: (message) => {
      const settle = resolve;
      resolve = null;
      settle?.(message);
    },
  };
}

const ECHO_WORKER = `require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m));`;

/** A raw worker thread that echoes each message (`new Worker(code, { eval: true })`). */
export async function workerPingPong(): Promise<PingPong> {
  const worker = new Worker(ECHO_WORKER, { eval: true });
  const channel = replies();
  worker.on("message", channel.deliver);
  await new Promise((resolve, reject) => worker.once("online", resolve).once("error", reject));
  return {
    roundTrip(value) {
      const reply = channel.wait();
      worker.postMessage(value);
      return reply;
    },
    async stop() {
      await worker.terminate();
    },
  };
}

const ECHO_CHILD = `process.on("message", (m) => process.send(m));`;

/**
 * A raw child process that echoes each IPC message, with the advanced
 * (structured-clone) serializer that ProcessPoolExecutor uses too.
 */
export async function childPingPong(): Promise<PingPong> {
  const child: ChildProcess = spawn(process.execPath, ["-e", ECHO_CHILD], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  const channel = replies();
  child.on("message", channel.deliver);
  await new Promise((resolve, reject) => child.once("spawn", resolve).once("error", reject));
  return {
    roundTrip(value) {
      const reply = channel.wait();
      child.send(value as string);
      return reply;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.disconnect();
      await exited;
    },
  };
}
