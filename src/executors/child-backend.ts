/**
 * The child-process backend of ProcessPoolExecutor: one request at a time per
 * child over its IPC channel (advanced serialization), children started on
 * demand up to the pool's size, retired after `maxTasksPerChild` tasks, and
 * each exit judged — expected (retired, aborted, stopped) or a death that
 * breaks the pool, reported with its exit code or signal and stderr's tail.
 */
import type { ChildProcess } from "node:child_process";
import { childProcess } from "../builtins.js";
import type { Readable } from "node:stream";
import type { ChildMessage, ParentMessage, RunMessage } from "./child-entry.js";
import { entryModule, withEntryFlags } from "./entry.js";
import { SendRefused, type PoolBackend, type RunOptions, type StopHow } from "./pool-backend.js";
import { workerExecArgv } from "./transport/load-module.js";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "./transport/runner.js";
import type { CallSpec } from "./transport/types.js";


const STDERR_TAIL = 4096;
// How long a dead child's stderr may take to deliver its last bytes (a grandchild can hold it open forever).
const STDERR_GRACE_MS = 100;
// Functions a child is told about at most; past it, their numbers are handed out again.
const MAX_KNOWN = 1_024;

/** A child that died: its exit code or signal, and the end of what it wrote to stderr. */
export class ChildExitError extends Error {
  constructor(
    readonly pid: number | undefined,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const tail = stderr.trim() ? `; the end of its stderr:\n${stderr.trimEnd()}` : "";
    super(`child process ${pid ?? "?"} ${how}${tail}`);
    this.name = "ChildExitError";
  }
}

interface Job {
  request: WorkerRequest;
  /** Where the answer goes; its `signal` stops the child. */
  options: RunOptions;
}

interface Child {
  proc: ChildProcess;
  ready: boolean;
  /** Whether its handles keep the parent alive (busy) or not (idle). */
  refed: boolean;
  job: Job | null;
  tasks: number;
  /** Leaving on purpose (retired, aborted, stopped): its exit breaks nothing. */
  leaving: boolean;
  stderr: string;
  /** The functions this child was sent, by the number it knows each by. */
  known: Map<CallSpec, number>;
  /** The number the next new function gets (below MAX_KNOWN: the child keeps them in an array). */
  nextId: number;
}

type Handle = { ref?(): void; unref?(): void };

export interface Spawn {
  config: WorkerConfig;
  size: number;
  maxTasksPerChild: number | null;
  execArgv: readonly string[] | null;
  env: Readonly<Record<string, string | undefined>> | null;
  onFatal: (error: unknown) => void;
}

export class ChildProcessBackend implements PoolBackend {
  readonly #spawn: Spawn;
  readonly #children = new Set<Child>();
  /** Retired after maxTasksPerChild tasks and on their way out: no longer counted, still awaited by destroy(). */
  readonly #retiring = new Set<Child>();
  readonly #idle: Child[] = [];
  readonly #waiting: Job[] = [];
  #stopping = false;
  /** A child died: the pool is about to break, so no new child starts meanwhile. */
  #doomed = false;

  constructor(spawn: Spawn) {
    this.#spawn = spawn;
  }

  run(request: WorkerRequest, options: RunOptions): void {
    const room = this.#children.size < this.#spawn.size;
    // fork() throws when the permission model denies child processes: so does run().
    const child = this.#doomed ? null : (this.#idle.pop() ?? (room ? this.#start() : null));
    const job: Job = { request, options };
    if (child) this.#assign(child, job);
    else this.#waiting.push(job);
  }

  async destroy(how: StopHow): Promise<void> {
    this.#stopping = true;
    for (const job of this.#waiting.splice(0)) fail(job, new Error("the process pool was stopped"));
    const exits = [...this.#children, ...this.#retiring].map((child) => {
      child.leaving = true;
      // An awaited shutdown must keep the process alive until its children are gone.
      this.#ref(child, true);
      const exited = new Promise<void>((resolve) => {
        if (child.proc.exitCode !== null || child.proc.signalCode !== null) resolve();
        else child.proc.once("exit", () => resolve());
      });
      if (how !== "graceful") child.proc.kill(how === "kill" ? "SIGKILL" : "SIGTERM");
      // A disconnected child is already leaving (retired): let it finish on its own.
      else if (child.proc.connected) child.proc.disconnect();
      return exited;
    });
    await Promise.all(exits);
  }

  #start(): Child {
    const entry = entryModule("child");
    const flags = this.#spawn.execArgv ?? workerExecArgv();
    const proc = childProcess().fork(entry.filename, [], {
      serialization: "advanced",
      execArgv: withEntryFlags(flags, entry),
      env: this.#spawn.env ?? process.env,
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    const child: Child = { proc, ready: false, refed: false, job: null, tasks: 0, leaving: false, stderr: "", known: new Map(), nextId: 0 };
    this.#children.add(child);
    proc.stderr!.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      child.stderr = (child.stderr + chunk.toString()).slice(-STDERR_TAIL);
    });
    proc.on("message", (message: ChildMessage) => this.#onMessage(child, message));
    proc.on("exit", (code, signal) => this.#onExit(child, code, signal));
    proc.on("error", (error) => this.#onSpawnError(child, error));
    return child;
  }

  #assign(child: Child, job: Job): void {
    child.job = job;
    child.tasks++;
    this.#ref(child, true);
    const signal = job.options.signal;
    if (signal) signal.addEventListener("abort", () => this.#abort(child, job), { once: true });
    if (child.ready) this.#send(child, runMessage(child, job.request));
  }

  #send(child: Child, message: ParentMessage): void {
    try {
      child.proc.send(message);
    } catch (error) {
      // Arguments are checked before anything is sent, but only so far (the
      // check is bounded): the serializer is the last net. What it refuses is
      // the call's fault, not the child's — the pool core fails only those calls.
      const job = child.job;
      child.job = null;
      // The child never heard of the functions this message defined.
      if (Array.isArray(message) && message[3] !== 0) for (const [, spec] of message[3]) child.known.delete(spec);
      this.#release(child);
      if (job) fail(job, Array.isArray(message) ? new SendRefused(error) : error);
    }
  }

  #onMessage(child: Child, message: ChildMessage): void {
    if (!Array.isArray(message) && "type" in message && message.type === "ready") {
      child.ready = true;
      this.#send(child, { type: "init", config: this.#spawn.config });
      if (child.job) this.#send(child, runMessage(child, child.job.request));
      return;
    }
    const job = child.job;
    child.job = null;
    this.#release(child);
    // At once, not on a later microtask: the reply is the hot path.
    job?.options.onReply(message as WorkerReply);
  }

  /** A child is free again: retire it, hand it the next job, or let it idle. */
  #release(child: Child): void {
    const max = this.#spawn.maxTasksPerChild;
    if (max !== null && child.tasks >= max) {
      child.leaving = true;
      this.#children.delete(child);
      this.#retiring.add(child);
      if (child.proc.connected) child.proc.disconnect();
      const next = this.#waiting.shift();
      if (next) this.#startFor(next);
      return;
    }
    const next = this.#waiting.shift();
    if (next) {
      this.#assign(child, next);
      return;
    }
    this.#ref(child, false);
    this.#idle.push(child);
  }

  #abort(child: Child, job: Job): void {
    if (child.job !== job) return;
    // Stop the task by stopping its child; the pool starts a new one when needed.
    child.leaving = true;
    child.job = null;
    child.proc.kill("SIGKILL");
    fail(job, job.options.signal!.reason);
  }

  #onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.#children.delete(child);
    this.#retiring.delete(child);
    const at = this.#idle.indexOf(child);
    if (at >= 0) this.#idle.splice(at, 1);
    const job = child.job;
    child.job = null;
    const expected = child.leaving || this.#stopping;
    if (!expected) this.#doomed = true;
    // 'exit' can come before the last bytes of stderr, which often say why.
    void stderrDrained(child.proc.stderr).then(() => {
      const error = new ChildExitError(child.proc.pid, code, signal, child.stderr);
      if (job) job.options.onFailure(error);
      else if (!expected) this.#spawn.onFatal(error);
    });
    const next = this.#stopping || this.#doomed ? undefined : this.#waiting.shift();
    if (next) this.#startFor(next);
  }

  /** A new child for a waiting job; when fork() throws, the job fails with its error (the pool breaks). */
  #startFor(job: Job): void {
    let child: Child;
    try {
      child = this.#start();
    } catch (error) {
      fail(job, error);
      return;
    }
    this.#assign(child, job);
  }

  #onSpawnError(child: Child, error: Error): void {
    // fork() failed (permission model, EAGAIN, ...): there is no child to wait for.
    if (child.proc.pid !== undefined && child.proc.exitCode === null) return;
    this.#children.delete(child);
    const job = child.job;
    child.job = null;
    if (job) fail(job, error);
    else this.#spawn.onFatal(error);
  }

  /** Busy children keep the parent alive; idle ones never do. */
  #ref(child: Child, on: boolean): void {
    if (child.refed === on) return;
    child.refed = on;
    const { proc } = child;
    const channel = proc.channel as Handle | null | undefined;
    const stderr = proc.stderr as Handle | null;
    if (on) {
      proc.ref();
      channel?.ref?.();
      stderr?.ref?.();
    } else {
      proc.unref();
      channel?.unref?.();
      stderr?.unref?.();
    }
  }
}

/**
 * Fail `job` on a later microtask: a failure found inside run(), an abort
 * listener or destroy() must not re-enter the dispatcher there.
 */
function fail(job: Job, error: unknown): void {
  queueMicrotask(() => job.options.onFailure(error));
}

/**
 * @internal The request as `child` reads it: each function by its number,
 * sent along (in `defs`) the first time; exported for tests.
 */
export function runMessage(child: Pick<Child, "known" | "nextId">, [fns, which, args]: WorkerRequest): RunMessage {
  let defs: [number, CallSpec][] | 0 = 0;
  // Start over before the message, never within it: its numbers must not collide.
  if (child.nextId + fns.length > MAX_KNOWN) {
    child.known.clear();
    child.nextId = 0;
  }
  const ids: number[] = [];
  for (const spec of fns) {
    let id = child.known.get(spec);
    if (id === undefined) {
      id = child.nextId++;
      child.known.set(spec, id);
      (defs === 0 ? (defs = []) : defs).push([id, spec]);
    }
    ids.push(id);
  }
  return [ids, which, args, defs];
}

/** Resolves once `stderr` has ended, or after STDERR_GRACE_MS. */
function stderrDrained(stderr: Readable | null): Promise<void> {
  if (stderr === null || stderr.readableEnded || stderr.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stderr.off("end", done);
      stderr.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, STDERR_GRACE_MS);
    stderr.once("end", done);
    stderr.once("close", done);
  });
}
