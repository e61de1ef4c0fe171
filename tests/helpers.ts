/**
 * Shared helpers for the ports of CPython's test_concurrent_futures suite
 * (util.py): futures built in a given state, and events as promises.
 */
import { Future, type FutureState } from "../src/api/futures.js";

/** CPython's tests raise OSError; ours is a plain Error subclass with that name. */
export class OSError extends Error {
  override name = "OSError";
}

/** A promise you resolve yourself: the stand-in for CPython's threading.Event. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface CreateFutureOptions<T> {
  result?: T;
  exception?: unknown;
}

/**
 * CPython's `create_future(state=..., exception=..., result=...)`: where
 * CPython pokes `_state`, we drive the future through its public transitions.
 */
export function createFuture<T = unknown>(
  state: FutureState = "PENDING",
  options: CreateFutureOptions<T> = {},
): Future<T> {
  const f = new Future<T>();
  switch (state) {
    case "PENDING":
      break;
    case "RUNNING":
      f.setRunningOrNotifyCancel();
      break;
    case "CANCELLED":
      f.cancel();
      break;
    case "CANCELLED_AND_NOTIFIED":
      f.cancel();
      f.setRunningOrNotifyCancel();
      break;
    case "FINISHED":
      if ("exception" in options) f.setException(options.exception);
      else f.setResult(options.result as T);
      break;
  }
  if (f.state !== state) throw new Error(`createFuture: wanted ${state}, got ${f.state}`);
  return f;
}

/**
 * CPython's module-level PENDING_FUTURE, RUNNING_FUTURE, ... built afresh, so
 * that no test sees waiters or callbacks left on them by another.
 */
export function standardFutures() {
  return {
    PENDING_FUTURE: createFuture("PENDING"),
    RUNNING_FUTURE: createFuture("RUNNING"),
    CANCELLED_FUTURE: createFuture("CANCELLED"),
    CANCELLED_AND_NOTIFIED_FUTURE: createFuture("CANCELLED_AND_NOTIFIED"),
    EXCEPTION_FUTURE: createFuture("FINISHED", { exception: new OSError() }),
    SUCCESSFUL_FUTURE: createFuture<unknown>("FINISHED", { result: 42 }),
  };
}

/**
 * Settle with `promise`, or reject after `seconds` so a broken implementation
 * fails the test with a clear message instead of hanging it. Never used to
 * assert a duration.
 */
export function within<T>(promise: PromiseLike<T>, seconds = 5, what = "operation"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not settle within ${seconds}s`)), seconds * 1000);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Run `fn` and return what it throws synchronously; fails when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw synchronously");
}

/** CPython's `mul`. */
export function mul(x: number, y: number): number {
  return x * y;
}

/** CPython submits `divmod(21, 0)` to get a future that raises. */
export function divmod(x: number, y: number): [number, number] {
  if (y === 0) throw new RangeError("integer division or modulo by zero");
  return [Math.floor(x / y), x % y];
}
