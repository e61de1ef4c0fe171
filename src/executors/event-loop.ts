/**
 * `ThreadPoolExecutor` on the event loop (backend `event-loop`): Python's
 * threads under the GIL become tasks on the calling thread's event loop. Any
 * function runs here — closures included, sync or async — with at most
 * `maxWorkers` in flight, started in FIFO order.
 */
import { AsyncResource } from "node:async_hooks";
import { os } from "../builtins.js";
import { BrokenThreadPool } from "../futures/errors.js";
import {
  Executor,
  SHUTDOWN_MESSAGE,
  checkCallable,
  checkShutdownOptions,
  checkSubmitOptions,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import { Fifo } from "../futures/fifo.js";
import { Future, kOnCancel } from "../futures/future.js";
import { checkInitializer, checkMaxWorkers } from "./options.js";
import { SignalWatch } from "./signal-watch.js";

export interface ThreadPoolExecutorOptions {
  /** Calls in flight at most; default `min(32, availableParallelism + 4)`. */
  maxWorkers?: number;
  /** Kept for parity with Python; names the executor's slots in diagnostics. */
  threadNamePrefix?: string;
  /** Runs once per slot before that slot's first call; a failure breaks the pool. */
  initializer?: ((...args: any[]) => unknown) | null;
  /** Arguments for `initializer`. */
  initargs?: readonly unknown[];
}

interface WorkItem {
  future: Future<unknown>;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
  signal: AbortSignal | null;
  scope: AsyncResource;
}

const INITIALIZER_FAILED = "A thread initializer failed, the thread pool is not usable anymore";
// Run synchronous calls back to back for at most this long before yielding to I/O and timers.
const SLICE_MS = 10;

let executorCount = 0;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null
    && typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * An executor that runs calls on the event loop, at most `maxWorkers` at a time.
 */
export class ThreadPoolExecutor extends Executor {
  /** Calls in flight at most. */
  readonly maxWorkers: number;
  /** Kept for parity with Python's `thread_name_prefix`. */
  readonly threadNamePrefix: string;
  readonly #initializer: ((...args: unknown[]) => unknown) | null;
  readonly #initargs: readonly unknown[];
  readonly #queue = new Fifo<WorkItem>();
  /** Slots that have run their initializer and wait for work. */
  #idle: number;
  /** Slots created so far (each runs the initializer once). */
  #created: number;
  #initializing = 0;
  #running = 0;
  #shutdown = false;
  #brokenCause: { cause: unknown } | null = null;
  #drainScheduled = false;
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  readonly #signals = new SignalWatch<WorkItem>((item) => this.#abort(item));
  readonly #noticeCancel = (future: Future<unknown>): void => {
    // Notice at once, so wait()/asCompleted() count the future as done now.
    future.setRunningOrNotifyCancel();
    this.#checkIdle();
  };
  readonly #drainNow = (): void => this.#drain();
  #starts = 0;
  #sliceStart = 0;
  #yielding = false;
  readonly #newSlice = (): void => {
    this.#sliceStart = 0;
  };
  readonly #resume = (): void => {
    this.#yielding = false;
    this.#sliceStart = 0;
    this.#drain();
  };

  /**
   * @throws RangeError when `maxWorkers <= 0`; TypeError for options of the wrong type.
   */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    super();
    const defaultSize = Math.min(32, os().availableParallelism() + 4);
    this.maxWorkers = checkMaxWorkers("ThreadPoolExecutor", options.maxWorkers, defaultSize);
    this.threadNamePrefix = options.threadNamePrefix ?? `ThreadPoolExecutor-${executorCount++}`;
    const { initializer, initargs } = checkInitializer("ThreadPoolExecutor", options.initializer, options.initargs);
    this.#initializer = initializer;
    this.#initargs = initargs;
    // Without an initializer every slot is ready from the start.
    this.#created = initializer ? 0 : this.maxWorkers;
    this.#idle = this.#created;
  }

  override submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    checkCallable(fn);
    return this.#enqueue(fn as (...args: unknown[]) => unknown, args, null) as Future<Awaited<R>>;
  }

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
   * Stop accepting work. Calls already submitted still run unless
   * `cancelFutures` is set, as in Python.
   *
   * @param options.wait resolve once every call has finished (default `true`).
   * @param options.cancelFutures cancel the calls that have not started (default `false`).
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(options);
    this.#shutdown = true;
    if (cancelFutures) {
      for (const item of this.#queue.takeAll()) {
        item.future.cancel();
        this.#release(item);
      }
    }
    if (!wait || this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #enqueue(fn: (...args: unknown[]) => unknown, args: unknown[], signal: AbortSignal | null): Future<unknown> {
    if (this.#brokenCause) throw this.#brokenError();
    if (this.#shutdown) throw new Error(SHUTDOWN_MESSAGE);
    const future = new Future<unknown>();
    const item: WorkItem = {
      future,
      fn,
      args,
      signal,
      // Each call runs in the async context of its submitter (AsyncLocalStorage flows in).
      scope: new AsyncResource("unirun.ThreadPoolExecutor"),
    };
    if (signal) {
      if (signal.aborted) {
        future.cancel();
        future.setRunningOrNotifyCancel();
        return future;
      }
      this.#signals.watch(signal, item);
    }
    future[kOnCancel] = this.#noticeCancel;
    this.#queue.push(item);
    this.#scheduleDrain();
    return future;
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled || this.#draining || this.#yielding) return;
    this.#drainScheduled = true;
    queueMicrotask(this.#drainNow);
  }

  /** Start queued calls while there are free slots. */
  #drain(): void {
    this.#drainScheduled = false;
    if (this.#draining || this.#yielding) return;
    this.#draining = true;
    try {
      while (this.#queue.size > 0 && this.#brokenCause === null) {
        if (this.#idle === 0) {
          while (this.#created < this.maxWorkers && this.#queue.size > this.#initializing) this.#createSlot();
          break;
        }
        const item = this.#queue.shift() as WorkItem;
        item.future[kOnCancel] = null;
        if (item.future.state !== "PENDING") {
          this.#release(item); // cancelled and already noticed
          continue;
        }
        item.future.setRunningOrNotifyCancel();
        this.#idle--;
        this.#running++;
        this.#run(item);
        if ((++this.#starts & 63) === 0 && this.#sliceSpent()) {
          // Long runs of calls chained on microtasks must not starve timers and I/O.
          this.#yielding = true;
          setImmediate(this.#resume);
          break;
        }
      }
    } finally {
      this.#draining = false;
    }
    this.#checkIdle();
  }

  /** True once this macrotask turn has started calls for longer than SLICE_MS. */
  #sliceSpent(): boolean {
    const now = performance.now();
    if (this.#sliceStart === 0) {
      this.#sliceStart = now;
      setImmediate(this.#newSlice);
      return false;
    }
    return now - this.#sliceStart > SLICE_MS;
  }

  #run(item: WorkItem): void {
    let value: unknown;
    try {
      value = item.scope.runInAsyncScope(item.fn, null, ...item.args);
    } catch (error) {
      this.#finish(item, error, true);
      return;
    }
    if (isThenable(value)) {
      value.then(
        (result) => this.#finish(item, result, false),
        (error) => this.#finish(item, error, true),
      );
    } else {
      this.#finish(item, value, false);
    }
  }

  #finish(item: WorkItem, value: unknown, failed: boolean): void {
    this.#running--;
    this.#idle++;
    this.#release(item);
    const future = item.future;
    // A future whose signal aborted while it ran is already settled.
    if (!future.done()) {
      if (failed) future.setException(value);
      else future.setResult(value);
    }
    if (!this.#draining && !this.#yielding) this.#drain();
  }

  #abort(item: WorkItem): void {
    const future = item.future;
    if (future.cancel()) return; // pending: cancelled and noticed by #noticeCancel
    if (future.running()) {
      // The event loop cannot interrupt a running call: its future fails now with
      // the abort reason; the slot stays busy until the call itself returns.
      future.setException(item.signal!.reason);
    }
  }

  #release(item: WorkItem): void {
    this.#signals.release(item.signal, item);
    item.scope.emitDestroy();
  }

  #createSlot(): void {
    this.#created++;
    this.#initializing++;
    const initializer = this.#initializer as (...args: unknown[]) => unknown;
    new Promise((resolve) => resolve(initializer(...this.#initargs))).then(
      () => {
        this.#initializing--;
        this.#idle++;
        this.#drain();
      },
      (error: unknown) => {
        this.#initializing--;
        this.#breakPool(error);
      },
    );
  }

  #breakPool(cause: unknown): void {
    if (this.#brokenCause) return;
    this.#brokenCause = { cause };
    for (const item of this.#queue.takeAll()) {
      this.#release(item);
      const future = item.future;
      future[kOnCancel] = null;
      if (future.state === "PENDING") future.setException(this.#brokenError());
      else if (future.state === "CANCELLED") future.setRunningOrNotifyCancel();
    }
    this.#checkIdle();
  }

  #brokenError(): BrokenThreadPool {
    return new BrokenThreadPool(INITIALIZER_FAILED, this.#brokenCause ?? undefined);
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.#initializing === 0 && this.#queue.size === 0;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
