/**
 * `asCompleted` over awaitables: asyncio.as_completed, both ways Python 3.13
 * iterates it.
 *
 * - `for (const next of asCompleted(aws))`: Python's plain `for`. Each item
 *   is a Promise of the *next* result to complete; `await next` yields it or
 *   throws its error, and the loop may go on after a caught error.
 * - `for await (const value of asCompleted(aws))`: the results themselves in
 *   completion order. (Python's `async for` yields the original tasks; a
 *   JavaScript `for await` loop would unwrap a yielded Promise anyway, and
 *   TypeScript types it that way, so unirun yields the value.) The first
 *   rejection is thrown from the loop and ends it.
 *
 * To know which input completed, map inputs to tagged promises
 * (`aws.map(async (p, i) => [i, await p])`), or use the futures `asCompleted`,
 * which yields the Future objects.
 */
import { TimeoutError } from "../futures/errors.js";
import { after, type Deadline } from "../futures/timeouts.js";
import { checkOptions, checkTimeout, describe, isAwaitable } from "./checks.js";

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Seconds, counted from the call, for all awaitables to settle;
   * `null`/`undefined` is no limit. Results that arrived in time are still
   * handed out; after them, each remaining one is a `TimeoutError`
   * (`"2 (of 4) awaitables unfinished"`).
   */
  timeout?: number | null;
}

/**
 * What {@link asCompleted} returns: iterate it once, either with `for` (Promises
 * of the next result) or with `for await` (the results).
 */
export interface AsCompletedIterator<T> extends Iterable<Promise<T>>, AsyncIterable<T> {
  [Symbol.iterator](): IterableIterator<Promise<T>>;
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

interface Waiting<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Iterate over awaitables in the order they settle (asyncio.as_completed).
 * An awaitable passed twice counts once, as in Python. Every input's
 * rejection is handled, so an input nobody reads is never reported unhandled.
 *
 * @param aws an iterable of Promises, unirun Futures or other thenables.
 * @param options.timeout seconds from this call; see {@link AsCompletedOptions.timeout}.
 * @throws TypeError/RangeError (synchronously) when `aws` is not an iterable
 *   of awaitables, or for an invalid `timeout`.
 */
export function asCompleted<T>(aws: Iterable<PromiseLike<T>>, options?: AsCompletedOptions): AsCompletedIterator<T> {
  const opts = checkOptions<AsCompletedOptions>("asCompleted(aws, options)", options, ["timeout"]);
  const seconds = checkTimeout("asCompleted(timeout)", opts.timeout);
  return new CompletionQueue(collect(aws), seconds);
}

function collect<T>(aws: Iterable<PromiseLike<T>>): Set<PromiseLike<T>> {
  if (isAwaitable(aws) || aws === null || typeof (aws as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(
      `asCompleted(aws): aws must be an iterable (an array, a Set, ...) of awaitables; got ${describe(aws)}`,
    );
  }
  const set = new Set<PromiseLike<T>>();
  let index = 0;
  for (const aw of aws) {
    if (!isAwaitable(aw)) {
      throw new TypeError(
        `asCompleted(aws): item ${index} is not awaitable (a Promise, a Future or another thenable); got ${describe(aw)}`,
      );
    }
    set.add(aw);
    index++;
  }
  return set;
}

class CompletionQueue<T> implements AsCompletedIterator<T> {
  readonly #total: number;
  readonly #arrived: Outcome<T>[] = [];
  readonly #waiting: Waiting<T>[] = [];
  #unsettled: number;
  #handedOut = 0;
  #timedOut: TimeoutError | null = null;
  #deadline: Deadline | null = null;
  #closed = false;

  constructor(inputs: Set<PromiseLike<T>>, seconds: number | null) {
    this.#total = inputs.size;
    this.#unsettled = inputs.size;
    for (const input of inputs) {
      Promise.resolve(input).then(
        (value) => this.#arrive({ ok: true, value }),
        (error: unknown) => this.#arrive({ ok: false, error }),
      );
    }
    if (seconds !== null && this.#unsettled > 0) this.#deadline = after(seconds, () => this.#expire());
  }

  /** A Promise of the next result to complete, or null when every one was handed out. */
  take(): Promise<T> | null {
    if (this.#closed || this.#handedOut === this.#total) return null;
    this.#handedOut++;
    const outcome = this.#arrived.shift();
    if (outcome !== undefined) return outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
    if (this.#timedOut !== null) return Promise.reject(this.#timedOut);
    return new Promise<T>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** No more takes. Promises already handed out still settle. */
  close(): void {
    this.#closed = true;
    if (this.#waiting.length === 0) this.#deadline?.cancel();
  }

  [Symbol.iterator](): IterableIterator<Promise<T>> {
    const iterator: IterableIterator<Promise<T>> = {
      next: () => {
        const next = this.take();
        return next === null ? { value: undefined, done: true } : { value: next, done: false };
      },
      return: () => {
        this.close();
        return { value: undefined, done: true };
      },
      [Symbol.iterator]: () => iterator,
    };
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        const next = this.take();
        if (next === null) return done;
        try {
          return { value: await next, done: false };
        } catch (error) {
          this.close();
          throw error;
        }
      },
      return: async () => {
        this.close();
        return done;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #arrive(outcome: Outcome<T>): void {
    if (this.#timedOut !== null) return;
    this.#unsettled--;
    if (this.#unsettled === 0) this.#deadline?.cancel();
    const waiter = this.#waiting.shift();
    if (waiter === undefined) {
      this.#arrived.push(outcome);
    } else if (outcome.ok) {
      waiter.resolve(outcome.value);
    } else {
      waiter.reject(outcome.error);
    }
    if (this.#closed && this.#waiting.length === 0) this.#deadline?.cancel();
  }

  #expire(): void {
    this.#timedOut = new TimeoutError(`${this.#unsettled} (of ${this.#total}) awaitables unfinished`);
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#timedOut);
  }
}
