/**
 * `wait` and `asCompleted`, as in CPython: a future passed twice counts once,
 * and a cancelled future counts as done once its executor has noticed
 * (CANCELLED_AND_NOTIFIED).
 */
import { TimeoutError } from "./errors.js";
import { Fifo } from "./fifo.js";
import { Future, kAddWaiter, kRaised, kRemoveWaiter, type Waiter } from "./future.js";
import { after, checkTimeout, describe, remainingSeconds, type Deadline } from "./timeouts.js";

/** Return when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** Return when any future finishes by raising; if none raises, like ALL_COMPLETED. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** Return when all futures finish or are cancelled. */
export const ALL_COMPLETED = "ALL_COMPLETED";

export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;
const RETURN_WHEN: readonly string[] = [FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED];

export interface WaitOptions {
  /** Seconds to wait at most; `null`/`undefined` waits without limit. */
  timeout?: number | null;
  /** When to return; `ALL_COMPLETED` by default. */
  returnWhen?: ReturnWhen;
}

/** What `wait` resolves with: CPython's `DoneAndNotDoneFutures`, as two Sets. */
export interface DoneAndNotDoneFutures<F extends Future<any> = Future<unknown>> {
  done: Set<F>;
  notDone: Set<F>;
}

/**
 * A future yielded by `asCompleted`: the `Future` itself, typed without its
 * `then` so that `for await (const future of asCompleted(fs))` keeps it a
 * Future in TypeScript (which otherwise unwraps thenables in `for await`).
 * Read it with `future.result()` or `future.exception()`.
 */
export type CompletedFuture<F extends Future<any>> = F & { readonly then: never };

export interface AsCompletedOptions {
  /** Seconds, counted from the call, for the whole iteration; `null`/`undefined` is no limit. */
  timeout?: number | null;
}

/** Finished, or cancelled and noticed: what CPython's wait counts as done. */
function isComplete(future: Future<unknown>): boolean {
  const state = future.state;
  return state === "FINISHED" || state === "CANCELLED_AND_NOTIFIED";
}

function raised(future: Future<unknown>): boolean {
  return future[kRaised]();
}

function collect<F extends Future<any>>(fs: Iterable<F>, caller: string): Set<F> {
  if (fs === null || fs === undefined || typeof (fs as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${caller}(fs): fs must be an iterable of Futures; got ${describe(fs)}`);
  }
  const set = new Set<F>();
  let index = 0;
  for (const future of fs) {
    if (!(future instanceof Future)) {
      throw new TypeError(`${caller}(fs): item ${index} is not a Future; got ${describe(future)}`);
    }
    set.add(future);
    index++;
  }
  return set;
}

function checkOptions(caller: string, options: object | undefined, keys: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== "object") {
    throw new TypeError(`${caller}: options must be an object with keys ${keys.join(", ")}; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${caller}: unknown option "${key}"; accepted options are ${keys.join(", ")}`);
    }
  }
}

/**
 * Wait for the futures to complete.
 *
 * @param fs the futures (duplicates count once).
 * @param options.timeout seconds to wait at most; on timeout `wait` resolves
 *   with what is done so far (it does not reject), as in Python.
 * @param options.returnWhen `FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED` (default).
 * @returns `{ done, notDone }`, two Sets.
 * @throws TypeError/RangeError (synchronously) for a non-iterable `fs`, a
 *   non-Future item, an invalid `timeout` or `returnWhen`.
 */
export function wait<F extends Future<any>>(
  fs: Iterable<F>,
  options?: WaitOptions,
): Promise<DoneAndNotDoneFutures<F>> {
  checkOptions("wait()", options, ["timeout", "returnWhen"]);
  const seconds = checkTimeout("wait(timeout)", options?.timeout);
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  if (!RETURN_WHEN.includes(returnWhen)) {
    throw new RangeError(`wait(returnWhen): must be one of ${RETURN_WHEN.join(", ")}; got ${describe(returnWhen)}`);
  }
  const all = collect(fs, "wait");
  const result = (): DoneAndNotDoneFutures<F> => {
    const done = new Set<F>();
    const notDone = new Set<F>();
    for (const f of all) (isComplete(f as Future<unknown>) ? done : notDone).add(f);
    return { done, notDone };
  };

  // One scan here; after it, each completion updates these counts in O(1)
  // (a scan per completion made wait() quadratic in the number of futures).
  const unfinished: F[] = [];
  let anyRaised = false;
  for (const f of all) {
    if (!isComplete(f as Future<unknown>)) unfinished.push(f);
    else if (raised(f as Future<unknown>)) anyRaised = true;
  }
  let remaining = unfinished.length;
  const satisfied = (): boolean =>
    remaining === 0
    || (returnWhen === FIRST_COMPLETED && remaining < all.size)
    || (returnWhen === FIRST_EXCEPTION && anyRaised);

  if (satisfied() || seconds === 0) return Promise.resolve(result());

  return new Promise((resolve) => {
    let deadline: Deadline | null = null;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      deadline?.cancel();
      for (const f of unfinished) f[kRemoveWaiter](waiter);
      resolve(result());
    };
    const waiter: Waiter = {
      // Called once per watched future, when it becomes FINISHED or
      // CANCELLED_AND_NOTIFIED (both final).
      notify(future) {
        remaining--;
        if (raised(future)) anyRaised = true;
        if (satisfied()) finish();
      },
    };
    for (const f of unfinished) f[kAddWaiter](waiter);
    if (seconds !== null) deadline = after(seconds, finish);
  });
}

/**
 * Iterate over the futures as they complete (finished, or cancelled and
 * noticed by their executor). Futures already complete come first. Yields the
 * Future objects themselves.
 *
 * @param options.timeout seconds, counted from this call; when they run out
 *   the iteration throws `TimeoutError("N (of M) futures unfinished")`.
 * @throws TypeError/RangeError (synchronously) for bad arguments.
 */
export function asCompleted<F extends Future<any>>(
  fs: Iterable<F>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<CompletedFuture<F>> {
  checkOptions("asCompleted()", options, ["timeout"]);
  const seconds = checkTimeout("asCompleted(timeout)", options?.timeout);
  const dueMs = seconds === null ? null : performance.now() + seconds * 1000;
  const all = collect(fs, "asCompleted");
  const total = all.size;
  const pending = new Set<F>();
  const ready = new Fifo<F>();
  for (const f of all) {
    if (isComplete(f as Future<unknown>)) ready.push(f);
    else pending.add(f);
  }

  let wake: (() => void) | null = null;
  let closed = false;
  const waiter: Waiter = {
    notify(future) {
      const f = future as F;
      if (!pending.delete(f)) return;
      ready.push(f);
      wake?.();
    },
  };
  for (const f of pending) f[kAddWaiter](waiter);

  const close = (): void => {
    closed = true;
    for (const f of pending) f[kRemoveWaiter](waiter);
    pending.clear();
    ready.clear();
    // A next() still waiting when return() is called ends now instead of hanging.
    wake?.();
  };

  const nextReady = async (): Promise<IteratorResult<CompletedFuture<F>>> => {
    while (!closed) {
      const head = ready.shift();
      if (head !== undefined) return { value: head as CompletedFuture<F>, done: false };
      if (pending.size === 0) break;
      await new Promise<void>((resolve, reject) => {
        let deadline: Deadline | null = null;
        wake = () => {
          wake = null;
          deadline?.cancel();
          resolve();
        };
        if (dueMs !== null) {
          deadline = after(remainingSeconds(dueMs), () => {
            wake = null;
            const unfinished = pending.size;
            close();
            reject(new TimeoutError(`${unfinished} (of ${total}) futures unfinished`));
          });
        }
      });
    }
    close();
    return { value: undefined, done: true };
  };

  let tail: Promise<unknown> = Promise.resolve();
  const iterator: AsyncIterableIterator<CompletedFuture<F>> = {
    next() {
      // Serialise concurrent next() calls, as an async generator would.
      const step = tail.then(nextReady, nextReady);
      tail = step.catch(() => undefined);
      return step;
    },
    return() {
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
