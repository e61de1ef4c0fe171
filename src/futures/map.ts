/**
 * The iterator behind `Executor.map`: results in input order, the first
 * failure raised at its index, pending work cancelled when the consumer stops
 * early, and `buffersize` bounding how far submission runs ahead (Python 3.14).
 */
import { TimeoutError } from "./errors.js";
import { Fifo } from "./fifo.js";
import { ChunkFeed, type MapChunker } from "./map-chunks.js";
import { closeQuietly, values, zip, type Tuples } from "./zip.js";
import { Future, kOutcome } from "./future.js";
import { after, remainingSeconds, type Deadline } from "./timeouts.js";

/** The async iterator `map` returns; `toArray()` collects it (Node 20 has no `Array.fromAsync`). */
export interface MapResults<R> extends AsyncIterableIterator<R> {
  /** Stop early: cancel what has not started and close the inputs. */
  return(): Promise<IteratorResult<R>>;
  /** Collect every result, in input order. */
  toArray(): Promise<R[]>;
}

/** One argument tuple per call, zipped from the input iterables. */


export interface MapPlan<R> {
  submit: (args: unknown[]) => Future<R>;
  /** When given, calls go a chunk at a time through it, and `submit` is not used. */
  chunker?: MapChunker | null;
  iterables: readonly (Iterable<unknown> | AsyncIterable<unknown>)[];
  timeout: number | null;
  buffersize: number | null;
  signal: AbortSignal | null;
}

export type { MapChunk, MapChunker } from "./map-chunks.js";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class MapIterator<R> implements MapResults<R> {
  readonly #submit: (args: unknown[]) => Future<R>;
  readonly #tuples: Tuples;
  readonly #buffersize: number | null;
  readonly #timeout: number | null;
  readonly #dueMs: number | null;
  readonly #signal: AbortSignal | null;
  #futures: Fifo<Future<R>> | ChunkFeed = new Fifo<Future<R>>();
  #index = 0;
  #sourceDone = false;
  #sourceError: { error: unknown } | null = null;
  #closed = false;
  /** Closed (exhausted, failed, timed out or left) before any abort: stays finished. */
  #closedBeforeAbort = false;
  #wakeConsumer: (() => void) | null = null;
  #wakePump: (() => void) | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  /** next() calls whose step has not settled yet. */
  #inFlight = 0;
  readonly #stepSettled = (): void => {
    this.#inFlight--;
  };
  #onAbort: (() => void) | null = null;

  constructor(plan: MapPlan<R>) {
    this.#submit = plan.submit;
    this.#buffersize = plan.buffersize;
    this.#timeout = plan.timeout;
    this.#dueMs = plan.timeout === null ? null : performance.now() + plan.timeout * 1000;
    this.#signal = plan.signal;
    const chunker = plan.chunker ?? null;
    // Chunks of a one-input map take the values themselves, with no tuple each.
    const oneArg = chunker !== null && plan.iterables.length === 1;
    this.#tuples = oneArg ? values(plan.iterables[0]!) : zip(plan.iterables);
    if (chunker) this.#futures = new ChunkFeed(chunker, plan.iterables.length, () => this.#wakeConsumer?.());
    if (this.#signal?.aborted) {
      this.#close();
      return;
    }
    if (this.#signal) {
      this.#onAbort = () => this.#close();
      this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (this.#tuples.sync) {
      // Python submits eagerly; with buffersize, only the first `buffersize`.
      const limit = this.#buffersize ?? Infinity;
      try {
        if (oneArg && limit === Infinity && isPlainArray(plan.iterables[0])) {
          // The whole array at once: what its iterator would yield, read now.
          (this.#futures as ChunkFeed).pushAll(plan.iterables[0]);
          this.#sourceDone = true;
        }
        while (!this.#sourceDone && this.#futures.size < limit && this.#pullSync()) {
          /* pulled and submitted */
        }
        this.#fill();
      } catch (error) {
        this.#close();
        throw error;
      }
    } else {
      void this.#pump();
    }
  }

  next(): Promise<IteratorResult<R>> {
    if (this.#inFlight === 0) {
      // The common path: no earlier next() pending and the result settled, so
      // no promise chain is needed to keep the steps in order.
      try {
        const now = this.#stepNow();
        if (now !== null) return Promise.resolve(now);
      } catch (error) {
        return Promise.reject(error);
      }
      // #stepNow did the step's bookkeeping; #step() only waits.
      return this.#queue(() => this.#step());
    }
    return this.#queue(() => {
      const now = this.#stepNow();
      return now !== null ? now : this.#step();
    });
  }

  /** Serialise concurrent next() calls, as an async generator would. */
  #queue(run: () => IteratorResult<R> | Promise<IteratorResult<R>>): Promise<IteratorResult<R>> {
    this.#inFlight++;
    const step = this.#tail.then(run, run);
    this.#tail = step.then(this.#stepSettled, this.#stepSettled);
    return step;
  }

  return(): Promise<IteratorResult<R>> {
    this.#close();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<R>> {
    this.#close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Collect every result, in input order. */
  async toArray(): Promise<R[]> {
    const out: R[] = [];
    // Finished chunks are copied out whole (without buffersize, taking a result has no other effect).
    const feed = this.#futures instanceof ChunkFeed && this.#buffersize === null ? this.#futures : null;
    for (;;) {
      if (feed !== null && this.#inFlight === 0 && !this.#closed && !this.#signal?.aborted) {
        this.#index += feed.drainInto(out);
      }
      // Settled results are collected without a promise each; the rest wait.
      const step = this.#inFlight === 0
        ? (this.#stepNow() ?? (await this.#queue(() => this.#step())))
        : await this.next();
      if (step.done) return out;
      out.push(step.value);
    }
  }

  /**
   * The part of a step that needs no waiting: the step's result when it is
   * known now (the next result already settled, or the end), else `null` once
   * the bookkeeping is done and `#step` must wait. Throws what the step raises.
   */
  #stepNow(): IteratorResult<R> | null {
    this.#checkAborted();
    if (this.#closed) return DONE;
    if (this.#tuples.sync && this.#buffersize !== null && !this.#sourceDone) {
      this.#refillSync();
    }
    if (this.#futures.size === 0) return this.#sourceDone ? this.#end() : null;
    const outcome = this.#futures instanceof ChunkFeed
      ? this.#futures.peek()
      : (this.#futures.peek() as Future<R>)[kOutcome]();
    // A thenable result would be adopted by result(); leave it to that path.
    if (outcome === null || (!outcome.failed && isThenable(outcome.value))) return null;
    if (this.#futures instanceof ChunkFeed) {
      this.#futures.take();
      this.#wakePump?.();
    } else {
      this.#take();
    }
    this.#index++;
    if (!outcome.failed) return { value: outcome.value as R, done: false };
    this.#close();
    this.#checkAborted();
    throw outcome.value;
  }

  /** The source is exhausted (or failed) and every result delivered. */
  #end(): IteratorResult<R> {
    const failure = this.#sourceError;
    this.#close();
    this.#checkAborted();
    if (failure) throw failure.error;
    return DONE;
  }

  /** The rest of a step after `#stepNow` returned `null`: wait for the next result. */
  async #step(): Promise<IteratorResult<R>> {
    // An abort or return() may have come in since #stepNow.
    this.#checkAborted();
    if (this.#closed) return DONE;
    while (this.#futures.size === 0) {
      if (this.#sourceDone || this.#closed) return this.#end();
      await this.#waitForPump();
      this.#checkAborted();
    }
    if (this.#futures instanceof ChunkFeed) return this.#stepChunk(this.#futures);
    const future = this.#take();
    const index = this.#index++;
    try {
      const seconds = this.#dueMs === null ? null : remainingSeconds(this.#dueMs);
      const value = await future.result(seconds);
      return { value, done: false };
    } catch (error) {
      // Only a wait that ran out leaves the future unfinished; a TimeoutError
      // thrown by the callable itself is delivered as it was thrown.
      const timedOut = !future.done();
      future.cancel();
      this.#close();
      this.#checkAborted();
      if (timedOut && error instanceof TimeoutError) {
        throw new TimeoutError(`map() timed out after ${this.#timeout} seconds: result ${index} is not done`);
      }
      throw error;
    }
  }

  /** `#step` for chunks: wait for the chunk of the next result. */
  async #stepChunk(feed: ChunkFeed): Promise<IteratorResult<R>> {
    for (;;) {
      const outcome = feed.peek();
      if (outcome !== null) {
        feed.take();
        this.#index++;
        this.#wakePump?.();
        if (!outcome.failed) return { value: outcome.value as R, done: false };
        this.#close();
        this.#checkAborted();
        throw outcome.value;
      }
      const chunk = feed.head();
      try {
        await chunk.result(this.#dueMs === null ? null : remainingSeconds(this.#dueMs));
      } catch (error) {
        if (!chunk.done() && error instanceof TimeoutError) {
          this.#close();
          this.#checkAborted();
          throw new TimeoutError(`map() timed out after ${this.#timeout} seconds: result ${this.#index} is not done`);
        }
        // A chunk that failed as a whole: peek() reports it at this index.
      }
      this.#checkAborted();
      if (this.#closed) return DONE;
    }
  }

  /** Send what chunk-level submission has pulled (no-op on the per-call path). */
  #fill(): void {
    if (this.#futures instanceof ChunkFeed) this.#futures.fill();
  }

  #take(): Future<R> {
    const future = (this.#futures as Fifo<Future<R>>).shift() as Future<R>;
    this.#wakePump?.();
    return future;
  }

  /** Pull one tuple from a synchronous source and submit it; false when exhausted. */
  #pullSync(): boolean {
    const step = (this.#tuples.iterator as Iterator<unknown>).next();
    if (step.done) {
      this.#sourceDone = true;
      return false;
    }
    if (this.#futures instanceof ChunkFeed) this.#futures.push(step.value);
    else this.#futures.push(this.#submit(step.value as unknown[]));
    return true;
  }

  /** With buffersize, submit one more before taking a result (Python's order). */
  #refillSync(): void {
    try {
      if (this.#pullSync() && this.#futures instanceof ChunkFeed) this.#futures.fillOrFail();
    } catch (error) {
      // Raised once the results before it have been delivered: at its index.
      this.#sourceError = { error };
      this.#sourceDone = true;
    }
  }

  async #pump(): Promise<void> {
    const iterator = this.#tuples.iterator as AsyncIterator<unknown>;
    try {
      while (!this.#closed) {
        if (this.#buffersize !== null && this.#futures.size >= this.#buffersize) {
          await new Promise<void>((resolve) => (this.#wakePump = resolve));
          this.#wakePump = null;
          continue;
        }
        const step = await iterator.next();
        if (this.#closed) break;
        if (step.done) break;
        if (this.#futures instanceof ChunkFeed) {
          this.#futures.push(step.value);
          this.#futures.fillOrFail();
        } else {
          this.#futures.push(this.#submit(step.value as unknown[]));
        }
        this.#wakeConsumer?.();
      }
    } catch (error) {
      if (!this.#closed) this.#sourceError = { error };
    }
    this.#sourceDone = true;
    this.#wakeConsumer?.();
  }

  #waitForPump(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let deadline: Deadline | null = null;
      this.#wakeConsumer = () => {
        this.#wakeConsumer = null;
        deadline?.cancel();
        resolve();
      };
      if (this.#dueMs !== null) {
        deadline = after(remainingSeconds(this.#dueMs), () => {
          this.#wakeConsumer = null;
          this.#close();
          reject(new TimeoutError(`map() timed out after ${this.#timeout} seconds: result ${this.#index} is not done`));
        });
      }
    });
  }

  #checkAborted(): void {
    if (this.#signal?.aborted && !this.#closedBeforeAbort) throw this.#signal.reason;
  }

  /** Stop for good: cancel what has not started, stop reading the source. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedBeforeAbort = !this.#signal?.aborted;
    if (this.#futures instanceof ChunkFeed) this.#futures.cancelAll();
    else for (const future of this.#futures.takeAll()) future.cancel();
    if (this.#onAbort) this.#signal?.removeEventListener("abort", this.#onAbort);
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      closeQuietly(this.#tuples.iterator);
    }
    this.#wakePump?.();
    this.#wakeConsumer?.();
  }
}

const arrayValues = Array.prototype[Symbol.iterator];

/** An array iterated the standard way (its iterator not replaced). */
function isPlainArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && value[Symbol.iterator] === arrayValues;
}

function isThenable(value: unknown): boolean {
  return (typeof value === "object" && value !== null) || typeof value === "function"
    ? typeof (value as { then?: unknown }).then === "function"
    : false;
}
