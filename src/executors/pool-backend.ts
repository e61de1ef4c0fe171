/**
 * What the pool core asks of a backend (piscina's worker threads, or child
 * processes), and the slot that holds the live one: started lazily, and
 * remembered while it stops, so that every later stop waits for the same
 * workers to be gone.
 */
import type { TransferListItem } from "node:worker_threads";
import type { WorkerReply, WorkerRequest } from "./transport/runner.js";

/**
 * One request's options and where its answer goes. Callbacks rather than a
 * returned promise: a reply reaches the dispatcher without an extra promise
 * hop, and a message needs no closure of its own.
 */
export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly transferList?: TransferListItem[] | undefined;
  /** The worker answered. Called at most once, and never inside `run()`. */
  onReply(reply: WorkerReply): void;
  /**
   * No answer: {@link SendRefused} when the serializer refused the request
   * (the worker is fine), anything else when the worker died (or was stopped
   * because `signal` aborted). Called at most once, and never inside `run()`.
   */
  onFailure(error: unknown): void;
}

/** How a pool executor reaches its workers. */
export interface PoolBackend {
  /**
   * Send a request to a free worker (or queue it for the next one); the
   * outcome goes to `options.onReply` or `options.onFailure`.
   * @throws when no worker can start (the permission model denies worker
   *   threads or child processes): the pool breaks, with that error as its cause.
   */
  run(request: WorkerRequest, options: RunOptions): void;
  /**
   * Stop every worker: `graceful` once idle, `terminate`/`kill` at once.
   * Resolves once they have all exited. May be called again, to escalate.
   */
  destroy(how: StopHow): Promise<void>;
}

export type StopHow = "graceful" | "terminate" | "kill";

/**
 * A request that never left: its serializer refused it (a `DataCloneError`,
 * an invalid transfer list, a value `v8.serialize` rejects). Only the calls in
 * it fail; this is not a crash.
 */
export class SendRefused extends Error {
  constructor(readonly error: unknown) {
    super("the serializer refused the request", { cause: error });
    this.name = "SendRefused";
  }
}

/** The live backend (started on first use) and the stop of the previous one. */
export class BackendSlot {
  readonly #create: () => PoolBackend;
  #live: PoolBackend | null = null;
  /** The backend being (or already) stopped, kept so that a later stop can escalate and wait. */
  #stopped: PoolBackend | null = null;
  #stopping: Promise<void> = Promise.resolve();

  constructor(create: () => PoolBackend) {
    this.#create = create;
  }

  /** The live backend, or null before the first call and once stopped. */
  get live(): PoolBackend | null {
    return this.#live;
  }

  /**
   * The live backend, started now if need be.
   * @throws whatever starting it threw (the permission model, a missing entry module).
   */
  get(): PoolBackend {
    return (this.#live ??= this.#create());
  }

  /**
   * Stop the backend. Resolves once every worker it ever had is gone — also
   * when an earlier stop (a broken pool's) is still under way, which a
   * graceful stop then simply waits for, and a forced one escalates.
   */
  stop(how: StopHow): Promise<void> {
    if (this.#live !== null) {
      this.#stopped = this.#live;
      this.#live = null;
    } else if (this.#stopped === null || how === "graceful") {
      return this.#stopping;
    }
    const stopped = this.#stopped.destroy(how);
    const before = this.#stopping;
    this.#stopping = Promise.all([before, stopped]).then(() => undefined);
    return this.#stopping;
  }
}
