/**
 * The worker-thread backend: a piscina pool, and what piscina does not tell
 * on its own — a send its serializer refused (not a crash), a worker that
 * exits while idle (piscina replaces it silently; SPEC §2 says the pool
 * breaks), and a worker that cannot start (its `new Worker` throws out of
 * piscina's run(), and run() throws it on: the pool breaks with that cause).
 */
import { createRequire } from "node:module";
import type { ResourceLimits, Worker } from "node:worker_threads";
import type { Piscina as PiscinaType } from "piscina";
import { entryModule } from "./entry.js";
import { SendRefused, type PoolBackend, type RunOptions, type StopHow } from "./pool-backend.js";
import { threadExecArgv } from "./transport/load-module.js";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "./transport/runner.js";

const requireHere = createRequire(import.meta.url);

/** A worker thread that exited on its own while it ran no task. */
export class WorkerExitError extends Error {
  constructor(
    readonly threadId: number,
    readonly exitCode: number,
  ) {
    super(`worker thread ${threadId} exited with code ${exitCode} while idle`);
    this.name = "WorkerExitError";
  }
}

// What postMessage throws when it refuses a message: nothing was sent.
const REFUSED_CODES = new Set(["ERR_INVALID_TRANSFER_OBJECT", "ERR_MISSING_TRANSFERABLE_IN_TRANSFER_LIST"]);
const NO_OPTIONS = Object.freeze({});

export interface PiscinaOptions {
  config: WorkerConfig;
  size: number;
  resourceLimits: ResourceLimits | undefined;
  onFatal: (error: unknown) => void;
}

export class PiscinaBackend implements PoolBackend {
  readonly #pool: PiscinaType;
  readonly #onFatal: (error: unknown) => void;
  /** Workers whose exit this backend listens for. */
  readonly #watched = new WeakSet<Worker>();
  /** Watched workers that have not exited: once the pool is full, run() need not look for new ones. */
  #watchedLive = 0;
  readonly #size: number;
  /** Thread ids piscina stopped while they still ran (an abort, an idle timeout, destroy): their exit is expected. */
  readonly #leaving = new Set<number>();
  /** Errors a worker itself raised: a task failing with one of them is a crash, whatever its class. */
  readonly #crashes = new WeakSet<object>();
  #destroyed: Promise<void> | null = null;
  /** What `new Worker` threw (the permission model): piscina started no worker, and never will. */
  #startFailure: { error: unknown } | null = null;

  constructor({ config, size, resourceLimits, onFatal }: PiscinaOptions) {
    // Loaded on first use: importing unirun must not load worker machinery.
    const { Piscina } = requireHere("piscina") as typeof import("piscina");
    const entry = entryModule("worker");
    const execArgv = threadExecArgv(entry.execArgv);
    this.#onFatal = onFatal;
    this.#size = size;
    this.#pool = new Piscina({
      filename: entry.filename,
      minThreads: 0,
      maxThreads: size,
      // Idle workers stay warm but unreferenced, so they never keep the process alive.
      idleTimeout: Infinity,
      // 'sync' would block a worker's event loop between tasks (its timers would not fire).
      atomics: "async",
      workerData: config,
      // Left out, workers inherit the parent's flags (Node refuses some of them in an explicit list).
      ...(execArgv ? { execArgv } : {}),
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    // piscina reports a worker that dies with no task in flight (failing to
    // start, or an uncaught error while idle) only as an 'error' event, and
    // keeps queued tasks waiting: for unirun that is a broken pool.
    this.#pool.on("error", onFatal);
    this.#pool.on("workerCreate", () => this.#watchThreads());
    // Emitted as piscina removes a worker: alive still means piscina stops it;
    // already exited (threadId -1) means it died, which #onExit judges.
    this.#pool.on("workerDestroy", (worker: { id: number }) => {
      if (worker.id !== -1) this.#leaving.add(worker.id);
    });
  }

  run(request: WorkerRequest, options: RunOptions): void {
    if (this.#startFailure) throw this.#startFailure.error;
    const { signal, transferList } = options;
    // The common case shares one options object: piscina copies what it is given.
    const piscinaOptions = signal || transferList ? { signal, transferList } : NO_OPTIONS;
    let reply: Promise<WorkerReply>;
    try {
      reply = this.#pool.run(request, piscinaOptions as Parameters<PiscinaType["run"]>[1]) as Promise<WorkerReply>;
    } catch (error) {
      // Only starting a worker throws here (`new Worker`, denied by the permission model).
      this.#startFailure = { error };
      throw error;
    }
    // run() may have started a worker; watch it from its first moment, not only once it is ready.
    if (this.#watchedLive < this.#size) this.#watchThreads();
    reply.then(
      (value) => options.onReply(value),
      (error: unknown) => options.onFailure(this.#refused(error) ? new SendRefused(error) : error),
    );
  }

  destroy(_how: StopHow): Promise<void> {
    // A graceful stop is only asked for once the pool is idle, so all three are the same here.
    // After a failed start piscina keeps the task it could not place, and its
    // destroy() would reject that promise with no one listening (an unhandled
    // rejection); what denies one worker denies them all, so none is left to stop.
    const nothingToStop = this.#startFailure !== null && this.#pool.threads.length === 0;
    return (this.#destroyed ??= nothingToStop ? Promise.resolve() : this.#pool.destroy());
  }

  /** The live worker threads, for diagnostics and tests. */
  get threads(): readonly Worker[] {
    return this.#pool.threads;
  }

  /** Whether postMessage refused the request (piscina hands back its error as is), rather than a worker dying. */
  #refused(error: unknown): boolean {
    if (typeof error !== "object" || error === null || this.#crashes.has(error)) return false;
    if (error instanceof DOMException) return error.name === "DataCloneError";
    return REFUSED_CODES.has((error as { code?: unknown }).code as string);
  }

  #watchThreads(): void {
    for (const worker of this.#pool.threads) {
      if (this.#watched.has(worker)) continue;
      this.#watched.add(worker);
      this.#watchedLive++;
      const id = worker.threadId;
      worker.on("error", (error: unknown) => {
        if (typeof error === "object" && error !== null) this.#crashes.add(error);
      });
      worker.once("exit", (code: number) => this.#onExit(id, code));
    }
  }

  #onExit(id: number, code: number): void {
    this.#watchedLive--;
    if (this.#leaving.delete(id) || this.#destroyed) return;
    // A worker that was running a task fails it, and that failure breaks the
    // pool with its own, more precise cause (an uncaught error, out of
    // memory): let it come first. An idle one leaves no other trace.
    setImmediate(() => {
      if (!this.#destroyed) this.#onFatal(new WorkerExitError(id, code));
    });
  }
}
