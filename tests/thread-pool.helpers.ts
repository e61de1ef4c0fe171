/**
 * Shared helpers for the event-loop ThreadPoolExecutor tests: promises the test
 * controls instead of sleeps, bounded waits, and an in-flight counter.
 */
import { afterEach } from "vitest";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Await `promise`, failing the test if it has not settled within `seconds`
 * (a safety net against hangs, never an assertion about speed).
 */
export async function within<T>(promise: PromiseLike<T>, what: string, seconds = 5): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Let the event loop turn `n` times (microtasks, then a check phase each time). */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Counts calls in flight and remembers the most seen at once. */
export class InFlight {
  current = 0;
  max = 0;
  started = 0;
  finished = 0;

  enter(): void {
    this.current++;
    this.started++;
    if (this.current > this.max) this.max = this.current;
  }

  exit(): void {
    this.current--;
    this.finished++;
  }

  /** Wrap an async body so it is counted while it runs. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await body();
    } finally {
      this.exit();
    }
  }
}

/** Python's `range(start, stop)`. */
export function range(start: number, stop?: number): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  return Array.from({ length: Math.max(0, stop - start) }, (_, i) => start + i);
}

/** Python's `itertools.count()`: endless, and records how many items were pulled and whether it was closed. */
export function counter(): { iterable: Generator<number>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  function* count(): Generator<number> {
    try {
      for (let n = 0; ; n++) {
        pulled++;
        yield n;
      }
    } finally {
      closed = true;
    }
  }
  return { iterable: count(), pulled: () => pulled, closed: () => closed };
}

/** Python's `divmod` with ZeroDivisionError rendered as a RangeError. */
export function divmod(a: number, b: number): [number, number] {
  if (b === 0) throw new RangeError("integer division or modulo by zero");
  return [Math.floor(a / b), a % b];
}

/** A pool executor's ways to stop its workers now. */
interface Stoppable {
  terminateWorkers(): Promise<void>;
  killWorkers(): Promise<void>;
}

/**
 * Wrap an executor constructor in a factory that remembers what it makes and
 * stops it all after each test (`how`, bounded to 10 s), so a failing test never
 * leaves workers or children running into the next one. Call at module level.
 */
export function stoppedAfterEach<O, E extends Stoppable>(
  make: (options?: O) => E,
  how: keyof Stoppable = "terminateWorkers",
): (options?: O) => E {
  const made: E[] = [];
  afterEach(async () => {
    for (const ex of made.splice(0)) await within(ex[how](), `cleanup ${how}`, 10);
  });
  return (options) => {
    const ex = make(options);
    made.push(ex);
    return ex;
  };
}

/**
 * Read `results` until it ends or raises: the values seen before, and what it
 * raised (no `error` key when it ended).
 */
export async function readUntilRaised<T>(results: AsyncIterable<T>): Promise<{ seen: T[]; error?: unknown }> {
  const seen: T[] = [];
  try {
    for await (const value of results) seen.push(value);
  } catch (error) {
    return { seen, error };
  }
  return { seen };
}
