/**
 * `Semaphore` and `BoundedSemaphore`: asyncio's, FIFO-fair. A released
 * permit goes straight to the longest waiter, so a newcomer never overtakes
 * a queued `acquire()` (asyncio's fairness since Python 3.11).
 */
import { checkFunction, checkOptions, checkSignal, describe } from "./checks.js";

/** Options of {@link Semaphore.acquire}. */
export interface AcquireOptions {
  /**
   * Aborting it while the call waits withdraws it from the queue and rejects
   * it with `signal.reason` (asyncio's cancelled `acquire()`); an already
   * aborted signal rejects at once, even when a permit is free.
   */
  signal?: AbortSignal | null;
}

interface Waiter {
  resolve: (value: true) => void;
  stopListening: () => void;
}

/**
 * A counter of permits: `acquire()` takes one (waiting while there are
 * none), `release()` gives one back.
 */
export class Semaphore {
  #value: number;
  /** Queued acquires, oldest first (a Set keeps insertion order and withdraws in O(1)). */
  readonly #waiters = new Set<Waiter>();

  /**
   * @param value the initial number of permits, a non-negative integer (default 1).
   * @throws TypeError when `value` is not a number; RangeError when it is
   *   negative or not an integer.
   */
  constructor(value = 1) {
    this.#value = checkPermits(new.target.name, value);
  }

  /** True when `acquire()` would wait: no permit is free, or callers are already queued. */
  locked(): boolean {
    return this.#value === 0 || this.#waiters.size > 0;
  }

  /**
   * Take a permit, waiting in FIFO order while none is free.
   *
   * @param options.signal withdraws the call while it waits; see {@link AcquireOptions.signal}.
   * @returns a Promise of `true` (asyncio's return value).
   * @throws TypeError (synchronously) for a bad option.
   */
  acquire(options?: AcquireOptions): Promise<true> {
    const opts = checkOptions<AcquireOptions>("Semaphore.acquire(options)", options, ["signal"]);
    const signal = checkSignal("Semaphore.acquire(options)", opts.signal);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.locked()) {
      this.#value--;
      return Promise.resolve(true);
    }
    return new Promise<true>((resolve, reject) => {
      const waiter: Waiter = { resolve, stopListening: () => undefined };
      if (signal) {
        const withdraw = (): void => {
          this.#waiters.delete(waiter);
          reject(signal.reason);
        };
        signal.addEventListener("abort", withdraw, { once: true });
        waiter.stopListening = () => signal.removeEventListener("abort", withdraw);
      }
      this.#waiters.add(waiter);
    });
  }

  /**
   * Give a permit back; it goes to the longest waiter, if any. As with
   * asyncio's `Semaphore`, releasing more than was acquired raises the count
   * above its initial value; use {@link BoundedSemaphore} to forbid it.
   */
  release(): void {
    for (const waiter of this.#waiters) {
      this.#waiters.delete(waiter);
      waiter.stopListening();
      waiter.resolve(true);
      return;
    }
    this.#value++;
  }

  /**
   * `async with semaphore:` — acquire a permit, run `fn`, and release the
   * permit however `fn` ends.
   *
   * @param fn called once the permit is held; may be async.
   * @param options.signal withdraws the wait for a permit; see {@link AcquireOptions.signal}.
   * @returns what `fn` returns.
   * @throws TypeError (synchronously) when `fn` is not a function, or for a bad option.
   */
  use<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<Awaited<T>> {
    checkFunction("Semaphore.use(fn)", fn);
    const acquired = this.acquire(options);
    return acquired.then(async (): Promise<Awaited<T>> => {
      try {
        return await fn();
      } finally {
        this.release();
      }
    });
  }

  /** Permits free now (asyncio's private `_value`), for diagnostics. */
  get value(): number {
    return this.#value;
  }
}

/**
 * A {@link Semaphore} that refuses to be released above its initial value
 * (asyncio.BoundedSemaphore).
 */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  /** @see Semaphore */
  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /**
   * @throws RangeError when the release would raise the count above the
   *   initial value (asyncio's `ValueError`): each `release()` must match an `acquire()`.
   */
  override release(): void {
    if (this.value >= this.#bound) {
      throw new RangeError(
        `BoundedSemaphore released too many times (its initial value is ${this.#bound}); `
          + "release only a permit you acquired",
      );
    }
    super.release();
  }
}

function checkPermits(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name}(value): must be a non-negative integer number of permits; got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name}(value): must be a non-negative integer number of permits (>= 0); got ${value}`);
  }
  return value;
}
