/**
 * Chunk-level `map` (SPEC §2 batching): an executor that can carry many calls
 * in one message hands `map` a {@link MapChunker}; the calls pulled from the
 * source then wait in a {@link ChunkFeed} and go out a chunk at a time, and
 * their results come back per chunk, with no `Future` per call.
 */
import { Fifo } from "./fifo.js";
import { CancelledError } from "./errors.js";
import { Future, kOutcome } from "./future.js";

/** One message's worth of `map` calls: one `Future` for all of them. */
export interface MapChunk {
  /** Succeeds once every call has an outcome; fails when the chunk as a whole did (its calls fail with it). */
  readonly done: Future<unknown>;
  /** Whether call `i` failed, once `done`. */
  failed(i: number): boolean;
  /** Call `i`'s result (or error), once `done`: a final value, never a thenable to adopt. */
  value(i: number): unknown;
  /** Cancel the calls that have not started. */
  cancel(): void;
}

/** How an executor takes `map` calls a chunk at a time (see `Executor.mapChunker`). */
export interface MapChunker {
  /** Chunks sent and not yet done, at most. */
  readonly window: number;
  /**
   * Refuse a call's arguments as `submit` would: `call` is its argument tuple,
   * or with `oneArg` (a one-input map) its only argument. @throws TypeError
   */
  check(call: unknown, oneArg: boolean): void;
  /** How many calls the next chunk should carry, `remaining` being those not sent yet. */
  nextSize(remaining: number): number;
  /**
   * Send calls as one chunk: `args` holds each call's argument tuple, or with
   * `oneArg` (a one-input map) each call's only argument.
   * @throws as `submit` does (shut down, broken).
   */
  submit(args: unknown[], oneArg: boolean): MapChunk;
  /**
   * Told whenever the feed starts or stops holding calls it has pulled and
   * not sent. Python's `map` submits every call at once, so a graceful
   * `shutdown()` lets such a map send the rest, and `cancelFutures` cancels
   * them — through `cancel`, which fails the calls not sent (and cancels the
   * chunks not started) with a CancelledError at their index.
   */
  holding?(unsent: boolean, cancel: () => void): void;
}

/**
 * Chunk-level submission: the calls pulled from the source wait here and go
 * out a chunk at a time (at most `window` chunks in flight); their results are
 * handed out in order straight from the chunks, with no `Future` per call.
 */
export class ChunkFeed {
  readonly #chunker: MapChunker;
  readonly #onChunkDone: () => void;
  /** Calls pulled and not sent: their argument tuples, or (one input) just the argument. */
  #unsent: unknown[] = [];
  readonly #single: boolean;
  #unsentHead = 0;
  readonly #sent = new Fifo<{ chunk: MapChunk; size: number }>();
  /** Results of the head chunk already handed out. */
  #pos = 0;
  #inFlight = 0;
  #stopped = false;
  /** Whether the chunker was told that calls wait here unsent. */
  #holding = false;
  readonly #cancelUnsent = (): void => {
    const sent = this.#sent.items();
    // The unsent calls first: a cancelled chunk's callback must find nothing left to send.
    this.#failRest(new CancelledError());
    for (const { chunk } of sent) chunk.cancel();
  };
  /** Pulled and not yet handed out. */
  size = 0;
  readonly #outcome = { failed: false, value: undefined as unknown };
  readonly #chunkDone = (): void => {
    this.#inFlight--;
    if (this.#stopped) return;
    this.fillOrFail();
    this.#onChunkDone();
  };

  constructor(chunker: MapChunker, inputs: number, onChunkDone: () => void) {
    this.#chunker = chunker;
    this.#single = inputs === 1;
    this.#onChunkDone = onChunkDone;
  }

  /**
   * A call pulled from the source: its argument tuple, or for a one-input map
   * its only argument (kept and sent alone: a million waiting one-element
   * arrays would be old-generation garbage).
   */
  push(call: unknown): void {
    this.#chunker.check(call, this.#single);
    this.#unsent.push(call);
    this.size++;
    this.#hold(true);
  }

  #hold(unsent: boolean): void {
    if (this.#holding === unsent) return;
    this.#holding = unsent;
    this.#chunker.holding?.(unsent, this.#cancelUnsent);
  }

  /** A one-input map's whole input at once (an array, read now). @throws as `check` does. */
  pushAll(values: readonly unknown[]): void {
    const copy = values.slice();
    for (const value of copy) this.#chunker.check(value, true);
    if (this.#unsent.length === 0) this.#unsent = copy;
    else for (const value of copy) this.#unsent.push(value);
    this.size += copy.length;
    if (copy.length > 0) this.#hold(true);
  }

  /** Send chunks while fewer than `window` are in flight. @throws what the chunker's submit throws. */
  fill(): void {
    while (!this.#stopped && this.#inFlight < this.#chunker.window && this.#unsentHead < this.#unsent.length) {
      const remaining = this.#unsent.length - this.#unsentHead;
      const n = Math.min(remaining, this.#chunker.nextSize(remaining));
      const chunk = this.#chunker.submit(this.#unsent.slice(this.#unsentHead, this.#unsentHead + n), this.#single);
      this.#advance(n);
      this.#inFlight++;
      this.#sent.push({ chunk, size: n });
      chunk.done.addDoneCallback(this.#chunkDone);
    }
  }

  /** `fill`, where a send that fails fails the calls not sent (at their index) instead of throwing. */
  fillOrFail(): void {
    try {
      this.fill();
    } catch (error) {
      this.#failRest(error);
    }
  }

  /** A send failed after map() returned: the calls not sent fail with its error, at their index. */
  #failRest(error: unknown): void {
    const n = this.#unsent.length - this.#unsentHead;
    if (n === 0) return;
    const done = new Future<unknown>();
    done.setException(error);
    this.#advance(n);
    this.#sent.push({ chunk: { done, failed: () => true, value: () => error, cancel: () => undefined }, size: n });
  }

  #advance(n: number): void {
    this.#unsentHead += n;
    if (this.#unsentHead === this.#unsent.length) {
      this.#unsent = [];
      this.#unsentHead = 0;
      this.#hold(false);
    }
  }

  /** The chunk holding the next result (there is one when `size > 0`). */
  head(): Future<unknown> {
    return (this.#sent.peek() as { chunk: MapChunk }).chunk.done;
  }

  /** The next result's outcome when its chunk is done, else null (the object is reused). */
  peek(): { failed: boolean; value: unknown } | null {
    const head = this.#sent.peek();
    if (head === undefined) return null;
    const whole = outcomeOf(head.chunk.done);
    if (whole === null) return null;
    if (whole.failed) return whole;
    this.#outcome.failed = head.chunk.failed(this.#pos);
    this.#outcome.value = head.chunk.value(this.#pos);
    return this.#outcome;
  }

  /**
   * Hand out, into `out`, every result that is ready in order, up to the
   * first failure or unfinished chunk; returns how many.
   */
  drainInto(out: unknown[]): number {
    let n = 0;
    for (let head = this.#sent.peek(); head !== undefined; head = this.#sent.peek()) {
      const whole = outcomeOf(head.chunk.done);
      if (whole === null || whole.failed) break;
      let i = this.#pos;
      while (i < head.size && !head.chunk.failed(i)) out.push(head.chunk.value(i++));
      n += i - this.#pos;
      if (i < head.size) {
        this.#pos = i;
        break;
      }
      this.#sent.shift();
      this.#pos = 0;
    }
    this.size -= n;
    return n;
  }

  take(): void {
    this.size--;
    if (++this.#pos < (this.#sent.peek() as { size: number }).size) return;
    this.#sent.shift();
    this.#pos = 0;
  }

  /** Cancel every call not started, and send nothing more. */
  cancelAll(): void {
    this.#stopped = true;
    for (const { chunk } of this.#sent.takeAll()) chunk.cancel();
    this.#unsent = [];
    this.#unsentHead = 0;
    this.size = 0;
    this.#hold(false);
  }
}

/** A chunk's outcome as a whole once it is done (a chunk cancelled before it started failed with CancelledError), else null. */
function outcomeOf(done: Future<unknown>): { failed: boolean; value: unknown } | null {
  return done[kOutcome]() ?? (done.cancelled() ? { failed: true, value: new CancelledError() } : null);
}
