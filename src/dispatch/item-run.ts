/**
 * One `map`/`mapWithIds` call of a dispatcher: the items it submits, their
 * futures while they are out, and how it ends — fail-fast (the first failure
 * cancels what is pending and rejects with its index) or settle-all (every
 * item answered with its value or its error).
 */
import type { Executor } from "../futures/executor.js";
import { CancelledError } from "../futures/errors.js";
import { type Future, kOutcome } from "../futures/future.js";

/**
 * The error `UnifiedDispatcher.map` and `parallelMap` reject with: item
 * `index` (its position in the input) failed with `cause`, the call's own
 * error. Items still pending were cancelled.
 */
export class DispatchError extends Error {
  /** The failing item's position in the input. */
  readonly index: number;

  constructor(index: number, cause: unknown, operation = "map(fn, items)") {
    super(`${operation}: item ${index} failed: ${summary(cause)}`, { cause });
    this.index = index;
  }
}
Object.defineProperty(DispatchError.prototype, "name", {
  value: "DispatchError",
  writable: true,
  enumerable: false,
  configurable: true,
});

function summary(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export class ItemRun {
  /** Settles with every item's outcome in input order; fail-fast runs reject with a `DispatchError`. */
  readonly done: Promise<PromiseSettledResult<unknown>[]>;
  readonly #fn: (payload: unknown) => unknown;
  readonly #payloads: readonly unknown[];
  readonly #failFast: boolean;
  readonly #operation: string;
  readonly #outcomes: PromiseSettledResult<unknown>[];
  readonly #live = new Set<Future<unknown>>();
  readonly #sent: boolean[];
  #remaining: number;
  #stopped = false;
  #failed = false;
  #resolve!: (outcomes: PromiseSettledResult<unknown>[]) => void;
  #reject!: (error: unknown) => void;

  constructor(fn: (payload: unknown) => unknown, payloads: readonly unknown[], failFast: boolean, operation: string) {
    this.#fn = fn;
    this.#payloads = payloads;
    this.#failFast = failFast;
    this.#operation = operation;
    this.#outcomes = new Array(payloads.length);
    this.#remaining = payloads.length;
    this.#sent = new Array<boolean>(payloads.length).fill(false);
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (payloads.length === 0) this.#finish();
  }

  /** Items in the call. */
  get size(): number {
    return this.#payloads.length;
  }

  /** True once the call has ended (all answered, or failed fast): nothing more is submitted. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** True once a fail-fast call has failed. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Submit item `index` to `executor`. When the executor refuses it with a
   * `TypeError` (it cannot cross to a worker) and a `fallback` is given, the
   * item goes there instead. `onAnswered` runs once the item is answered (or
   * skipped, the call having ended), synchronously after its outcome is
   * recorded — before anyone awaiting {@link done} resumes.
   */
  submit(index: number, executor: Executor, fallback: Executor | null = null, onAnswered: (() => void) | null = null): void {
    if (this.#stopped) {
      onAnswered?.();
      return;
    }
    this.#sent[index] = true;
    let future: Future<unknown>;
    try {
      future = executor.submit(this.#fn, this.#payloads[index]);
    } catch (error) {
      if (fallback !== null && error instanceof TypeError) {
        this.submit(index, fallback, null, onAnswered);
        return;
      }
      this.#answer(index, { status: "rejected", reason: error });
      onAnswered?.();
      return;
    }
    this.#live.add(future);
    // A done callback runs the moment the item settles, so a failure cancels
    // the pending items before their executor can start the next one.
    future.addDoneCallback(() => {
      this.#live.delete(future);
      const outcome = outcomeOf(future);
      if (outcome !== null) {
        this.#answer(index, outcome);
        onAnswered?.();
        return;
      }
      // A Future from another copy of unirun: read it the public way.
      future.result().then(
        (value) => this.#answer(index, { status: "fulfilled", value }),
        (reason: unknown) => this.#answer(index, { status: "rejected", reason }),
      ).then(() => onAnswered?.());
    });
  }

  /** End the call: cancel every item still pending; running ones finish unobserved. */
  stop(): void {
    this.#stopped = true;
    const live = [...this.#live];
    this.#live.clear();
    for (const future of live) future.cancel();
  }

  /** Answer every item not yet submitted with `error` (its executor could not be had). */
  abort(error: unknown): void {
    for (let index = 0; index < this.#sent.length && !this.#stopped; index++) {
      if (!this.#sent[index]) {
        this.#sent[index] = true;
        this.#answer(index, { status: "rejected", reason: error });
      }
    }
  }

  #answer(index: number, outcome: PromiseSettledResult<unknown>): void {
    if (this.#stopped) return;
    if (outcome.status === "rejected" && this.#failFast) {
      this.#failed = true;
      this.stop();
      this.#reject(new DispatchError(index, outcome.reason, this.#operation));
      return;
    }
    this.#outcomes[index] = outcome;
    if (--this.#remaining === 0) this.#finish();
  }

  #finish(): void {
    this.#stopped = true;
    this.#resolve(this.#outcomes);
  }
}

/** A settled future's outcome read synchronously, or `null` for a foreign Future. */
function outcomeOf(future: Future<unknown>): PromiseSettledResult<unknown> | null {
  if (future.cancelled()) return { status: "rejected", reason: new CancelledError("the future was cancelled") };
  const read = (future as Partial<Pick<Future<unknown>, typeof kOutcome>>)[kOutcome];
  const outcome = typeof read === "function" ? read.call(future) : null;
  if (outcome === null) return null;
  return outcome.failed ? { status: "rejected", reason: outcome.value } : { status: "fulfilled", value: outcome.value };
}
