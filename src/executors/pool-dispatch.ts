/**
 * The traffic of a pool executor: a FIFO of calls, at most `maxWorkers`
 * messages in flight, queued calls batched when every worker is busy, and
 * each reply settling its own calls. Whether the pool breaks is the façade's
 * decision (pool-executor.ts); the dispatcher reports what it saw.
 */
import type { TransferListItem } from "node:worker_threads";
import { Fifo } from "../futures/fifo.js";
import { Future, kOnCancel } from "../futures/future.js";
import { BatchPolicy } from "./pool-batching.js";
import { SendRefused, type PoolBackend, type RunOptions } from "./pool-backend.js";
import { SignalWatch } from "./signal-watch.js";
import { cloneFailureMessage, refusesArguments, type Transport } from "./transport/arguments.js";
import { deserializeError } from "./transport/errors.js";
import { ONE_ARG, type WorkerReply, type WorkerRequest } from "./transport/runner.js";
import type { CallSpec } from "./transport/types.js";

export interface PoolItem {
  id: number;
  future: Future<unknown>;
  call: CallSpec;
  args: unknown[];
  /** How the call was made, for messages: `submit(fn, ...args)`. */
  caller: string;
  signal: AbortSignal | null;
  transferList: TransferListItem[] | null;
  /** A `map` chunk's calls, travelling as one message and settled together; null for a single call. */
  chunk: ChunkSink | null;
}

/** A queued entry: one call (or `map` chunk item), or the calls of a `chunksize` chunk that travel as one message. */
export type Job = PoolItem | PoolItem[];

/**
 * Where a `map` chunk's outcomes go (see pool-map.ts). Its item's `args` are
 * the calls' argument lists, or with `oneArg` one argument per call (sent as
 * a flat column), and its future is the chunk's: it settles once the calls have.
 */
export interface ChunkSink {
  readonly oneArg: boolean;
  /**
   * The reply: `values[i]` is call `i`'s result, or its error (deserialized)
   * when `i` is in `failed`; `ms` the calls' time in the worker.
   */
  replied(values: unknown[], failed: number[] | 0, ms: number): void;
  /**
   * The serializer refused `item` and the calls at `culprits` (ascending) are
   * to blame: they fail with `errors`; returns the item that carries the other
   * calls (sharing the chunk's future), or null when none are left.
   */
  refused(culprits: number[], errors: unknown[], item: PoolItem): PoolItem | null;
}

/** What the dispatcher needs from its executor. */
export interface DispatchHost {
  readonly transport: Transport;
  /** "worker thread" or "child process", for messages. */
  readonly worker: string;
  /** The live backend, started on first use; throws when no worker can start. */
  backend(): PoolBackend;
  /** A worker died, an initializer failed, or no worker could start. */
  breakPool(message: string, cause: unknown): void;
}

export class Dispatcher {
  readonly #host: DispatchHost;
  readonly #maxWorkers: number;
  readonly #batching: BatchPolicy;
  readonly #queue = new Fifo<Job>();
  /** The messages in flight (a late reply to one no longer here is ignored). */
  readonly #running = new Set<Message>();
  // Pending: cancel. Running: cancel() is false, and the backend stops the worker (it has the signal).
  readonly #signals = new SignalWatch<PoolItem>((item) => item.future.cancel());
  #inFlight = 0;
  #nextId = 0;
  #halted = false;
  #scheduled = false;
  /** Maps holding calls they have not sent yet (see `MapChunker.holding`): not idle while any does. */
  #holds = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #noticeCancel = (future: Future<unknown>): void => {
    future.setRunningOrNotifyCancel();
  };
  readonly #dispatchNow = (): void => this.#dispatch();

  constructor(host: DispatchHost, maxWorkers: number, batching: boolean) {
    this.#host = host;
    this.#maxWorkers = maxWorkers;
    this.#batching = new BatchPolicy(batching);
  }

  /** A new call, PENDING — or already cancelled (and noticed) when its signal has aborted. */
  item(call: CallSpec, args: unknown[], caller: string, signal: AbortSignal | null, transferList: TransferListItem[] | null): PoolItem {
    const future = new Future<unknown>();
    const item: PoolItem = { id: this.#nextId++, future, call, args, caller, signal, transferList, chunk: null };
    if (signal?.aborted) {
      future.cancel();
      future.setRunningOrNotifyCancel();
      return item;
    }
    if (signal) this.#signals.watch(signal, item);
    future[kOnCancel] = this.#noticeCancel;
    return item;
  }

  /**
   * A `map` chunk as one item, PENDING on `future` (the chunk's). Its signal
   * is not watched: map() cancels what has not started when the signal aborts.
   */
  chunkItem(future: Future<unknown>, call: CallSpec, args: unknown[], caller: string, signal: AbortSignal | null, chunk: ChunkSink): PoolItem {
    future[kOnCancel] = this.#noticeCancel;
    return { id: this.#nextId++, future, call, args, caller, signal, transferList: null, chunk };
  }

  /** Queue a call or a `map` chunk; it is sent on a later microtask, never inside `submit`. */
  push(job: Job): void {
    this.#queue.push(job);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#dispatchNow);
  }

  /** Send nothing more: the pool is broken or stopped. */
  halt(): void {
    this.#halted = true;
  }

  /** Empty the queue; the caller settles what it gets. */
  takeQueued(): PoolItem[] {
    return this.#queue.takeAll().flat();
  }

  /** Forget every running call; the caller settles what it gets (late replies are ignored). */
  takeRunning(): PoolItem[] {
    const items: PoolItem[] = [];
    for (const message of this.#running) items.push(...message.items);
    this.#running.clear();
    return items;
  }

  /** The call no longer needs its signal watched. */
  release(item: PoolItem): void {
    this.#signals.release(item.signal, item);
  }

  /** A map started or stopped holding calls it has not sent. */
  hold(unsent: boolean): void {
    this.#holds += unsent ? 1 : -1;
    if (!unsent) this.checkIdle();
  }

  /** Resolves once no call is queued or running, and no map holds calls it has not sent. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#queue.size === 0 && this.#holds === 0;
  }

  /** Send queued calls while fewer than `maxWorkers` messages are in flight. */
  #dispatch(): void {
    this.#scheduled = false;
    while (this.#queue.size > 0 && this.#inFlight < this.#maxWorkers && !this.#halted) {
      const job = this.#queue.shift() as Job;
      if (Array.isArray(job)) {
        const items = job.filter((item) => this.#start(item));
        if (items.length > 0) this.#send(items, job[0]!.signal);
      } else if (!this.#start(job)) {
        continue;
      } else if (job.signal || job.transferList || job.chunk) {
        this.#send([job], job.signal, job.transferList);
      } else {
        this.#send(this.#batchFrom(job), null);
      }
    }
    this.checkIdle();
  }

  /** PENDING → RUNNING; false (and noticed) when it was cancelled. */
  #start(item: PoolItem): boolean {
    item.future[kOnCancel] = null;
    if (item.future.state !== "PENDING") {
      this.release(item);
      return false;
    }
    item.future.setRunningOrNotifyCancel();
    return true;
  }

  /** `first`, and the plain calls queued behind it that the batch policy lets share its message. */
  #batchFrom(first: PoolItem): PoolItem[] {
    const batch = [first];
    const limit = this.#batching.limit(this.#queue.size + 1, this.#maxWorkers - this.#inFlight);
    while (batch.length < limit) {
      const next = this.#queue.peek();
      if (next === undefined || Array.isArray(next) || next.signal || next.transferList || next.chunk) break;
      this.#queue.shift();
      if (this.#start(next)) batch.push(next);
    }
    return batch;
  }

  #send(items: PoolItem[], signal: AbortSignal | null, transferList: TransferListItem[] | null = null): void {
    this.#inFlight++;
    const message = new Message(this, items, signal, transferList);
    this.#running.add(message);
    try {
      this.#host.backend().run(requestOf(items), message);
    } catch (error) {
      // No worker could start (the permission model denies them, a missing entry module): a break, not a crash.
      this.#inFlight--;
      this.#host.breakPool(`The pool could not start a ${this.#host.worker}`, error);
    }
  }

  /** @internal A message's reply (see {@link Message}). */
  replied(message: Message, reply: WorkerReply): void {
    this.#inFlight--;
    if ("initFailed" in reply) {
      this.#host.breakPool(
        `A ${this.#host.worker} initializer failed, the pool is not usable anymore`,
        deserializeError(reply.initFailed),
      );
      return;
    }
    const [values, failed, ms] = reply;
    const items = message.items;
    this.#batching.record(ms, values.length);
    const chunk = items[0]!.chunk;
    if (!this.#running.delete(message)) {
      // Its calls were settled already (the pool broke or stopped).
    } else if (chunk !== null) {
      if (failed !== 0) for (const i of failed) values[i] = deserializeError(values[i]);
      if (items[0]!.signal !== null) this.release(items[0]!);
      chunk.replied(values, failed, ms);
    } else {
      // `failed` lists the failed calls' indices in ascending order.
      let k = 0;
      let nextFailed = failed === 0 ? -1 : failed[0]!;
      for (let i = 0; i < items.length; i++) {
        if (i !== nextFailed) {
          this.#settle(items[i]!, values[i], false);
          continue;
        }
        this.#settle(items[i]!, deserializeError(values[i]), true);
        nextFailed = (failed as number[])[++k] ?? -1;
      }
    }
    this.#dispatch();
  }

  /** @internal A message that got no reply (see {@link Message}). */
  failedToReply(message: Message, error: unknown): void {
    this.#inFlight--;
    const { items, signal } = message;
    if (!this.#running.has(message)) {
      // Its calls were settled already (the pool broke or stopped).
    } else if (!this.#halted && signal?.aborted) {
      // Stopped on purpose: its worker was replaced; only these calls fail.
      this.#running.delete(message);
      for (const item of items) this.#settle(item, signal.reason, true);
    } else if (!this.#halted && error instanceof SendRefused) {
      this.#running.delete(message);
      this.#onRefused(items, signal ?? null, error.error);
    } else {
      // A crash: breaking the pool fails these calls with every other running one.
      const text = `A ${this.#host.worker} of the pool terminated abruptly while the future was running or pending`;
      this.#host.breakPool(text, error);
      return;
    }
    this.#dispatch();
  }

  /**
   * The serializer refused the message — a value past the bounded argument
   * check, or a bad transfer list. The calls whose arguments it refuses fail
   * with the positional TypeError of SPEC §1.1 and the others go again; when
   * no argument is to blame (the transfer list), every call in it fails.
   */
  #onRefused(items: PoolItem[], signal: AbortSignal | null, error: unknown): void {
    const transport = this.#host.transport;
    if (items[0]!.chunk !== null) return this.#onChunkRefused(items[0]!, items[0]!.chunk, error);
    const culprits = items.filter((item) => refusesArguments(item.args, transport));
    const failing = culprits.length > 0 ? culprits : items;
    for (const item of failing) this.#settle(item, cloneFailureMessage(error, item.args, item.caller, transport), true);
    const rest = items.filter((item) => !failing.includes(item));
    if (rest.length > 0) this.#send(rest, signal);
  }

  /** {@link #onRefused} for a `map` chunk: the calls to blame fail, the others go again as a smaller chunk. */
  #onChunkRefused(item: PoolItem, chunk: ChunkSink, error: unknown): void {
    const transport = this.#host.transport;
    const culprits: number[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < item.args.length; i++) {
      const args = chunk.oneArg ? [item.args[i]] : (item.args[i] as unknown[]);
      if (!refusesArguments(args, transport)) continue;
      culprits.push(i);
      errors.push(cloneFailureMessage(error, args, item.caller, transport));
    }
    if (culprits.length === 0) {
      // Nothing to blame on an argument: the chunk fails as a whole.
      this.#settle(item, cloneFailureMessage(error, [], item.caller, transport), true);
      return;
    }
    const rest = chunk.refused(culprits, errors, item);
    if (rest !== null) this.#send([rest], rest.signal);
  }

  /** A running call's outcome (its message was still in flight). */
  #settle(item: PoolItem, value: unknown, failed: boolean): void {
    if (item.signal !== null) this.release(item);
    if (item.future.done()) return;
    if (failed) item.future.setException(value);
    else item.future.setResult(value);
  }
}

/**
 * A message in flight: its calls, its options for the backend, and the
 * callbacks the backend answers through — methods, so that a message costs
 * one object and no closures.
 */
class Message implements RunOptions {
  readonly signal: AbortSignal | undefined;
  readonly transferList: TransferListItem[] | undefined;
  readonly items: PoolItem[];
  readonly #dispatcher: Dispatcher;

  constructor(dispatcher: Dispatcher, items: PoolItem[], signal: AbortSignal | null, transferList: TransferListItem[] | null) {
    this.#dispatcher = dispatcher;
    this.items = items;
    this.signal = signal ?? undefined;
    this.transferList = transferList ?? undefined;
  }

  onReply(reply: WorkerReply): void {
    this.#dispatcher.replied(this, reply);
  }

  onFailure(error: unknown): void {
    this.#dispatcher.failedToReply(this, error);
  }
}

/**
 * The columnar request for `items`: each function once, then the arguments.
 * Arrays are built by push: the serializer writes a holey array (`new
 * Array(n)`) key by key, a packed one in a single pass.
 */
function requestOf(items: PoolItem[]): WorkerRequest {
  const first = items[0]!.call;
  if (items.length === 1) {
    const { chunk, args } = items[0]!;
    // A chunk's calls are its arguments: a column of values, or of argument lists.
    return chunk === null ? [[first], 0, [args]] : [[first], chunk.oneArg ? ONE_ARG : 0, args];
  }
  const fns: CallSpec[] = [first];
  const args: unknown[][] = [];
  let which: number[] | 0 = 0;
  for (const { call, args: each } of items) {
    args.push(each);
    // Call specs are memoized (call-spec.ts): one function is one object.
    if (which === 0 && call === first) continue;
    if (which === 0) {
      which = [];
      for (let i = 0; i < args.length - 1; i++) which.push(0);
    }
    let f = fns.indexOf(call);
    if (f < 0) f = fns.push(call) - 1;
    which.push(f);
  }
  return [fns, which, args];
}
