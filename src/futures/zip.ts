/**
 * `map`'s inputs: zipped as Python zips (stopping at the shortest), and
 * closed quietly when the consumer stops early.
 */

/** The zipped argument tuples (or, from `values`, the values), synchronous when every input is. */
export type Tuples = { sync: true; iterator: Iterator<unknown> } | { sync: false; iterator: AsyncIterator<unknown> };

/** One input's values as they are, with no tuple each (a one-input map's chunks). */
export function values(iterable: Iterable<unknown> | AsyncIterable<unknown>): Tuples {
  if (typeof (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    return { sync: false, iterator: (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]() };
  }
  return { sync: true, iterator: (iterable as Iterable<unknown>)[Symbol.iterator]() };
}

/** Close an input the consumer stopped reading, ignoring its own failure to close. */
export function closeQuietly(iterator: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const done = iterator.return?.();
    if (done && typeof (done as Promise<unknown>).then === "function") {
      (done as Promise<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // The consumer has stopped; a source that fails to close has nothing to tell it.
  }
}

/** Zip like Python: stop at the shortest input; asynchronous when any input is. */
export function zip(iterables: readonly (Iterable<unknown> | AsyncIterable<unknown>)[]): Tuples {
  const allSync = iterables.every((it) => typeof (it as Iterable<unknown>)[Symbol.iterator] === "function"
    && typeof (it as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function");
  if (allSync) {
    const its = iterables.map((it) => (it as Iterable<unknown>)[Symbol.iterator]());
    const iterator: Iterator<unknown[]> = {
      next() {
        if (its.length === 0) return { value: undefined, done: true };
        // Built with push: V8 serializes a preallocated (holey) array key by
        // key, about twice as slowly, when it is sent to a worker.
        const tuple: unknown[] = [];
        for (let i = 0; i < its.length; i++) {
          const step = its[i]!.next();
          if (step.done) {
            for (let j = 0; j < its.length; j++) if (j !== i) its[j]!.return?.();
            return { value: undefined, done: true };
          }
          tuple.push(step.value);
        }
        return { value: tuple, done: false };
      },
      return() {
        for (const it of its) it.return?.();
        return { value: undefined, done: true };
      },
    };
    return { sync: true, iterator };
  }
  const its = iterables.map((it) =>
    typeof (it as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
      ? (it as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (it as Iterable<unknown>)[Symbol.iterator](),
  );
  const iterator: AsyncIterator<unknown[]> = {
    async next() {
      if (its.length === 0) return { value: undefined, done: true };
      const steps = await Promise.all(its.map((it) => it.next()));
      if (steps.some((s) => s.done)) {
        await Promise.allSettled(its.map((it, i) => (steps[i]!.done ? undefined : it.return?.())));
        return { value: undefined, done: true };
      }
      return { value: steps.map((s) => s.value), done: false };
    },
    async return() {
      await Promise.allSettled(its.map((it) => it.return?.()));
      return { value: undefined, done: true };
    },
  };
  return { sync: false, iterator };
}
