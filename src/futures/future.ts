/**
 * `Future`: CPython's `concurrent.futures.Future` state machine, with Promises
 * in place of blocking waits.
 *
 * ```
 * PENDING ──setRunningOrNotifyCancel()──▶ RUNNING ──setResult()/setException()──▶ FINISHED
 *    │                                                    (also from PENDING)
 *    └─cancel()─▶ CANCELLED ──setRunningOrNotifyCancel()──▶ CANCELLED_AND_NOTIFIED
 * ```
 */
import { CancelledError, InvalidStateError, TimeoutError } from "./errors.js";
import { after, checkTimeout, describe } from "./timeouts.js";

/** The five states of CPython's futures, by their CPython names. */
export type FutureState = "PENDING" | "RUNNING" | "CANCELLED" | "CANCELLED_AND_NOTIFIED" | "FINISHED";

/** A callback given to `addDoneCallback`; it receives the settled future. */
export type DoneCallback<T> = (future: Future<T>) => void;

/**
 * Internal: `wait` and `asCompleted` install one of these on each future they
 * watch. It hears of a future when it is FINISHED or CANCELLED_AND_NOTIFIED,
 * as CPython's `_Waiter` does, and never sees plain CANCELLED.
 */
export interface Waiter {
  notify(future: Future<unknown>): void;
}

/** Internal hooks, kept off the public surface. */
export const kAddWaiter = Symbol("unirun.addWaiter");
export const kRemoveWaiter = Symbol("unirun.removeWaiter");
/** Internal: true for a FINISHED future whose call raised. */
export const kRaised = Symbol("unirun.raised");
/**
 * An executor sets this on a future it queued; `cancel()` calls it so the
 * executor can notice the cancellation at once (CANCELLED → CANCELLED_AND_NOTIFIED)
 * instead of when the future reaches the head of its queue.
 */
export const kOnCancel = Symbol("unirun.onCancel");
/**
 * Internal: a FINISHED future's outcome, read synchronously (`{ failed, value }`),
 * or `null` when it is not finished — for executors that relay one future's
 * outcome to another.
 */
export const kOutcome = Symbol("unirun.outcome");

/**
 * The one promise of a future's outcome, created on first demand (by `then`,
 * `result()` or a timed wait) and settled directly when the future settles.
 */
interface Settled<T> {
  promise: Promise<T>;
  resolve: ((value: T) => void) | null;
  reject: ((reason: unknown) => void) | null;
}

const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

/**
 * The result of an asynchronous computation. Executors create futures; user
 * code reads them with `result()`, `exception()`, `await future`, or
 * `addDoneCallback()`.
 */
export class Future<T = unknown> implements PromiseLike<T> {
  #state: FutureState = "PENDING";
  #result: T | undefined = undefined;
  #exception: unknown = undefined;
  #failed = false;
  // Typed with `any`, not T: a field holding callbacks of T would make Future
  // invariant in T, so a Future<number> would not be a Future<unknown>.
  #callbacks: DoneCallback<any>[] | null = null;
  #waiters: Set<Waiter> | null = null;
  // Created lazily, so a failed future nobody reads never holds a rejected
  // promise (which Node would report as an unhandled rejection).
  #settled: Settled<any> | null = null;

  /** Internal: see {@link kOnCancel}. */
  [kOnCancel]: ((future: Future<any>) => void) | null = null;

  /** The CPython state name, for diagnostics. */
  get state(): FutureState {
    return this.#state;
  }

  /**
   * Attempt to cancel the call. Returns `false` when the call is running or
   * finished (it cannot be cancelled), `true` otherwise — including when it was
   * already cancelled. Done callbacks run at once on a successful cancel.
   */
  cancel(): boolean {
    const state = this.#state;
    if (state === "RUNNING" || state === "FINISHED") return false;
    if (state === "CANCELLED" || state === "CANCELLED_AND_NOTIFIED") return true;
    this.#state = "CANCELLED";
    this.#settle();
    const hook = this[kOnCancel];
    if (hook !== null) {
      this[kOnCancel] = null;
      hook(this);
    }
    return true;
  }

  /** True when the future was cancelled. */
  cancelled(): boolean {
    return this.#state === "CANCELLED" || this.#state === "CANCELLED_AND_NOTIFIED";
  }

  /** True when the call is currently running and cannot be cancelled. */
  running(): boolean {
    return this.#state === "RUNNING";
  }

  /** True when the call finished (with a result or an exception) or was cancelled. */
  done(): boolean {
    const state = this.#state;
    return state === "FINISHED" || state === "CANCELLED" || state === "CANCELLED_AND_NOTIFIED";
  }

  /**
   * The call's result.
   *
   * @param timeout seconds to wait; `null`/`undefined` waits without limit.
   * @returns a Promise of the result.
   * Rejects with `CancelledError` when the future was cancelled, with
   * `TimeoutError` when it is not done within `timeout` seconds, and with the
   * call's own error when the call failed.
   * @throws RangeError/TypeError (synchronously) for an invalid `timeout`.
   */
  result(timeout?: number | null): Promise<T> {
    const seconds = checkTimeout("Future.result(timeout)", timeout);
    if (seconds === null || this.done()) return this.#promise();
    return this.#whenDone(seconds, "result").then(() => this.#promise());
  }

  /**
   * The call's exception, or `null` when it succeeded.
   *
   * @param timeout seconds to wait; `null`/`undefined` waits without limit.
   * Rejects with `CancelledError` when the future was cancelled and with
   * `TimeoutError` when it is not done within `timeout` seconds.
   * @throws RangeError/TypeError (synchronously) for an invalid `timeout`.
   */
  exception(timeout?: number | null): Promise<unknown> {
    const seconds = checkTimeout("Future.exception(timeout)", timeout);
    if (this.done()) return this.#exceptionOutcome();
    return this.#whenDone(seconds, "exception").then(() => this.#exceptionOutcome());
  }

  /**
   * Attach a callable that is called with this future when it is cancelled or
   * finishes. Callbacks run synchronously, in the order they were added, at the
   * moment the future settles; on a future that is already done, at once. A
   * callback that throws is reported with `console.error` and does not affect
   * the future or the other callbacks.
   */
  addDoneCallback(fn: DoneCallback<T>): void {
    if (typeof fn !== "function") {
      throw new TypeError(`addDoneCallback(fn): fn must be a function; got ${describe(fn)}`);
    }
    if (!this.done()) {
      (this.#callbacks ??= []).push(fn);
      return;
    }
    this.#invoke(fn);
  }

  /**
   * Executor side: mark the future as running, or notice that it was cancelled.
   *
   * @returns `true` when the future was PENDING and is now RUNNING (the call
   * should run); `false` when it was cancelled (it is now
   * CANCELLED_AND_NOTIFIED and the call must not run).
   * @throws InvalidStateError when the future is already running or finished.
   */
  setRunningOrNotifyCancel(): boolean {
    const state = this.#state;
    if (state === "PENDING") {
      this.#state = "RUNNING";
      return true;
    }
    if (state === "CANCELLED") {
      this.#state = "CANCELLED_AND_NOTIFIED";
      this.#notifyWaiters();
      return false;
    }
    throw new InvalidStateError(`Future in unexpected state: ${this}`);
  }

  /**
   * Executor side: set the result and settle the future.
   * @throws InvalidStateError when the future is already cancelled or finished.
   */
  setResult(result: T): void {
    this.#checkSettable("setResult");
    this.#result = result;
    this.#state = "FINISHED";
    this.#notifyWaiters();
    this.#settle();
  }

  /**
   * Executor side: set the exception and settle the future.
   * @throws InvalidStateError when the future is already cancelled or finished.
   */
  setException(exception: unknown): void {
    this.#checkSettable("setException");
    this.#exception = exception;
    this.#failed = true;
    this.#state = "FINISHED";
    this.#notifyWaiters();
    this.#settle();
  }

  /** `await future` resolves with the result (or rejects as `result()` does). */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise().then(onfulfilled, onrejected);
  }

  /** Internal: used by `wait` and `asCompleted`. */
  [kAddWaiter](waiter: Waiter): void {
    (this.#waiters ??= new Set()).add(waiter);
  }

  /** Internal: used by `wait(returnWhen: FIRST_EXCEPTION)`. */
  [kRaised](): boolean {
    return this.#state === "FINISHED" && this.#failed;
  }

  /** Internal: see {@link kOutcome}. */
  [kOutcome](): { failed: boolean; value: unknown } | null {
    if (this.#state !== "FINISHED") return null;
    return this.#failed ? { failed: true, value: this.#exception } : { failed: false, value: this.#result };
  }

  /** Internal: used by `wait` and `asCompleted`. */
  [kRemoveWaiter](waiter: Waiter): void {
    this.#waiters?.delete(waiter);
  }

  toString(): string {
    // CPython's _STATE_TO_DESCRIPTION_MAP: CANCELLED_AND_NOTIFIED reads "cancelled".
    const state = this.#state === "CANCELLED_AND_NOTIFIED" ? "cancelled" : this.#state.toLowerCase();
    if (this.#state !== "FINISHED") return `<Future state=${state}>`;
    if (this.#failed) return `<Future state=finished raised ${errorName(this.#exception)}>`;
    return `<Future state=finished returned ${describe(this.#result)}>`;
  }

  [inspectCustom](): string {
    return this.toString();
  }

  #checkSettable(method: string): void {
    const state = this.#state;
    if (state === "FINISHED" || state === "CANCELLED" || state === "CANCELLED_AND_NOTIFIED") {
      throw new InvalidStateError(`${method}() called on a future that is already ${state}: ${this}`);
    }
  }

  /**
   * A promise of the outcome. Asked for while the future is pending, it is the
   * future's one shared promise, settled directly by `#settle`; once the future
   * is done, an already-settled promise (as cheap as reading a cached one).
   * Callers attach a handler or hand it to the user, as `result()` always has.
   */
  #promise(): Promise<T> {
    const existing = this.#settled;
    if (existing !== null) return existing.promise;
    if (this.done()) return this.#outcome();
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#settled = { promise, resolve, reject };
    return promise;
  }

  #outcome(): Promise<T> {
    if (this.cancelled()) return Promise.reject(new CancelledError("the future was cancelled"));
    if (this.#failed) return Promise.reject(this.#exception);
    return Promise.resolve(this.#result as T);
  }

  #exceptionOutcome(): Promise<unknown> {
    if (this.cancelled()) return Promise.reject(new CancelledError("the future was cancelled"));
    return Promise.resolve(this.#failed ? this.#exception : null);
  }

  /**
   * Resolves (never rejects with the outcome) when the future is done; rejects
   * with TimeoutError after `seconds`.
   */
  #whenDone(seconds: number | null, method: string): Promise<void> {
    if (seconds === 0) {
      return Promise.reject(new TimeoutError(`Future.${method}() timed out: the future is not done`));
    }
    const settled = this.#promise();
    if (seconds === null) return settled.then(noop, noop);
    return new Promise<void>((resolve, reject) => {
      const deadline = after(seconds, () =>
        reject(new TimeoutError(`Future.${method}() timed out after ${seconds} seconds`)),
      );
      const done = (): void => {
        deadline.cancel();
        resolve();
      };
      settled.then(done, done);
    });
  }

  #notifyWaiters(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const waiter of waiters) waiter.notify(this as Future<unknown>);
  }

  /** Settle the outcome promise (if anyone asked for it) and run the done callbacks. */
  #settle(): void {
    const settled = this.#settled;
    if (settled !== null && settled.resolve !== null) {
      if (this.cancelled()) settled.reject!(new CancelledError("the future was cancelled"));
      else if (this.#failed) settled.reject!(this.#exception);
      else settled.resolve(this.#result);
      settled.resolve = settled.reject = null;
    }
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    this.#callbacks = null;
    for (const fn of callbacks) this.#invoke(fn);
  }

  #invoke(fn: DoneCallback<T>): void {
    try {
      fn(this);
    } catch (error) {
      // CPython logs and carries on: a callback never breaks its future.
      console.error(`exception calling callback for ${this}`, error);
    }
  }
}

function noop(): void {}

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return describe(error);
}

/** True for a `Future` (of this package). */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
