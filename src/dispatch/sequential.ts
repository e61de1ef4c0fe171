/**
 * `SequentialExecutor` (backend `inline`): hypernodes' `"sequential"` alias.
 * Calls run on the calling thread one at a time, in submission order; an
 * async call is awaited before the next starts. Like every executor, a call
 * starts on a later tick, never inside `submit`.
 */
import { AsyncResource } from "node:async_hooks";
import { SignalWatch } from "../executors/signal-watch.js";
import {
  checkCallable,
  checkShutdownOptions,
  checkSubmitOptions,
  Executor,
  SHUTDOWN_MESSAGE,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import { Fifo } from "../futures/fifo.js";
import { Future, kOnCancel } from "../futures/future.js";

interface Call {
  future: Future<unknown>;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
  signal: AbortSignal | null;
  /** The submitter's async context (AsyncLocalStorage flows into the call). */
  scope: AsyncResource;
}

// Run synchronous calls back to back for at most this long before yielding to I/O and timers.
const SLICE_MS = 10;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null
    && typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * An executor that runs calls one at a time, in order, on the calling thread.
 * Any function runs here (closures included, sync or async).
 */
export class SequentialExecutor extends Executor {
  /** Always 1: one call at a time. */
  readonly maxWorkers = 1;
  readonly #queue = new Fifo<Call>();
  #current: Call | null = null;
  #scheduled = false;
  #shutdown = false;
  #idleWaiters: (() => void)[] = [];
  readonly #signals = new SignalWatch<Call>((call) => this.#abort(call));
  readonly #noticeCancel = (future: Future<unknown>): void => {
    // Notice at once, so wait()/asCompleted() count the future as done now.
    future.setRunningOrNotifyCancel();
    this.#checkIdle();
  };
  readonly #next = (): void => this.#drain();

  override submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    checkCallable(fn);
    return this.#enqueue(fn as (...args: unknown[]) => unknown, args, null) as Future<Awaited<R>>;
  }

  /** `submit` with an `AbortSignal`: it cancels a pending call and fails a running one with its reason. */
  override submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    checkSubmitOptions(options);
    checkCallable(fn, "submitWith(options, fn, ...args)");
    return this.#enqueue(fn as (...args: unknown[]) => unknown, args, options.signal ?? null) as Future<Awaited<R>>;
  }

  /**
   * Stop accepting work. Calls already submitted still run, in order, unless
   * `cancelFutures` is set.
   *
   * @param options.wait resolve once every call has finished (default `true`).
   * @param options.cancelFutures cancel the calls that have not started (default `false`).
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(options);
    this.#shutdown = true;
    if (cancelFutures) {
      for (const call of this.#queue.takeAll()) {
        this.#signals.release(call.signal, call);
        call.future.cancel();
        call.scope.emitDestroy();
      }
    }
    if (!wait || this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #enqueue(fn: (...args: unknown[]) => unknown, args: unknown[], signal: AbortSignal | null): Future<unknown> {
    if (this.#shutdown) throw new Error(SHUTDOWN_MESSAGE);
    const future = new Future<unknown>();
    if (signal?.aborted) {
      future.cancel();
      future.setRunningOrNotifyCancel();
      return future;
    }
    const call: Call = { future, fn, args, signal, scope: new AsyncResource("unirun.SequentialExecutor") };
    if (signal) this.#signals.watch(signal, call);
    future[kOnCancel] = this.#noticeCancel;
    this.#queue.push(call);
    this.#schedule();
    return future;
  }

  #schedule(): void {
    if (this.#scheduled || this.#current !== null) return;
    this.#scheduled = true;
    queueMicrotask(this.#next);
  }

  /** Start calls in order until one is asynchronous, the queue is empty, or the slice is spent. */
  #drain(): void {
    this.#scheduled = false;
    const sliceStart = performance.now();
    while (this.#current === null) {
      const call = this.#queue.shift();
      if (call === undefined) break;
      call.future[kOnCancel] = null;
      if (call.future.state !== "PENDING") {
        this.#release(call); // cancelled while pending, and already noticed
        continue;
      }
      call.future.setRunningOrNotifyCancel();
      this.#run(call);
      if (this.#current === null && performance.now() - sliceStart > SLICE_MS) {
        // A long run of synchronous calls must not starve timers and I/O.
        this.#scheduled = true;
        setImmediate(this.#next);
        return;
      }
    }
    this.#checkIdle();
  }

  #run(call: Call): void {
    let value: unknown;
    try {
      value = call.scope.runInAsyncScope(call.fn, null, ...call.args);
    } catch (error) {
      this.#finish(call, error, true);
      return;
    }
    if (!isThenable(value)) {
      this.#finish(call, value, false);
      return;
    }
    this.#current = call;
    value.then(
      (result) => this.#resume(call, result, false),
      (error: unknown) => this.#resume(call, error, true),
    );
  }

  #resume(call: Call, value: unknown, failed: boolean): void {
    this.#current = null;
    this.#finish(call, value, failed);
    if (this.#queue.size > 0) this.#schedule();
    else this.#checkIdle();
  }

  #finish(call: Call, value: unknown, failed: boolean): void {
    this.#release(call);
    // A call whose signal aborted while it ran is already settled.
    if (call.future.done()) return;
    if (failed) call.future.setException(value);
    else call.future.setResult(value);
  }

  #abort(call: Call): void {
    const future = call.future;
    if (future.cancel()) return; // pending: cancelled and noticed by #noticeCancel
    // Running: the calling thread cannot interrupt it; its future fails now and
    // the next call waits until this one returns, keeping one at a time.
    if (future.running()) future.setException(call.signal!.reason);
  }

  #release(call: Call): void {
    this.#signals.release(call.signal, call);
    call.scope.emitDestroy();
  }

  #isIdle(): boolean {
    return this.#current === null && this.#queue.size === 0;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
