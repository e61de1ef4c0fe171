/**
 * The future a managed executor hands out. Until the executor forwards the
 * call to the pool that runs it, it is an ordinary pending future; once
 * forwarded, it mirrors the pool's own future: `running()` and `state` follow
 * it, `cancel()` succeeds only if the pool's future could still be cancelled
 * (Python's rule: pending only), and it settles the moment that future does,
 * with the same result, error or cancellation.
 */
import { Future, kOutcome } from "../futures/future.js";

export class LinkedFuture<T = unknown> extends Future<T> {
  #inner: Future<T> | null = null;

  /** The pool's future, once forwarded. */
  get inner(): Future<T> | null {
    return this.#inner;
  }

  override get state(): Future<T>["state"] {
    const own = super.state;
    if (own === "PENDING" && this.#inner?.state === "RUNNING") return "RUNNING";
    return own;
  }

  override running(): boolean {
    return this.state === "RUNNING";
  }

  override cancel(): boolean {
    const inner = this.#inner;
    // Forwarded: the pool decides. Its cancellation settles this future
    // through `relay` (a done callback, run synchronously).
    if (inner !== null && !this.done()) return inner.cancel();
    return super.cancel();
  }

  /**
   * Follow `inner` from now on. `onSettled` runs once `inner` is done, after
   * this future has taken over its outcome.
   */
  link(inner: Future<T>, onSettled: (future: LinkedFuture<T>) => void): void {
    this.#inner = inner;
    inner.addDoneCallback(() => {
      this.relay(inner);
      onSettled(this);
    });
  }

  /** Take over `inner`'s outcome (it is done). */
  private relay(inner: Future<T>): void {
    if (this.done()) return;
    if (inner.cancelled()) {
      Future.prototype.cancel.call(this);
      this.setRunningOrNotifyCancel();
      return;
    }
    const outcome = inner[kOutcome]();
    if (outcome === null) return;
    this.setRunningOrNotifyCancel();
    if (outcome.failed) this.setException(outcome.value);
    else this.setResult(outcome.value as T);
  }

  /** Fail a future that was never forwarded (a broken pool, a refused call). */
  fail(error: unknown): void {
    if (this.done()) return;
    this.setRunningOrNotifyCancel();
    this.setException(error);
  }
}
