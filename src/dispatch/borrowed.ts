/**
 * `BorrowedExecutor`: what `resolveExecutor` hands back for an executor the
 * caller supplied. Work goes straight to that executor; shutting the view
 * down ends the borrow — it stops taking work, waits for (or cancels) the
 * calls made through it — and never shuts the supplied executor down, which
 * stays with its owner.
 */
import {
  type AnyIterable,
  checkShutdownOptions,
  Executor,
  type MapOptions,
  SHUTDOWN_MESSAGE,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import type { Future } from "../futures/future.js";

type MapSubmitter = (args: unknown[]) => Future<unknown>;
type HasMapSubmitter = {
  mapSubmitter(fn: (...args: any[]) => unknown, options: MapOptions, inputs: readonly AnyIterable<unknown>[]): MapSubmitter;
};

/** A view of a caller's executor whose `shutdown` leaves that executor running. */
export class BorrowedExecutor extends Executor {
  /** The supplied executor, used as it is. */
  readonly executor: Executor;
  readonly #live = new Set<Future<unknown>>();
  #shutdown = false;
  #idleWaiters: (() => void)[] = [];
  readonly #forget = (future: Future<unknown>): void => {
    this.#live.delete(future);
    if (this.#live.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  };

  constructor(executor: Executor) {
    super();
    this.executor = executor;
  }

  /** The supplied executor's `maxWorkers`, when it has one. */
  get maxWorkers(): number | undefined {
    const size = (this.executor as { maxWorkers?: unknown }).maxWorkers;
    return typeof size === "number" ? size : undefined;
  }

  override submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    this.#checkOpen();
    return this.#track(this.executor.submitWith(options, fn, ...args));
  }

  override submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    this.#checkOpen();
    return this.#track(this.executor.submit(fn, ...args));
  }

  /**
   * End the borrow: later submits through this view throw; the supplied
   * executor is not shut down.
   *
   * @param options.wait resolve once the calls made through this view are done (default `true`).
   * @param options.cancelFutures cancel those of them that have not started (default `false`).
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(options);
    this.#shutdown = true;
    if (cancelFutures) for (const future of [...this.#live]) future.cancel();
    if (!wait || this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Keep the supplied executor's own `map` strategy (a pool's `chunksize` batching). */
  protected override mapSubmitter(
    fn: (...args: any[]) => unknown,
    options: MapOptions,
    inputs: readonly AnyIterable<unknown>[],
  ): MapSubmitter {
    const inner = (this.executor as unknown as HasMapSubmitter).mapSubmitter(fn, options, inputs);
    return (args) => {
      this.#checkOpen();
      return this.#track(inner(args));
    };
  }

  #checkOpen(): void {
    if (this.#shutdown) throw new Error(SHUTDOWN_MESSAGE);
  }

  #track<T>(future: Future<T>): Future<T> {
    if (!future.done()) {
      this.#live.add(future as Future<unknown>);
      future.addDoneCallback(this.#forget as (future: Future<T>) => void);
    }
    return future;
  }
}
