/**
 * `gather`: asyncio.gather over Promises, unirun Futures and other thenables.
 */
import { checkOptions, describe, isAwaitable, isPlainObject } from "./checks.js";

/** Options of {@link gather}, given as its last argument. */
export interface GatherOptions {
  /**
   * `false` (default): the first rejection rejects the gather. `true`: every
   * rejection is placed in the results, at its awaitable's position.
   */
  returnExceptions?: boolean;
}

/** The results of `gather(...awaitables)`, position by position. */
export type GatherResults<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * The results of `gather(...awaitables, { returnExceptions: true })`: each
 * position holds the value or what its awaitable rejected with (typed `Error`,
 * as typeshed types it `BaseException`; a non-Error thrown value is given as is).
 */
export type GatherOutcomes<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> | Error };

/**
 * Run awaitables concurrently and resolve with their results in argument
 * order (asyncio.gather). The last argument is the options when it is a plain
 * object (`{ ... }`) that is not thenable.
 *
 * Without `returnExceptions`, the first rejection rejects the gather and, as
 * in asyncio, the other awaitables are *not* cancelled: they keep running, and
 * their later rejections are handled (never reported as unhandled). A
 * cancelled unirun Future rejects with `CancelledError` like any other error.
 * Abandoning a gather does not cancel its awaitables either (a Promise has no
 * `cancel`); to stop siblings on the first failure use {@link TaskGroup}.
 *
 * `gather()` resolves with `[]`.
 *
 * @throws TypeError (synchronously) when an argument is not awaitable (an
 *   array must be spread: `gather(...promises)`; a function must be called),
 *   or for a bad option.
 */
export function gather<T extends readonly unknown[]>(
  ...args: [...awaitables: { [K in keyof T]: PromiseLike<T[K]> }, options: GatherOptions & { returnExceptions: true }]
): Promise<GatherOutcomes<T>>;
export function gather<T extends readonly unknown[]>(
  ...args: [...awaitables: { [K in keyof T]: PromiseLike<T[K]> }, options: GatherOptions]
): Promise<GatherResults<T>>;
export function gather<T extends readonly unknown[]>(
  ...awaitables: { [K in keyof T]: PromiseLike<T[K]> }
): Promise<GatherResults<T>>;
export function gather(...args: unknown[]): Promise<unknown[]> {
  const { awaitables, returnExceptions } = splitGatherArguments(args);
  if (!returnExceptions) return Promise.all(awaitables);
  return Promise.allSettled(awaitables).then((outcomes) =>
    outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : outcome.reason)));
}

function splitGatherArguments(args: unknown[]): { awaitables: PromiseLike<unknown>[]; returnExceptions: boolean } {
  let returnExceptions = false;
  const last = args[args.length - 1];
  if (args.length > 0 && isPlainObject(last) && !isAwaitable(last)) {
    const options = checkOptions<GatherOptions>("gather(...awaitables, options)", last, ["returnExceptions"]);
    if (options.returnExceptions !== undefined && typeof options.returnExceptions !== "boolean") {
      throw new TypeError(
        `gather(...awaitables, options): returnExceptions must be true or false; got ${describe(options.returnExceptions)}`,
      );
    }
    returnExceptions = options.returnExceptions ?? false;
    args = args.slice(0, -1);
  }
  args.forEach((value, i) => {
    if (!isAwaitable(value)) throw new TypeError(notAwaitable(value, i));
  });
  return { awaitables: args as PromiseLike<unknown>[], returnExceptions };
}

function notAwaitable(value: unknown, index: number): string {
  const got = Array.isArray(value) ? `an array of ${value.length}` : describe(value);
  const head = `gather(...awaitables): argument ${index + 1} is not awaitable (a Promise, a Future or another thenable); `
    + `got ${got}`;
  if (Array.isArray(value)) return `${head}; spread an array of promises: gather(...promises)`;
  if (typeof value === "function") return `${head}; call it and pass the promise it returns: gather(fn())`;
  return head;
}
