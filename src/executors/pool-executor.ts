/**
 * The executor shared by the worker-thread and child-process backends: the
 * public surface and the failure contract — a worker that dies breaks the
 * pool, and every pending and running future fails with the pool's `Broken*`
 * error. The traffic (queue, batching, replies) is in pool-dispatch.ts, the
 * backend's life in pool-backend.ts, `map` chunks in pool-map.ts.
 */
import type { TransferListItem } from "node:worker_threads";
import type { BrokenExecutor } from "../futures/errors.js";
import {
  Executor,
  SHUTDOWN_MESSAGE,
  checkCallable,
  checkShutdownOptions,
  checkSubmitOptions,
  type AnyIterable,
  type MapOptions,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import { kOnCancel, type Future } from "../futures/future.js";
import { BackendSlot, type PoolBackend } from "./pool-backend.js";
import { Dispatcher, type PoolItem } from "./pool-dispatch.js";
import { PoolMapChunker, chunkedSubmitter, type ChunkHost } from "./pool-map.js";
import { checkArguments } from "./transport/arguments.js";
import { toCallSpec } from "./transport/call-spec.js";
import type { WorkerConfig } from "./transport/runner.js";

export type { PoolBackend } from "./pool-backend.js";

/** @internal The live backend (or null), for diagnostics and tests. */
export const kPoolBackend = Symbol("unirun.poolBackend");

/** What distinguishes one pool executor from another. */
export interface PoolKind {
  /** The class name, for messages. */
  name: string;
  /** The pool's Broken* class. */
  Broken: new (message: string, options?: { cause?: unknown }) => BrokenExecutor;
  transport: WorkerConfig["transport"];
  /** "worker thread" or "child process", for messages. */
  worker: string;
}

export abstract class PoolExecutor extends Executor {
  /** Workers at most, and messages in flight at most. */
  readonly maxWorkers: number;
  readonly #kind: PoolKind;
  readonly #config: WorkerConfig;
  readonly #backend: BackendSlot;
  readonly #dispatcher: Dispatcher;
  #broken: { message: string; cause: unknown } | null = null;
  #shutdown = false;
  /** Maps holding calls they have not sent, and how to cancel those (shutdown with cancelFutures). */
  readonly #holds = new Map<object, () => void>();
  readonly #onFatal = (error: unknown): void => {
    this.#break(`A ${this.#kind.worker} of the pool died`, error);
  };

  protected constructor(
    kind: PoolKind,
    maxWorkers: number,
    initializer: unknown,
    initargs: readonly unknown[],
    options: { batching: boolean } = { batching: true },
  ) {
    super();
    this.#kind = kind;
    this.maxWorkers = maxWorkers;
    const spec = initializer ? toCallSpec(initializer as Function, `${kind.name}(initializer)`) : null;
    if (spec) checkArguments(initargs, `${kind.name}(initargs)`, kind.transport);
    this.#config = { transport: kind.transport, initializer: spec, initargs: [...initargs] };
    this.#backend = new BackendSlot(() => this.createBackend(this.#config, this.maxWorkers, this.#onFatal));
    const host = {
      transport: kind.transport,
      worker: kind.worker,
      backend: () => this.#backend.get(),
      breakPool: (message: string, cause: unknown) => this.#break(message, cause),
    };
    this.#dispatcher = new Dispatcher(host, maxWorkers, options.batching);
  }

  /** @internal See {@link kPoolBackend}. */
  [kPoolBackend](): PoolBackend | null {
    return this.#backend.live;
  }

  /** Start the workers' transport; called once, on the first call that needs it. */
  protected abstract createBackend(config: WorkerConfig, size: number, onFatal: (error: unknown) => void): PoolBackend;

  override submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    return this.#enqueue("submit(fn, ...args)", fn, args, null, null) as Future<Awaited<R>>;
  }

  override submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    checkSubmitOptions(options);
    const transferList = options.transferList ? [...options.transferList] : null;
    return this.#enqueue("submitWith(options, fn, ...args)", fn, args, options.signal ?? null, transferList) as Future<
      Awaited<R>
    >;
  }

  /**
   * Stop accepting work; calls already submitted still run unless
   * `cancelFutures` is set. The workers stop once the pool is idle; with
   * `wait`, resolves once they have all exited (a broken pool's too).
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(options);
    this.#shutdown = true;
    if (cancelFutures) this.#cancelQueued();
    const stopped = this.#dispatcher.whenIdle().then(() => this.#backend.stop("graceful"));
    if (wait) return stopped;
    stopped.catch(() => undefined);
    return Promise.resolve();
  }

  /**
   * Python 3.14's `terminate_workers()`: stop every worker now. Running futures
   * fail with the pool's Broken* error, pending ones are cancelled, and the
   * executor is shut down. Use it to put a deadline on a shutdown:
   * `if (!(await Promise.race([ex.shutdown().then(() => true), deadline]))) await ex.terminateWorkers()`.
   */
  terminateWorkers(): Promise<void> {
    return this.#stopNow("terminate");
  }

  /** Python 3.14's `kill_workers()`: as `terminateWorkers()`, with SIGKILL for processes. */
  killWorkers(): Promise<void> {
    return this.#stopNow("kill");
  }

  /**
   * A `Future` per call, `chunksize` calls to a message: what a managed
   * executor's `map` uses (it routes and limits each call); `map` itself goes
   * through {@link mapChunker}.
   */
  protected override mapSubmitter(fn: (...args: any[]) => unknown, options: MapOptions): (args: unknown[]) => Future<unknown> {
    const chunksize = options.chunksize ?? 1;
    if (chunksize <= 1) return super.mapSubmitter(fn, options);
    const caller = "map(fn, ...iterables)";
    checkCallable(fn, caller);
    return chunkedSubmitter(this.#chunkHost(), toCallSpec(fn, caller), chunksize, options.signal ?? null);
  }

  /**
   * `map` goes a chunk at a time, with no `Future` per call (see pool-map.ts):
   * `chunksize` calls to a message when given, else chunks that adapt to the
   * calls' duration.
   */
  protected override mapChunker(
    fn: (...args: any[]) => unknown,
    options: MapOptions,
    _inputs?: readonly AnyIterable<unknown>[],
  ): PoolMapChunker {
    const caller = "map(fn, ...iterables)";
    checkCallable(fn, caller);
    const chunksize = options.chunksize ?? null;
    return new PoolMapChunker(this.#chunkHost(), toCallSpec(fn, caller), this.maxWorkers, options.signal ?? null, chunksize);
  }

  #chunkHost(): ChunkHost {
    return {
      transport: this.#kind.transport,
      checkOpen: (holding = false) => this.#checkOpen(holding),
      hold: (chunker, unsent, cancel) => {
        // Only a map begun before shutdown() may go on sending after it.
        if (unsent && this.#shutdown && !this.#holds.has(chunker)) return false;
        if (unsent === this.#holds.has(chunker)) return unsent;
        if (unsent) this.#holds.set(chunker, cancel);
        else this.#holds.delete(chunker);
        this.#dispatcher.hold(unsent);
        return unsent;
      },
      pushChunk: (future, call, args, how, signal, sink) => {
        this.#dispatcher.push(this.#dispatcher.chunkItem(future, call, args, how, signal, sink));
      },
      item: (call, args, how, signal) => this.#dispatcher.item(call, args, how, signal, null),
      pushCalls: (calls) => {
        // The pool may have broken since the chunk's first call was accepted.
        if (this.#broken) for (const item of calls) this.#fail(item);
        else this.#dispatcher.push(calls);
      },
    };
  }

  #enqueue(
    caller: string,
    fn: unknown,
    args: unknown[],
    signal: AbortSignal | null,
    transferList: TransferListItem[] | null,
  ): Future<unknown> {
    checkCallable(fn, caller);
    this.#checkOpen();
    const call = toCallSpec(fn as Function, caller);
    checkArguments(args, caller, this.#kind.transport);
    const item = this.#dispatcher.item(call, args, caller, signal, transferList);
    if (item.future.state === "PENDING") this.#dispatcher.push(item);
    return item.future;
  }

  /** @param holding a map started before a shutdown, sending the calls it holds: a shutdown lets it. */
  #checkOpen(holding = false): void {
    if (this.#broken) throw this.#brokenError();
    if (this.#shutdown && !holding) throw new Error(SHUTDOWN_MESSAGE);
  }

  /** Break the pool: every pending and running future fails; later submits throw. */
  #break(message: string, cause: unknown): void {
    const first = this.#broken === null;
    if (first) {
      const detail = cause instanceof Error ? ` (${cause.message})` : "";
      this.#markBroken(`${message}${detail}`, cause);
    }
    for (const item of this.#dispatcher.takeRunning()) this.#fail(item);
    for (const item of this.#dispatcher.takeQueued()) this.#fail(item);
    // Kept by the slot: a later shutdown() or killWorkers() waits for these workers to be gone.
    if (first) this.#backend.stop("terminate").catch(() => undefined);
    this.#dispatcher.checkIdle();
  }

  #markBroken(message: string, cause: unknown): void {
    this.#broken = { message, cause };
    this.#dispatcher.halt();
  }

  #fail(item: PoolItem): void {
    this.#dispatcher.release(item);
    const future = item.future;
    future[kOnCancel] = null;
    if (future.state === "PENDING" || future.state === "RUNNING") future.setException(this.#brokenError());
    else if (future.state === "CANCELLED") future.setRunningOrNotifyCancel();
  }

  #brokenError(): BrokenExecutor {
    const broken = this.#broken!;
    return new this.#kind.Broken(broken.message, { cause: broken.cause });
  }

  #cancelQueued(): void {
    // Maps' calls not sent yet are pending too; cancelling them releases their hold.
    for (const cancel of [...this.#holds.values()]) cancel();
    for (const item of this.#dispatcher.takeQueued()) {
      item.future.cancel();
      this.#dispatcher.release(item);
    }
    this.#dispatcher.checkIdle();
  }

  async #stopNow(how: "terminate" | "kill"): Promise<void> {
    this.#shutdown = true;
    this.#cancelQueued();
    if (this.#broken === null) this.#markBroken(`${this.#kind.name}.${how}Workers() stopped the pool`, undefined);
    for (const item of this.#dispatcher.takeRunning()) this.#fail(item);
    await this.#backend.stop(how);
    this.#dispatcher.checkIdle();
  }
}
