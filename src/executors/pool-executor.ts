/**
 * The executor core shared by the worker-thread and child-process backends:
 * a FIFO of calls, at most `maxWorkers` messages in flight, batching of queued
 * calls when the pool is saturated, and the failure contract — a worker that
 * dies breaks the pool, and every pending and running future fails with the
 * pool's `Broken*` error.
 */
import type { TransferListItem } from "node:worker_threads";
import type { BrokenExecutor } from "../futures/errors.js";
import {
  Executor,
  SHUTDOWN_MESSAGE,
  checkCallable,
  checkShutdownOptions,
  checkSubmitOptions,
  type MapOptions,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import { Fifo } from "../futures/fifo.js";
import { Future, kOnCancel } from "../futures/future.js";
import { checkArguments } from "./transport/arguments.js";
import { toCallSpec } from "./transport/call-spec.js";
import { deserializeError } from "./transport/errors.js";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "./transport/runner.js";
import type { CallMessage, CallSpec } from "./transport/types.js";

/** How a pool executor reaches its workers. */
export interface PoolBackend {
  /**
   * Send a request to a free worker. Resolves with the reply; rejects when the
   * worker died (or was stopped because `signal` aborted).
   */
  run(request: WorkerRequest, options: { signal?: AbortSignal; transferList?: TransferListItem[] }): Promise<WorkerReply>;
  /** Stop every worker: `graceful` once idle, `terminate`/`kill` at once. */
  destroy(how: "graceful" | "terminate" | "kill"): Promise<void>;
}

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

interface PoolItem {
  id: number;
  future: Future<unknown>;
  call: CallSpec;
  args: unknown[];
  signal: AbortSignal | null;
  transferList: TransferListItem[] | null;
  /** Whether the item is among its signal's watched calls (see `#watch`). */
  watched: boolean;
}

/** A queued entry: one call, or a `map` chunk that must travel as one message. */
type Job = PoolItem | PoolItem[];

// Batches aim at about this much work per message, once task durations are known.
const BATCH_TARGET_MS = 2;
const MAX_BATCH = 256;

export abstract class PoolExecutor extends Executor {
  /** Workers at most, and messages in flight at most. */
  readonly maxWorkers: number;
  readonly #kind: PoolKind;
  readonly #batching: boolean;
  readonly #config: WorkerConfig;
  readonly #queue = new Fifo<Job>();
  readonly #running = new Set<PoolItem>();
  #inFlight = 0;
  #nextId = 0;
  #backend: PoolBackend | null = null;
  #broken: { message: string; cause: unknown } | null = null;
  #shutdown = false;
  #dispatchScheduled = false;
  #itemMs = Number.NaN;
  #idleWaiters: (() => void)[] = [];
  /**
   * The calls waiting on each signal: one abort listener per signal however
   * many calls share it (a `map` with a signal), so that Node never warns of
   * a listener leak.
   */
  readonly #watchers = new Map<AbortSignal, { items: Set<PoolItem>; onAbort: () => void }>();
  readonly #noticeCancel = (future: Future<unknown>): void => {
    future.setRunningOrNotifyCancel();
  };
  readonly #dispatchNow = (): void => this.#dispatch();
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
    this.#batching = options.batching;
    this.maxWorkers = maxWorkers;
    const spec = initializer ? toCallSpec(initializer as Function, `${kind.name}(initializer)`) : null;
    if (spec) checkArguments(initargs, `${kind.name}(initargs)`, kind.transport);
    this.#config = { transport: kind.transport, initializer: spec, initargs: [...initargs] };
  }

  /** @internal See {@link kPoolBackend}. */
  [kPoolBackend](): PoolBackend | null {
    return this.#backend;
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
   * `cancelFutures` is set. The workers stop once the pool is idle.
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(options);
    this.#shutdown = true;
    if (cancelFutures) this.#cancelQueued();
    const stopped = this.#whenIdle().then(() => this.#stopBackend("graceful"));
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

  #enqueue(
    caller: string,
    fn: unknown,
    args: unknown[],
    signal: AbortSignal | null,
    transferList: TransferListItem[] | null,
  ): Future<unknown> {
    checkCallable(fn, caller);
    if (this.#broken) throw this.#brokenError();
    if (this.#shutdown) throw new Error(SHUTDOWN_MESSAGE);
    const call = toCallSpec(fn as Function, caller);
    checkArguments(args, caller, this.#kind.transport);
    const item = this.#item(call, args, signal, transferList);
    if (item.future.state === "PENDING") {
      this.#queue.push(item);
      this.#scheduleDispatch();
    }
    return item.future;
  }

  /**
   * `map` with `chunksize > 1`: consecutive calls travel `chunksize` to a
   * message. Each call's future exists at once; a partly filled chunk is sent
   * on the next microtask, so a chunk never waits for input that is not there.
   */
  protected override mapSubmitter(fn: (...args: any[]) => unknown, options: MapOptions): (args: unknown[]) => Future<unknown> {
    const chunksize = options.chunksize ?? 1;
    if (chunksize <= 1) return super.mapSubmitter(fn, options);
    const caller = "map(fn, ...iterables)";
    checkCallable(fn, caller);
    const call = toCallSpec(fn, caller);
    const signal = options.signal ?? null;
    let open: PoolItem[] = [];
    const flush = (): void => {
      const chunk = open;
      open = [];
      if (chunk.length === 0) return;
      if (this.#broken) {
        for (const item of chunk) this.#fail(item);
        return;
      }
      this.#queue.push(chunk);
      this.#scheduleDispatch();
    };
    return (args) => {
      if (this.#broken) throw this.#brokenError();
      if (this.#shutdown) throw new Error(SHUTDOWN_MESSAGE);
      checkArguments(args, caller, this.#kind.transport);
      const item = this.#item(call, args, signal, null);
      if (open.push(item) === 1) queueMicrotask(flush);
      if (open.length >= chunksize) flush();
      return item.future;
    };
  }

  #item(call: CallSpec, args: unknown[], signal: AbortSignal | null, transferList: TransferListItem[] | null): PoolItem {
    const future = new Future<unknown>();
    const item: PoolItem = { id: this.#nextId++, future, call, args, signal, transferList, watched: false };
    if (signal?.aborted) {
      future.cancel();
      future.setRunningOrNotifyCancel();
      return item;
    }
    if (signal) this.#watch(item);
    future[kOnCancel] = this.#noticeCancel;
    return item;
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(this.#dispatchNow);
  }

  /** Send queued calls while fewer than `maxWorkers` messages are in flight. */
  #dispatch(): void {
    this.#dispatchScheduled = false;
    while (this.#queue.size > 0 && this.#inFlight < this.maxWorkers && this.#broken === null) {
      const job = this.#queue.shift() as Job;
      if (Array.isArray(job)) {
        const items = job.filter((item) => this.#start(item));
        if (items.length > 0) this.#send(items, job[0]!.signal);
        continue;
      }
      if (!this.#start(job)) continue;
      if (job.signal || job.transferList) {
        this.#send([job], job.signal, job.transferList);
        continue;
      }
      this.#send(this.#batchFrom(job), null);
    }
    this.#checkIdle();
  }

  /** PENDING → RUNNING; false (and noticed) when it was cancelled. */
  #start(item: PoolItem): boolean {
    item.future[kOnCancel] = null;
    if (item.future.state !== "PENDING") {
      this.#release(item);
      return false;
    }
    item.future.setRunningOrNotifyCancel();
    return true;
  }

  /**
   * Join plain queued calls behind `first` into one message, but only when
   * there are more queued calls than free workers: batching never delays a
   * call that a free worker could start now.
   */
  #batchFrom(first: PoolItem): PoolItem[] {
    const batch = [first];
    const free = this.maxWorkers - this.#inFlight;
    const queued = this.#queue.size + 1;
    if (!this.#batching || queued <= free) return batch;
    let limit = Math.min(MAX_BATCH, Math.ceil(queued / free));
    // Long calls gain nothing from batching and would lose parallelism.
    limit = Number.isNaN(this.#itemMs) ? 1 : Math.max(1, Math.min(limit, Math.floor(BATCH_TARGET_MS / this.#itemMs)));
    while (batch.length < limit) {
      const next = this.#queue.peek();
      if (next === undefined || Array.isArray(next) || next.signal || next.transferList) break;
      this.#queue.shift();
      if (this.#start(next)) batch.push(next);
    }
    return batch;
  }

  #send(items: PoolItem[], signal: AbortSignal | null, transferList: TransferListItem[] | null = null): void {
    this.#inFlight++;
    for (const item of items) this.#running.add(item);
    let backend: PoolBackend;
    try {
      backend = this.#backend ??= this.createBackend(this.#config, this.maxWorkers, this.#onFatal);
    } catch (error) {
      // No worker could be started (the permission model, a missing entry module).
      this.#inFlight--;
      this.#break(`The pool could not start a ${this.#kind.worker}`, error);
      return;
    }
    const messages: CallMessage[] = items.map(({ id, call, args }) => ({ id, call, args }));
    const request: WorkerRequest = messages.length === 1 ? { one: messages[0]! } : { batch: messages };
    const options: { signal?: AbortSignal; transferList?: TransferListItem[] } = {};
    if (signal) options.signal = signal;
    if (transferList) options.transferList = transferList;
    backend.run(request, options).then(
      (reply) => this.#onReply(items, reply),
      (error: unknown) => this.#onFailure(items, signal, error),
    );
  }

  #onReply(items: PoolItem[], reply: WorkerReply): void {
    this.#inFlight--;
    if ("initFailed" in reply) {
      this.#break(`A ${this.#kind.worker} initializer failed, the pool is not usable anymore`, deserializeError(reply.initFailed));
      return;
    }
    const perItem = reply.ms / items.length;
    this.#itemMs = Number.isNaN(this.#itemMs) ? perItem : this.#itemMs * 0.8 + perItem * 0.2;
    reply.outcomes.forEach((outcome, i) => {
      const item = items[i]!;
      this.#running.delete(item);
      this.#release(item);
      if (item.future.done()) return;
      if (outcome.ok) item.future.setResult(outcome.value);
      else item.future.setException(deserializeError(outcome.error));
    });
    this.#dispatch();
  }

  #onFailure(items: PoolItem[], signal: AbortSignal | null, error: unknown): void {
    this.#inFlight--;
    if (signal?.aborted && this.#broken === null) {
      // Stopped on purpose: its worker was replaced; only these calls fail.
      for (const item of items) {
        this.#running.delete(item);
        this.#release(item);
        if (!item.future.done()) item.future.setException(signal.reason);
      }
      this.#dispatch();
      return;
    }
    this.#break(
      `A ${this.#kind.worker} of the pool terminated abruptly while the future was running or pending`,
      error,
    );
  }

  /** Break the pool: every pending and running future fails; later submits throw. */
  #break(message: string, cause: unknown): void {
    if (this.#broken === null) {
      const detail = cause instanceof Error ? ` (${cause.message})` : "";
      this.#broken = { message: `${message}${detail}`, cause };
    }
    for (const item of this.#running) this.#fail(item);
    this.#running.clear();
    for (const job of this.#queue.takeAll()) {
      for (const item of Array.isArray(job) ? job : [job]) this.#fail(item);
    }
    void this.#stopBackend("terminate");
    this.#checkIdle();
  }

  #fail(item: PoolItem): void {
    this.#release(item);
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
    for (const job of this.#queue.takeAll()) {
      for (const item of Array.isArray(job) ? job : [job]) {
        item.future.cancel();
        this.#release(item);
      }
    }
    this.#checkIdle();
  }

  async #stopNow(how: "terminate" | "kill"): Promise<void> {
    this.#shutdown = true;
    this.#cancelQueued();
    if (this.#broken === null) {
      this.#broken = { message: `${this.#kind.name}.${how}Workers() stopped the pool`, cause: undefined };
    }
    for (const item of this.#running) this.#fail(item);
    this.#running.clear();
    await this.#stopBackend(how);
    this.#checkIdle();
  }

  async #stopBackend(how: "graceful" | "terminate" | "kill"): Promise<void> {
    const backend = this.#backend;
    if (backend === null) return;
    this.#backend = null;
    await backend.destroy(how);
  }

  #watch(item: PoolItem): void {
    const signal = item.signal!;
    let watcher = this.#watchers.get(signal);
    if (!watcher) {
      const items = new Set<PoolItem>();
      // Pending: cancel. Running: the backend stops the worker (given the signal).
      const onAbort = (): void => {
        this.#watchers.delete(signal);
        for (const each of [...items]) {
          each.watched = false;
          each.future.cancel();
        }
      };
      watcher = { items, onAbort };
      this.#watchers.set(signal, watcher);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    watcher.items.add(item);
    item.watched = true;
  }

  #release(item: PoolItem): void {
    if (!item.watched) return;
    item.watched = false;
    const signal = item.signal!;
    const watcher = this.#watchers.get(signal);
    if (!watcher) return;
    watcher.items.delete(item);
    if (watcher.items.size === 0) {
      this.#watchers.delete(signal);
      signal.removeEventListener("abort", watcher.onAbort);
    }
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#queue.size === 0;
  }

  #whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
