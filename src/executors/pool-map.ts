/**
 * `map` on a pool executor. With `chunksize > 1`, consecutive calls travel
 * `chunksize` to a message, as in Python's ProcessPoolExecutor; without it,
 * chunks adapt to the calls' duration (PoolMapChunker) and carry no `Future`
 * per call.
 */
import { CancelledError } from "../futures/errors.js";
import { Future, kOnCancel, type FutureState } from "../futures/future.js";
import type { MapChunk, MapChunker } from "../futures/map.js";
import type { PoolItem } from "./pool-dispatch.js";
import { checkArguments, type Transport } from "./transport/arguments.js";
import type { CallSpec } from "./transport/types.js";

/** What the chunked submitter needs from its executor. */
export interface ChunkHost {
  readonly transport: Transport;
  /** @throws when the executor takes no more calls (shut down, broken). */
  checkOpen(): void;
  item(call: CallSpec, args: unknown[], caller: string, signal: AbortSignal | null): PoolItem;
  /** Queue a full (or the last) chunk as one message. */
  pushChunk(chunk: PoolItem[]): void;
}

const CALLER = "map(fn, ...iterables)";

/**
 * A submitter for `Executor.map`. Each call's future exists at once; a partly
 * filled chunk is sent on the next microtask, so a chunk never waits for
 * input that is not there.
 */
export function chunkedSubmitter(
  host: ChunkHost,
  call: CallSpec,
  chunksize: number,
  signal: AbortSignal | null,
): (args: unknown[]) => Future<unknown> {
  let open: PoolItem[] = [];
  const flush = (): void => {
    const chunk = open;
    open = [];
    if (chunk.length > 0) host.pushChunk(chunk);
  };
  return (args) => {
    host.checkOpen();
    checkArguments(args, CALLER, host.transport);
    const item = host.item(call, args, CALLER, signal);
    if (open.push(item) === 1) queueMicrotask(flush);
    if (open.length >= chunksize) flush();
    return item.future;
  };
}

// Adaptive chunks (no chunksize given): about this much work per message once
// call durations are known, and never more than MAX_CHUNK calls.
const CHUNK_TARGET_MS = 2;
const MAX_CHUNK = 4096;
// A chunk grows at most this many times over the last one: a short first reply must not gather slow calls.
const MAX_GROWTH = 8;
const NEW_WEIGHT = 0.3;

/**
 * The chunk-level `map` path of a pool executor (no chunksize): one message,
 * no `Future` per call. Chunks start at one call, so slow calls spread over
 * every worker, and grow while calls are short (about 2 ms of work per
 * message, measured from the replies), up to {@link MAX_CHUNK}.
 */
export class PoolMapChunker implements MapChunker {
  readonly window: number;
  readonly #host: ChunkHost;
  readonly #call: CallSpec;
  readonly #signal: AbortSignal | null;
  readonly #workers: number;
  #itemMs = Number.NaN;
  #last = 1;

  constructor(host: ChunkHost, call: CallSpec, workers: number, signal: AbortSignal | null) {
    this.#host = host;
    this.#call = call;
    this.#signal = signal;
    this.#workers = workers;
    // Enough chunks in flight to keep every worker busy while replies come back.
    this.window = workers * 2;
  }

  check(args: unknown[]): void {
    checkArguments(args, CALLER, this.#host.transport);
  }

  nextSize(remaining: number): number {
    let size = 1;
    if (!Number.isNaN(this.#itemMs)) {
      const fits = Math.floor(CHUNK_TARGET_MS / Math.max(this.#itemMs, 1e-6));
      size = Math.max(1, Math.min(MAX_CHUNK, fits, this.#last * MAX_GROWTH));
    }
    // Near the end, spread what is left over the workers rather than fill one message.
    size = Math.max(1, Math.min(size, Math.ceil(remaining / this.#workers)));
    this.#last = size;
    return size;
  }

  submit(tuples: unknown[][]): MapChunk {
    this.#host.checkOpen();
    const chunk = new PoolChunk(tuples.length, this);
    const slots: Slot[] = [];
    for (let i = 0; i < tuples.length; i++) slots.push(new Slot(chunk, i, this.#call, tuples[i]!, this.#signal));
    chunk.slots = slots;
    this.#host.pushChunk(slots as unknown as PoolItem[]);
    return chunk;
  }

  /** A chunk of `calls` calls came back `ms` after it was sent. */
  record(calls: number, ms: number): void {
    const perCall = ms / calls;
    this.#itemMs = Number.isNaN(this.#itemMs) ? perCall : this.#itemMs * (1 - NEW_WEIGHT) + perCall * NEW_WEIGHT;
  }
}

/** One chunk's outcomes, filled in by its slots as the dispatcher settles them. */
class PoolChunk implements MapChunk {
  readonly done = new Future<unknown>();
  slots: Slot[] = [];
  readonly #values: unknown[];
  #failed: Uint8Array | null = null;
  #pending: number;
  #sentAt = -1;
  readonly #sizer: PoolMapChunker;

  constructor(size: number, sizer: PoolMapChunker) {
    this.#values = new Array<unknown>(size);
    this.#pending = size;
    this.#sizer = sizer;
  }

  failed(i: number): boolean {
    return this.#failed !== null && this.#failed[i] === 1;
  }

  value(i: number): unknown {
    return this.#values[i];
  }

  cancel(): void {
    for (const slot of this.slots) slot.cancel();
  }

  started(): void {
    if (this.#sentAt < 0) this.#sentAt = performance.now();
  }

  settle(i: number, value: unknown, failed: boolean, ran: boolean): void {
    this.#values[i] = value;
    if (failed) (this.#failed ??= new Uint8Array(this.#values.length))[i] = 1;
    if (--this.#pending > 0) return;
    this.slots = []; // every call is settled: nothing left to cancel, and the arguments can go
    if (ran && this.#sentAt >= 0) this.#sizer.record(this.#values.length, performance.now() - this.#sentAt);
    if (this.done.state === "PENDING") this.done.setResult(undefined);
  }
}

/**
 * A call of a chunk, which has no `Future`: it is its own PoolItem and its
 * own future, with just what the dispatcher and the executor use of one (its
 * state), and its outcome written into its chunk. One object per call.
 */
class Slot {
  readonly id = -1;
  readonly caller = CALLER;
  readonly transferList = null;
  readonly call: CallSpec;
  readonly args: unknown[];
  readonly signal: AbortSignal | null;
  [kOnCancel]: ((future: Future<any>) => void) | null = null;
  #state: FutureState = "PENDING";
  readonly #chunk: PoolChunk;
  readonly #index: number;

  constructor(chunk: PoolChunk, index: number, call: CallSpec, args: unknown[], signal: AbortSignal | null) {
    this.#chunk = chunk;
    this.#index = index;
    this.call = call;
    this.args = args;
    this.signal = signal;
  }

  get future(): this {
    return this;
  }

  get state(): FutureState {
    return this.#state;
  }

  done(): boolean {
    return this.#state !== "PENDING" && this.#state !== "RUNNING";
  }

  cancel(): boolean {
    if (this.#state === "RUNNING" || this.#state === "FINISHED") return false;
    if (this.#state !== "PENDING") return true;
    this.#state = "CANCELLED";
    this.#chunk.settle(this.#index, new CancelledError(), true, false);
    return true;
  }

  setRunningOrNotifyCancel(): boolean {
    if (this.#state === "PENDING") {
      this.#state = "RUNNING";
      this.#chunk.started();
      return true;
    }
    if (this.#state === "CANCELLED") this.#state = "CANCELLED_AND_NOTIFIED";
    return false;
  }

  setResult(value: unknown): void {
    if (this.done()) return;
    this.#state = "FINISHED";
    this.#chunk.settle(this.#index, value, false, true);
  }

  setException(error: unknown): void {
    if (this.done()) return;
    this.#state = "FINISHED";
    this.#chunk.settle(this.#index, error, true, true);
  }
}
