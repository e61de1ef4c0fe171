/**
 * `map` on a pool executor, a chunk at a time with no `Future` per call: with
 * `chunksize`, consecutive calls travel `chunksize` to a message, as in
 * Python's ProcessPoolExecutor; without it, chunks adapt to the calls' duration.
 */
import { Future } from "../futures/future.js";
import type { MapChunk, MapChunker } from "../futures/map.js";
import type { ChunkSink, PoolItem } from "./pool-dispatch.js";
import { checkArguments, type Transport } from "./transport/arguments.js";
import type { CallSpec } from "./transport/types.js";

/** What chunked `map` needs from its executor. */
export interface ChunkHost {
  readonly transport: Transport;
  /**
   * @throws when the executor takes no more calls: broken, or shut down —
   * unless `holding`, a map started before the shutdown sending its calls.
   */
  checkOpen(holding?: boolean): void;
  /**
   * A map holds calls it has not sent (see `MapChunker.holding`), or no
   * longer does; false when the hold is refused (the executor is shut down).
   */
  hold(chunker: object, unsent: boolean, cancel: () => void): boolean;
  /** Queue a chunk as one item (see `Dispatcher.chunkItem`). */
  pushChunk(future: Future<unknown>, call: CallSpec, args: unknown[], caller: string, signal: AbortSignal | null, chunk: ChunkSink): void;
  /** A call with a future of its own (see `Dispatcher.item`). */
  item(call: CallSpec, args: unknown[], caller: string, signal: AbortSignal | null): PoolItem;
  /** Queue calls with futures of their own as one message. */
  pushCalls(calls: PoolItem[]): void;
}

const CALLER = "map(fn, ...iterables)";

/**
 * A submitter for a `map` that needs a `Future` per call (a managed
 * executor's, which routes and limits each call): `chunksize` calls to a
 * message; a partly filled chunk is sent on the next microtask, so a chunk
 * never waits for input that is not there.
 */
export function chunkedSubmitter(
  host: ChunkHost,
  call: CallSpec,
  chunksize: number,
  signal: AbortSignal | null,
): (args: unknown[]) => Future<unknown> {
  let open: PoolItem[] = [];
  const flush = (): void => {
    const calls = open;
    open = [];
    if (calls.length > 0) host.pushCalls(calls);
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
 * The chunk-level `map` path of a pool executor: one message and one `Future`
 * per chunk, none per call; a one-input map's arguments cross as a flat
 * column. With no `chunksize`, chunks start at one call, so slow calls spread
 * over every worker, and grow while calls are short (about 2 ms of work per
 * message, as the workers measure it), up to {@link MAX_CHUNK}.
 */
export class PoolMapChunker implements MapChunker {
  readonly window: number;
  readonly #host: ChunkHost;
  readonly #call: CallSpec;
  readonly #signal: AbortSignal | null;
  readonly #workers: number;
  /** The chunksize given, or null to adapt. */
  readonly #fixed: number | null;
  #itemMs = Number.NaN;
  #last = 1;
  #holding = false;

  constructor(host: ChunkHost, call: CallSpec, workers: number, signal: AbortSignal | null, chunksize: number | null) {
    this.#host = host;
    this.#call = call;
    this.#signal = signal;
    this.#workers = workers;
    this.#fixed = chunksize;
    // Enough chunks in flight to keep every worker busy while replies come back.
    this.window = workers * 2;
  }

  check(call: unknown, oneArg: boolean): void {
    // Most map inputs are numbers and strings: nothing to walk.
    const type = typeof call;
    if (oneArg && (call === null || (type !== "object" && type !== "function" && type !== "symbol"))) return;
    checkArguments(oneArg ? [call] : (call as unknown[]), CALLER, this.#host.transport);
  }

  nextSize(remaining: number): number {
    if (this.#fixed !== null) return this.#fixed;
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

  holding(unsent: boolean, cancel: () => void): void {
    this.#holding = this.#host.hold(this, unsent, cancel);
  }

  submit(args: unknown[], oneArg: boolean): MapChunk {
    this.#host.checkOpen(this.#holding);
    const chunk = new PoolChunk(args.length, this);
    this.#host.pushChunk(chunk.done, this.#call, args, CALLER, this.#signal, new ChunkPart(chunk, null, oneArg));
    return chunk;
  }

  /** `calls` calls of a chunk took `ms` in their worker. */
  record(calls: number, ms: number): void {
    const perCall = ms / calls;
    this.#itemMs = Number.isNaN(this.#itemMs) ? perCall : this.#itemMs * (1 - NEW_WEIGHT) + perCall * NEW_WEIGHT;
  }
}

/**
 * One chunk's outcomes. Its `done` future is also the dispatcher's future for
 * the chunk: cancelled while queued, failed with the pool's error when it
 * breaks, and settled here once every call has an outcome.
 */
class PoolChunk implements MapChunk {
  readonly done = new Future<unknown>();
  readonly #size: number;
  /** The reply's values array itself when one reply answered every call. */
  #values: unknown[] | null = null;
  #failed: Uint8Array | null = null;
  #pending: number;
  readonly #sizer: PoolMapChunker;

  constructor(size: number, sizer: PoolMapChunker) {
    this.#size = size;
    this.#pending = size;
    this.#sizer = sizer;
  }

  failed(i: number): boolean {
    return this.#failed !== null && this.#failed[i] === 1;
  }

  value(i: number): unknown {
    return this.#values![i];
  }

  cancel(): void {
    this.done.cancel();
  }

  /** Outcomes for the calls at `at` (every call, in order, when null): `values[k]` is call `at[k]`'s. */
  fill(values: unknown[], failed: number[] | 0, at: number[] | null): void {
    if (this.done.done()) return;
    if (at === null && this.#values === null) {
      this.#values = values;
    } else {
      this.#values ??= new Array<unknown>(this.#size);
      for (let k = 0; k < values.length; k++) this.#values[at === null ? k : at[k]!] = values[k];
    }
    if (failed !== 0) {
      this.#failed ??= new Uint8Array(this.#size);
      for (const k of failed) this.#failed[at === null ? k : at[k]!] = 1;
    }
    this.#pending -= values.length;
    if (this.#pending === 0) this.done.setResult(undefined);
  }

  record(calls: number, ms: number): void {
    this.#sizer.record(calls, ms);
  }
}

/** A part of a chunk in flight: all of it, or (after the serializer refused some calls) the calls at `at`. */
class ChunkPart implements ChunkSink {
  readonly #chunk: PoolChunk;
  readonly #at: number[] | null;
  readonly oneArg: boolean;

  constructor(chunk: PoolChunk, at: number[] | null, oneArg: boolean) {
    this.#chunk = chunk;
    this.#at = at;
    this.oneArg = oneArg;
  }

  replied(values: unknown[], failed: number[] | 0, ms: number): void {
    this.#chunk.record(values.length, ms);
    this.#chunk.fill(values, failed, this.#at);
  }

  refused(culprits: number[], errors: unknown[], item: PoolItem): PoolItem | null {
    const at = (k: number): number => (this.#at === null ? k : this.#at[k]!);
    this.#chunk.fill(errors, culprits.map((_, k) => k), culprits.map(at));
    const keep: number[] = [];
    const args: unknown[] = [];
    for (let k = 0, c = 0; k < item.args.length; k++) {
      if (culprits[c] === k) {
        c++;
        continue;
      }
      keep.push(at(k));
      args.push(item.args[k]);
    }
    if (keep.length === 0) return null;
    return { ...item, args, chunk: new ChunkPart(this.#chunk, keep, this.oneArg) };
  }
}
