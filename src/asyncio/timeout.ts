/**
 * `timeout`: asyncio.timeout as a scope around a body that receives an
 * `AbortSignal`. JavaScript cannot inject a cancellation into running code
 * the way asyncio cancels a task, so the scope aborts the body's signal and
 * the body stops at its next signal-aware step (`fetch`, `sleep`, streams,
 * `timers/promises`, ...). Like `async with asyncio.timeout()`, the scope
 * settles only once its body has.
 */
import { InvalidStateError, TimeoutError } from "../futures/errors.js";
import { after, type Deadline } from "../futures/timeouts.js";
import { checkFunction, checkOptions, checkSignal, checkTimeout, isCancellation, onAbort } from "./checks.js";

/** What the body of {@link timeout} receives besides its signal: asyncio's `Timeout` object. */
export interface TimeoutScope {
  /** Aborted (with the scope's `TimeoutError` as reason) when the deadline passes. */
  readonly signal: AbortSignal;
  /** True once the deadline has passed and the signal was aborted. */
  expired(): boolean;
  /**
   * Move the deadline to `seconds` from now (`null`/`undefined`: no limit).
   * asyncio's `reschedule(when)` takes an absolute loop time; unirun takes
   * seconds from now, since Node has no loop clock to share.
   *
   * @throws InvalidStateError once the scope has expired or its body has settled.
   * @throws TypeError/RangeError for an invalid `seconds`.
   */
  reschedule(seconds: number | null | undefined): void;
}

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /**
   * An outer signal (an enclosing scope's, a request's): when it aborts, the
   * deadline is dropped and the body's signal aborts with the same reason;
   * the scope then settles as its body does (a body that rejects with that
   * reason rejects the scope with it, never with a `TimeoutError`).
   */
  signal?: AbortSignal | null;
}

/** The body of a timeout scope. */
export type TimeoutBody<T> = (signal: AbortSignal, scope: TimeoutScope) => T | PromiseLike<T>;

/** @internal How a scope words its TimeoutError (`waitFor` words it as itself). */
export type TimeoutMessage = (seconds: number) => string;

const TIMEOUT_MESSAGE: TimeoutMessage = (seconds) =>
  `timeout(): the body did not finish within ${seconds} seconds; its signal was aborted`;

/**
 * Run `body(signal, scope)` with a deadline (asyncio.timeout). When `seconds`
 * pass before the body settles, the body's signal aborts with a
 * `TimeoutError`, and once the body settles the scope rejects with that
 * `TimeoutError` — whether the body rejected because of the abort or ignored
 * the signal and finished anyway (its result is discarded, since the deadline
 * is the contract). An error of the body's own that is not the abort is
 * rethrown as is, as asyncio does.
 *
 * The body is called synchronously (it runs in the caller's
 * AsyncLocalStorage context); a synchronous throw rejects the promise. A body
 * that ignores its signal delays the scope until it finishes, as a task that
 * swallows `CancelledError` delays `asyncio.timeout`.
 *
 * @param seconds seconds until the deadline; `null`/`undefined` (or
 *   `Infinity`) for no limit (the scope can still be given one with
 *   `scope.reschedule`). `0` aborts on the next macrotask.
 * @param body receives the scope's `AbortSignal` and the scope.
 * @param options.signal an outer signal; see {@link TimeoutOptions.signal}.
 * @returns the body's result.
 * @throws TypeError/RangeError (synchronously) for an invalid `seconds`,
 *   a non-function `body` or a bad option.
 */
export function timeout<T>(
  seconds: number | null | undefined,
  body: TimeoutBody<T>,
  options?: TimeoutOptions,
): Promise<Awaited<T>> {
  const limit = checkTimeout("timeout(seconds)", seconds);
  checkFunction("timeout(body)", body);
  const caller = "timeout(seconds, body, options)";
  const opts = checkOptions<TimeoutOptions>(caller, options, ["signal"]);
  const outer = checkSignal(caller, opts.signal);
  return runWithTimeout(limit, body, outer, TIMEOUT_MESSAGE);
}

/** @internal `timeout` on checked arguments, its TimeoutError worded by `message`. */
export function runWithTimeout<T>(
  limit: number | null,
  body: TimeoutBody<T>,
  outer: AbortSignal | null,
  message: TimeoutMessage,
): Promise<Awaited<T>> {
  const scope = new Scope(outer, limit, message);
  let outcome: Promise<T>;
  try {
    outcome = Promise.resolve(body(scope.signal, scope));
  } catch (error) {
    outcome = Promise.reject(error);
  }
  return outcome.then(
    (value) => scope.settle({ ok: true, value }) as Awaited<T>,
    (error: unknown) => scope.settle({ ok: false, error }) as Awaited<T>,
  );
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

class Scope implements TimeoutScope {
  readonly #controller = new AbortController();
  readonly #message: TimeoutMessage;
  readonly #stopListening: () => void;
  #deadline: Deadline | null = null;
  #expired: TimeoutError | null = null;
  #settled = false;

  constructor(outer: AbortSignal | null, seconds: number | null, message: TimeoutMessage) {
    this.#message = message;
    if (outer?.aborted) {
      this.#controller.abort(outer.reason);
      this.#stopListening = () => undefined;
      return;
    }
    this.#stopListening = onAbort(outer, () => {
      this.#deadline?.cancel();
      this.#controller.abort(outer!.reason);
    });
    this.#arm(seconds);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  expired(): boolean {
    return this.#expired !== null;
  }

  reschedule(seconds: number | null | undefined): void {
    const limit = checkTimeout("scope.reschedule(seconds)", seconds);
    if (this.#settled || this.#expired !== null || this.signal.aborted) {
      const state = this.#expired !== null ? "expired" : this.#settled ? "finished" : "aborted";
      throw new InvalidStateError(`cannot reschedule a timeout scope that has ${state}; open a new timeout() scope`);
    }
    this.#arm(limit);
  }

  /** The body settled: stop the clock and decide what the scope yields. */
  settle(outcome: Outcome): unknown {
    this.#settled = true;
    this.#deadline?.cancel();
    this.#stopListening();
    const expired = this.#expired;
    if (outcome.ok) {
      if (expired !== null) throw expired;
      return outcome.value;
    }
    if (expired !== null && isCancellation(outcome.error, this.signal)) throw expired;
    throw outcome.error;
  }

  #arm(seconds: number | null): void {
    this.#deadline?.cancel();
    this.#deadline = seconds === null ? null : after(seconds, () => this.#expire(seconds));
  }

  #expire(seconds: number): void {
    if (this.#settled || this.signal.aborted) return;
    this.#expired = new TimeoutError(this.#message(seconds));
    this.#controller.abort(this.#expired);
  }
}
