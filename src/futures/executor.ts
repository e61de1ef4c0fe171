/**
 * `Executor`: the abstract base of every executor, as in CPython. Subclasses
 * implement `submitWith` and `shutdown`; `submit`, `map` and
 * `Symbol.asyncDispose` are built on them.
 */
import type { TransferListItem } from "node:worker_threads";
import type { Future } from "./future.js";
import { MapIterator, type MapChunker, type MapResults } from "./map.js";
import { checkTimeout, describe } from "./timeouts.js";

/** Per-task options for `submitWith`. */
export interface SubmitOptions {
  /**
   * Aborting it cancels the task while it is pending, and stops it while it
   * runs: its future fails with `signal.reason`.
   */
  signal?: AbortSignal | null;
  /** ArrayBuffers (and other transferables) moved to a worker without copying. */
  transferList?: readonly TransferListItem[] | null;
}

/** Options for `map`, given as its last argument. */
export interface MapOptions {
  /** Seconds, counted from the `map` call, for all results; `null`/`undefined` is no limit. */
  timeout?: number | null;
  /** Items per message for pool executors; ignored by the event-loop executor. A positive integer. */
  chunksize?: number;
  /** At most this many submitted results waiting to be consumed (Python 3.14); a positive integer. */
  buffersize?: number | null;
  /** Aborting it cancels pending calls and stops the iteration with `signal.reason`. */
  signal?: AbortSignal | null;
}

/** Options for `shutdown`. */
export interface ShutdownOptions {
  /** Resolve only once every submitted call has finished (default `true`). */
  wait?: boolean;
  /** Cancel every call that has not started (default `false`). */
  cancelFutures?: boolean;
}

/** An input of `map`: any iterable or async iterable. */
export type AnyIterable<T> = Iterable<T> | AsyncIterable<T>;

const MAP_OPTION_KEYS = ["timeout", "chunksize", "buffersize", "signal"] as const;
const SUBMIT_OPTION_KEYS = ["signal", "transferList"] as const;
const SHUTDOWN_OPTION_KEYS = ["wait", "cancelFutures"] as const;

/** The message CPython uses, kept word for word. */
export const SHUTDOWN_MESSAGE = "cannot schedule new futures after shutdown";

/**
 * An object that runs calls asynchronously and hands back a `Future` for each.
 */
export abstract class Executor {
  /**
   * Schedule `fn(...args)` and return a `Future` for its result. The call starts
   * on a later tick, never inside `submit`.
   *
   * @throws TypeError when `fn` is not a function.
   * @throws Error `cannot schedule new futures after shutdown` after `shutdown()`.
   * @throws BrokenExecutor (its subclass for this executor) when the pool is broken.
   */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    return this.submitWith({}, fn, ...args);
  }

  /**
   * `submit` with per-task options: an `AbortSignal` and a transfer list.
   */
  abstract submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>>;

  /**
   * Signal the executor to free its resources once the pending calls are done.
   *
   * @param options.wait resolve once every call has finished (default `true`).
   * @param options.cancelFutures cancel calls that have not started (default `false`).
   */
  abstract shutdown(options?: ShutdownOptions): Promise<void>;

  /** `await using ex = new ThreadPoolExecutor()` shuts down with `{ wait: true }`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * `fn` over the zipped iterables (stopping at the shortest), results in input
   * order. Synchronous inputs are submitted at once unless `buffersize` is
   * given; async inputs are read as their items arrive. The last argument is
   * the options when it is a non-null object that is not (async) iterable.
   *
   * Leaving the loop early (`break`, `return`, `throw`) cancels what has not
   * started; the first failure is raised when iteration reaches its index.
   *
   * @param options.timeout seconds counted from this call; `TimeoutError` when a
   *   result is not ready in time.
   * @throws TypeError (synchronously) for a non-function `fn`, a non-iterable
   *   input, or an unknown option; RangeError for a bad option value.
   */
  map<T1, R>(fn: (a: T1) => R, it1: AnyIterable<T1>, options?: MapOptions): MapResults<Awaited<R>>;
  map<T1, T2, R>(
    fn: (a: T1, b: T2) => R,
    it1: AnyIterable<T1>,
    it2: AnyIterable<T2>,
    options?: MapOptions,
  ): MapResults<Awaited<R>>;
  map<T1, T2, T3, R>(
    fn: (a: T1, b: T2, c: T3) => R,
    it1: AnyIterable<T1>,
    it2: AnyIterable<T2>,
    it3: AnyIterable<T3>,
    options?: MapOptions,
  ): MapResults<Awaited<R>>;
  map<T1, T2, T3, T4, R>(
    fn: (a: T1, b: T2, c: T3, d: T4) => R,
    it1: AnyIterable<T1>,
    it2: AnyIterable<T2>,
    it3: AnyIterable<T3>,
    it4: AnyIterable<T4>,
    options?: MapOptions,
  ): MapResults<Awaited<R>>;
  map<R>(fn: (...args: any[]) => R, ...iterablesAndOptions: unknown[]): MapResults<Awaited<R>>;
  map<R>(fn: (...args: any[]) => R, ...rest: unknown[]): MapResults<Awaited<R>> {
    if (typeof fn !== "function") {
      throw new TypeError(`map(fn, ...iterables): fn must be a function; got ${describe(fn)}`);
    }
    const { iterables, options } = splitMapArguments(rest);
    const timeout = checkTimeout("map(timeout)", options.timeout);
    const chunker = this.mapChunker(fn, options, iterables);
    const submit = chunker ? notUsed : this.mapSubmitter(fn, options, iterables);
    return new MapIterator<Awaited<R>>({
      submit: submit as (args: unknown[]) => Future<Awaited<R>>,
      chunker,
      iterables,
      timeout,
      buffersize: options.buffersize ?? null,
      signal: options.signal ?? null,
    });
  }

  /**
   * How `map` submits its calls a chunk at a time — one `Future` per chunk,
   * none per call — or `null` (the default) to submit them one by one through
   * `mapSubmitter`. Pool executors use it when no `chunksize` is given.
   * @throws as `map` does for a function the executor cannot run.
   */
  protected mapChunker(
    _fn: (...args: any[]) => unknown,
    _options: MapOptions,
    _inputs: readonly AnyIterable<unknown>[] = [],
  ): MapChunker | null {
    return null;
  }

  /**
   * How `map` submits one call. The default is `submit` (or `submitWith` with
   * the map's signal); pool executors override it to carry `chunksize` calls
   * per message, and managed executors to size the map from its `inputs`.
   */
  protected mapSubmitter(
    fn: (...args: any[]) => unknown,
    options: MapOptions,
    _inputs: readonly AnyIterable<unknown>[] = [],
  ): (args: unknown[]) => Future<unknown> {
    const signal = options.signal ?? null;
    if (signal) {
      const perTask: SubmitOptions = { signal };
      return (args) => this.submitWith(perTask, fn, ...args);
    }
    return (args) => this.submit(fn, ...args);
  }
}

function notUsed(): never {
  throw new Error("map(): unreachable: calls go through the chunker");
}

function isIterable(value: unknown): value is AnyIterable<unknown> {
  if (value === null || value === undefined) return false;
  const v = value as Record<symbol, unknown>;
  return typeof v[Symbol.iterator] === "function" || typeof v[Symbol.asyncIterator] === "function";
}

function splitMapArguments(rest: unknown[]): { iterables: AnyIterable<unknown>[]; options: MapOptions } {
  let options: MapOptions = {};
  const last = rest[rest.length - 1];
  if (rest.length > 0 && typeof last === "object" && last !== null && !isIterable(last)) {
    options = checkMapOptions(last as Record<string, unknown>);
    rest = rest.slice(0, -1);
  }
  rest.forEach((it, i) => {
    if (!isIterable(it)) {
      throw new TypeError(
        `map(fn, ...iterables): argument ${i + 2} must be an iterable or async iterable; got ${describe(it)}`,
      );
    }
  });
  return { iterables: rest as AnyIterable<unknown>[], options };
}

function checkPositiveInteger(name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`map(${name}): must be a positive integer; got ${describe(value)}`);
  }
  if (value < 1) throw new RangeError(`map(${name}): must be a positive integer (>= 1); got ${value}`);
}

function checkMapOptions(options: Record<string, unknown>): MapOptions {
  checkKeys("map()", options, MAP_OPTION_KEYS);
  checkPositiveInteger("chunksize", options.chunksize);
  checkPositiveInteger("buffersize", options.buffersize);
  checkSignal("map()", options.signal);
  return options as MapOptions;
}

/** @internal Validate `submitWith` options; executors call it. */
export function checkSubmitOptions(options: SubmitOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`submitWith(options, fn, ...args): options must be an object; got ${describe(options)}`);
  }
  checkKeys("submitWith()", options as Record<string, unknown>, SUBMIT_OPTION_KEYS);
  checkSignal("submitWith()", options.signal);
  const list = options.transferList;
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    throw new TypeError(`submitWith(): transferList must be an array of transferables; got ${describe(list)}`);
  }
}

/** @internal Validate `shutdown` options and fill in the defaults. */
export function checkShutdownOptions(options: ShutdownOptions | undefined): Required<ShutdownOptions> {
  if (options === undefined || options === null) return { wait: true, cancelFutures: false };
  if (typeof options !== "object") {
    throw new TypeError(`shutdown(options): options must be an object; got ${describe(options)}`);
  }
  checkKeys("shutdown()", options as Record<string, unknown>, SHUTDOWN_OPTION_KEYS);
  return { wait: options.wait ?? true, cancelFutures: options.cancelFutures ?? false };
}

/** @internal Validate `fn` for submit. */
export function checkCallable(fn: unknown, caller = "submit(fn, ...args)"): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${caller}: fn must be a function; got ${describe(fn)}`);
  }
}

function checkSignal(caller: string, signal: unknown): void {
  if (signal === undefined || signal === null) return;
  if (typeof signal !== "object" || typeof (signal as AbortSignal).addEventListener !== "function"
    || typeof (signal as AbortSignal).aborted !== "boolean") {
    throw new TypeError(`${caller}: signal must be an AbortSignal; got ${describe(signal)}`);
  }
}

function checkKeys(caller: string, options: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${caller}: unknown option "${key}"; accepted options are ${keys.join(", ")}`);
    }
  }
}
