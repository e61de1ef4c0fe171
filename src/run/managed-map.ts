/**
 * A managed executor's `map` when every call goes to one pool executor (an
 * `interpreters` or `processes` executor, or a pool of its own): a chunk at a
 * time, through the pool's own chunks (no `Future` per call), each chunk one
 * task in the executor's lanes — so the map keeps the executor's limit and
 * its broken-pool handling, at the speed of the native pool's `map`.
 */
import type { Executor, MapOptions } from "../futures/executor.js";
import type { Future } from "../futures/future.js";
import type { MapChunk, MapChunker } from "../futures/map.js";
import type { Backend } from "./decide.js";
import type { Call, Lane } from "./lanes.js";
import { LinkedFuture } from "./linked-future.js";
import { mapChunkerOf } from "./managed-plan.js";

/** What the chunker needs from its managed executor. */
export interface ManagedMapHost {
  /** @throws as a submit would: broken, or shut down — unless `holding` (see `MapChunker.holding`). */
  checkOpen(holding: boolean): void;
  /** See `MapChunker.holding`; false when the executor refuses the hold (it is shut down). */
  hold(chunker: object, unsent: boolean, cancel: () => void): boolean;
  /** Hand a call to the lanes (see `Lanes.admit`). */
  admit(call: Call): Future<unknown>;
}

export class ManagedMapChunker implements MapChunker {
  readonly window: number;
  readonly #host: ManagedMapHost;
  readonly #fn: (...args: any[]) => unknown;
  readonly #options: MapOptions;
  readonly #lane: Lane;
  readonly #leased: Backend | null;
  /** The pool the next chunk goes to: replaced when a shared pool is found broken before first use. */
  #target: Executor;
  /** The pool's own chunker, per pool. */
  readonly #inner = new Map<Executor, MapChunker>();
  #holding = false;

  /** @throws TypeError for a function the pool cannot run (as its own `map` does). */
  constructor(host: ManagedMapHost, fn: (...args: any[]) => unknown, options: MapOptions, target: { executor: Executor; leased: Backend | null }, lane: Lane) {
    this.#host = host;
    this.#fn = fn;
    this.#options = options;
    this.#lane = lane;
    this.#leased = target.leased;
    this.#target = target.executor;
    this.#innerFor(this.#target);
    // Twice the lane: a chunk waits in the lane, ready, while one runs.
    this.window = lane.limit * 2;
  }

  check(call: unknown, oneArg: boolean): void {
    this.#innerFor(this.#target).check(call, oneArg);
  }

  nextSize(remaining: number): number {
    return this.#innerFor(this.#target).nextSize(remaining);
  }

  holding(unsent: boolean, cancel: () => void): void {
    this.#holding = this.#host.hold(this, unsent, cancel);
  }

  submit(args: unknown[], oneArg: boolean): MapChunk {
    this.#host.checkOpen(this.#holding);
    const chunk = new ManagedChunk();
    const send = (to: Executor): Future<unknown> => {
      this.#target = to;
      const inner = this.#innerFor(to).submit(args, oneArg);
      chunk.inner = inner;
      return inner.done;
    };
    this.#host.admit({
      future: chunk.done,
      lane: this.#lane,
      target: this.#target,
      leased: this.#leased,
      send,
      signal: this.#options.signal ?? null,
    });
    return chunk;
  }

  #innerFor(executor: Executor): MapChunker {
    let inner = this.#inner.get(executor);
    if (inner === undefined) {
      inner = mapChunkerOf(executor, this.#fn, this.#options);
      this.#inner.set(executor, inner);
    }
    return inner;
  }
}

/** A chunk as the map sees it: the lane's future, and the pool's chunk once forwarded. */
class ManagedChunk implements MapChunk {
  readonly done = new LinkedFuture<unknown>();
  inner: MapChunk | null = null;

  failed(i: number): boolean {
    return this.inner!.failed(i);
  }

  value(i: number): unknown {
    return this.inner!.value(i);
  }

  cancel(): void {
    this.done.cancel();
  }
}
