/**
 * `map` with `chunksize > 1` on a pool executor: consecutive calls travel
 * `chunksize` to a message, as in Python's ProcessPoolExecutor.
 */
import type { Future } from "../futures/future.js";
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
