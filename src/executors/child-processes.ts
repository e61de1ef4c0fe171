/**
 * `ProcessPoolExecutor` (backend `child-processes`): Python's processes become
 * Node child processes with an IPC channel; arguments and results cross by
 * the advanced (structured-clone) serializer. Only transferable tasks run here
 * (SPEC §1.1).
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import v8 from "node:v8";
import { BrokenProcessPool } from "../futures/errors.js";
import { describe } from "../futures/timeouts.js";
import type { ChildMessage, ParentMessage } from "./child-entry.js";
import { entryModule, withEntryFlags } from "./entry.js";
import { checkInitializer, checkMaxWorkers } from "./options.js";
import { PoolExecutor, type PoolBackend } from "./pool-executor.js";
import { cloneFailureMessage } from "./transport/arguments.js";
import { serializeError } from "./transport/errors.js";
import { workerExecArgv } from "./transport/load-module.js";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "./transport/runner.js";
import type { CallOutcome } from "./transport/types.js";

export interface ProcessPoolExecutorOptions {
  /** Child processes at most; default `os.availableParallelism()`. */
  maxWorkers?: number;
  /** Replace a child after it has run this many tasks (a `map` chunk counts as one), as in Python. */
  maxTasksPerChild?: number | null;
  /** A transferable function run once in each child before its first task; a failure breaks the pool. */
  initializer?: ((...args: any[]) => unknown) | null;
  /** Arguments for `initializer`. */
  initargs?: readonly unknown[];
  /** Node flags for the children, in place of the parent's (as `child_process.fork` does). */
  execArgv?: readonly string[];
  /** The children's environment, in place of `process.env` (as `child_process.fork` does). */
  env?: Readonly<Record<string, string | undefined>>;
}

const STDERR_TAIL = 4096;

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
  signal: AbortSignal | undefined;
  resolve: (reply: WorkerReply) => void;
  reject: (error: unknown) => void;
}

interface Child {
  proc: ChildProcess;
  ready: boolean;
  job: Job | null;
  tasks: number;
  /** Leaving on purpose (retired, aborted, stopped): its exit breaks nothing. */
  leaving: boolean;
  stderr: string;
}

interface Spawn {
  config: WorkerConfig;
  size: number;
  maxTasksPerChild: number | null;
  execArgv: readonly string[] | null;
  env: Readonly<Record<string, string | undefined>> | null;
  onFatal: (error: unknown) => void;
}

class ChildProcessBackend implements PoolBackend {
  readonly #spawn: Spawn;
  readonly #children = new Set<Child>();
  /** Retired after maxTasksPerChild tasks and on their way out: no longer counted, still awaited by destroy(). */
  readonly #retiring = new Set<Child>();
  readonly #idle: Child[] = [];
  readonly #waiting: Job[] = [];
  #seq = 0;
  #stopping = false;

  constructor(spawn: Spawn) {
    this.#spawn = spawn;
  }

  run(request: WorkerRequest, options: { signal?: AbortSignal }): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const job: Job = { request, signal: options.signal, resolve, reject };
      const child = this.#idle.pop() ?? (this.#children.size < this.#spawn.size ? this.#start() : null);
      if (child) this.#assign(child, job);
      else this.#waiting.push(job);
    });
  }

  async destroy(how: "graceful" | "terminate" | "kill"): Promise<void> {
    this.#stopping = true;
    for (const job of this.#waiting.splice(0)) job.reject(new Error("the process pool was stopped"));
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
    const proc = fork(entry.filename, [], {
      serialization: "advanced",
      execArgv: withEntryFlags(flags, entry),
      env: this.#spawn.env ?? process.env,
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    const child: Child = { proc, ready: false, job: null, tasks: 0, leaving: false, stderr: "" };
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
    if (job.signal) {
      job.signal.addEventListener("abort", () => this.#abort(child, job), { once: true });
    }
    if (child.ready) this.#send(child, { type: "run", seq: ++this.#seq, request: job.request });
  }

  #send(child: Child, message: ParentMessage): void {
    try {
      child.proc.send(message);
    } catch (error) {
      // Arguments are checked before anything is sent, but only so far (the
      // check is bounded); this is the last net. Arguments the serializer
      // refuses are the call's fault, not the child's: only those calls fail.
      const job = child.job;
      if (job && message.type === "run") {
        this.#refused(child, job, message.request, error);
        return;
      }
      child.job = null;
      job?.reject(error);
      this.#release(child);
    }
  }

  /**
   * The serializer refused `request`: fail each call whose arguments cannot
   * cross with the positional TypeError of SPEC §1.1, and send the others again.
   */
  #refused(child: Child, job: Job, request: WorkerRequest, error: unknown): void {
    const messages = "one" in request ? [request.one] : request.batch;
    const refused = new Map<number, CallOutcome>();
    for (const { id, args } of messages) {
      try {
        v8.serialize(args);
      } catch (why) {
        refused.set(id, { id, ok: false, error: serializeError(cloneFailureMessage(why, args, "the call", "process")) });
      }
    }
    const rest = messages.filter(({ id }) => !refused.has(id));
    if (refused.size === 0 || rest.length === 0) {
      child.job = null;
      const unsent = serializeError(cloneFailureMessage(error, [], "the call", "process"));
      job.resolve({ outcomes: messages.map(({ id }) => refused.get(id) ?? { id, ok: false, error: unsent }), ms: 0 });
      this.#release(child);
      return;
    }
    // Only batches get here, and a batch never carries a signal.
    child.job = {
      request: rest.length === 1 ? { one: rest[0]! } : { batch: rest },
      signal: undefined,
      resolve: (reply) => {
        if ("initFailed" in reply) return job.resolve(reply);
        const sent = new Map(reply.outcomes.map((outcome) => [outcome.id, outcome]));
        job.resolve({ outcomes: messages.map(({ id }) => refused.get(id) ?? sent.get(id)!), ms: reply.ms });
      },
      reject: job.reject,
    };
    this.#send(child, { type: "run", seq: ++this.#seq, request: child.job.request });
  }

  #onMessage(child: Child, message: ChildMessage): void {
    if (message.type === "ready") {
      child.ready = true;
      this.#send(child, { type: "init", config: this.#spawn.config });
      if (child.job) this.#send(child, { type: "run", seq: ++this.#seq, request: child.job.request });
      return;
    }
    const job = child.job;
    child.job = null;
    job?.resolve(message.reply);
    this.#release(child);
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
      if (next) this.#assign(this.#start(), next);
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
    job.reject(job.signal!.reason);
  }

  #onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.#children.delete(child);
    this.#retiring.delete(child);
    const at = this.#idle.indexOf(child);
    if (at >= 0) this.#idle.splice(at, 1);
    const job = child.job;
    child.job = null;
    if (child.leaving || this.#stopping) {
      job?.reject(new ChildExitError(child.proc.pid, code, signal, child.stderr));
    } else {
      const error = new ChildExitError(child.proc.pid, code, signal, child.stderr);
      if (job) job.reject(error);
      else this.#spawn.onFatal(error);
    }
    const next = this.#stopping ? undefined : this.#waiting.shift();
    if (next) this.#assign(this.#start(), next);
  }

  #onSpawnError(child: Child, error: Error): void {
    // fork() failed (permission model, EAGAIN, ...): there is no child to wait for.
    if (child.proc.pid !== undefined && child.proc.exitCode === null) return;
    this.#children.delete(child);
    const job = child.job;
    child.job = null;
    if (job) job.reject(error);
    else this.#spawn.onFatal(error);
  }

  /** Busy children keep the parent alive; idle ones never do. */
  #ref(child: Child, on: boolean): void {
    const handles = [child.proc, child.proc.channel, child.proc.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[];
    for (const handle of handles) (on ? handle?.ref : handle?.unref)?.call(handle);
  }
}

/**
 * An executor that runs transferable calls in a pool of child processes.
 */
export class ProcessPoolExecutor extends PoolExecutor {
  readonly #options: Omit<Spawn, "config" | "size" | "onFatal">;

  /**
   * @throws RangeError when `maxWorkers <= 0` or `maxTasksPerChild <= 0`;
   *   TypeError for a non-transferable `initializer` or options of the wrong type.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    const name = "ProcessPoolExecutor";
    const maxWorkers = checkMaxWorkers(name, options.maxWorkers, os.availableParallelism());
    const { initializer, initargs } = checkInitializer(name, options.initializer, options.initargs);
    const maxTasksPerChild = checkMaxTasksPerChild(name, options.maxTasksPerChild);
    super(
      { name, Broken: BrokenProcessPool, transport: "process", worker: "child process" },
      maxWorkers,
      initializer,
      initargs,
      // A batch would let a child run more calls than maxTasksPerChild allows.
      { batching: maxTasksPerChild === null },
    );
    this.#options = {
      maxTasksPerChild,
      execArgv: checkStrings(name, options.execArgv),
      env: checkEnv(name, options.env),
    };
  }

  protected override createBackend(config: WorkerConfig, size: number, onFatal: (error: unknown) => void): PoolBackend {
    return new ChildProcessBackend({ config, size, onFatal, ...this.#options });
  }
}

/** Python's `max_tasks_per_child`: a positive integer, or `undefined`/`null` for no limit. */
function checkMaxTasksPerChild(executor: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number") {
    throw new TypeError(`${executor}(maxTasksPerChild): must be a positive integer or null; got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${executor}(maxTasksPerChild): max_tasks_per_child must be a positive integer; got ${value}`);
  }
  return value;
}

function checkStrings(executor: string, value: unknown): readonly string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new TypeError(`${executor}(execArgv): must be an array of strings (Node flags); got ${describe(value)}`);
  }
  return [...value];
}

function checkEnv(executor: string, value: unknown): Readonly<Record<string, string | undefined>> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${executor}(env): must be an object of environment variables; got ${describe(value)}`);
  }
  return { ...(value as Record<string, string | undefined>) };
}
