/**
 * One abort listener per `AbortSignal`, however many calls share it. A
 * listener per call (say, a `map()` over one signal) trips Node's
 * MaxListenersExceededWarning and makes each removal O(n), so a long `map()`
 * went quadratic. Shared by every executor.
 */
export class SignalWatch<T> {
  readonly #watchers = new Map<AbortSignal, { items: Set<T>; onAbort: () => void }>();
  readonly #abort: (item: T, signal: AbortSignal) => void;

  /** @param abort called once per watched item, in watch order, when its signal aborts. */
  constructor(abort: (item: T, signal: AbortSignal) => void) {
    this.#abort = abort;
  }

  /** Call `abort(item)` when `signal` aborts, unless `release` comes first. */
  watch(signal: AbortSignal, item: T): void {
    let watcher = this.#watchers.get(signal);
    if (!watcher) {
      const items = new Set<T>();
      const onAbort = (): void => {
        // Forget the signal first: aborting an item may release it (or others) re-entrantly.
        this.#watchers.delete(signal);
        for (const each of [...items]) this.#abort(each, signal);
      };
      watcher = { items, onAbort };
      this.#watchers.set(signal, watcher);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    watcher.items.add(item);
  }

  /** Stop watching `item`; the listener goes with the signal's last item. A no-op when not watched. */
  release(signal: AbortSignal | null, item: T): void {
    if (signal === null) return;
    const watcher = this.#watchers.get(signal);
    if (!watcher || !watcher.items.delete(item) || watcher.items.size > 0) return;
    this.#watchers.delete(signal);
    signal.removeEventListener("abort", watcher.onAbort);
  }
}
