/**
 * `UnifiedDispatcher` and `parallelMap` (SPEC §7): Ember's dispatcher on
 * unirun's executors.
 *
 * ```ts
 * await using dispatcher = new UnifiedDispatcher({ maxWorkers: 8 });
 * const sizes = await dispatcher.map(fetchSize, urls);              // fail-fast, input order
 * const byId = await dispatcher.mapWithIds(parse, [["a", textA], ["b", textB]]); // every id answered
 * const squares = await parallelMap(square, [1, 2, 3]);             // makes, uses and closes one
 * ```
 *
 * Without an `executor`, work goes to a managed executor of the scheduler,
 * made on first use. The `ExecutionContext` counts when work is submitted,
 * not when the dispatcher is built: `ioHeavy: false` sends transferable tasks
 * to worker threads (under `UNIRUN_THREAD_MODE=auto`), and `component` is shown
 * in the per-task decisions.
 */
import { checkMaxWorkers } from "../executors/options.js";
import {
  checkCallable,
  checkShutdownOptions,
  Executor,
  SHUTDOWN_MESSAGE,
  type ShutdownOptions,
} from "../futures/executor.js";
import { describe } from "../futures/timeouts.js";
import type { Flavor } from "../run/config.js";
import { ExecutionContext } from "../run/context.js";
import { ManagedExecutor } from "../run/managed.js";
import { currentConfig } from "../run/scheduler.js";
import { type AdaptiveBackend, type AdaptiveBackends, driveAdaptive } from "./adaptive.js";
import { ItemRun } from "./item-run.js";
import { aliasList, type ExecutorAlias, isExecutorAlias, resolveExecutor } from "./resolve.js";

/** Options of {@link UnifiedDispatcher} and {@link parallelMap}. */
export interface UnifiedDispatcherOptions {
  /** Calls in flight at most; default: the scheduler's sizing (or the executor alias's default). */
  maxWorkers?: number | null;
  /**
   * Where work runs: an executor alias (`"sequential"`, `"async"`, `"threaded"`,
   * `"parallel"`; made for the dispatcher and shut down by `close()`), or an
   * Executor of yours (used as it is and never shut down). Default: a managed
   * executor of the scheduler, made on first use.
   */
  executor?: Executor | ExecutorAlias | null;
  /**
   * Opt in to adaptive backend choice: per function, measure the time per item
   * on the event loop and on worker threads, then use the faster. Not with `executor`.
   */
  adaptive?: boolean;
  /** Shown in the scheduler's decisions. */
  name?: string | null;
}

/** Options of {@link UnifiedDispatcher.mapWithIds}. */
export interface MapWithIdsOptions {
  /** Ember's behaviour: a failed id maps to `null` instead of `{ status: "rejected", reason }`. */
  errorsAsNull?: boolean;
}

const OPTION_KEYS = ["maxWorkers", "executor", "adaptive", "name"];
const ID_OPTION_KEYS = ["errorsAsNull"];
// The scheduler reads the context per task; the executors themselves are built outside any.
const NO_CONTEXT = new ExecutionContext();

/**
 * Maps a function over items on an executor, Ember-style. Close it when done
 * (`await dispatcher.close()`, or `await using`).
 */
export class UnifiedDispatcher implements AsyncDisposable {
  /** The `maxWorkers` asked for, or `null` for the default. */
  readonly maxWorkers: number | null;
  /** Whether adaptive backend choice is on. */
  readonly adaptive: boolean;
  readonly name: string | null;
  readonly #spec: Executor | ExecutorAlias | null;
  readonly #backends: AdaptiveBackends;
  readonly #adaptiveExecutors = new Map<AdaptiveBackend, ManagedExecutor>();
  #executor: Executor | null = null;
  #closed = false;

  /**
   * @throws RangeError for `maxWorkers <= 0` or an unknown executor alias (the message lists the four).
   * @throws TypeError for an unknown option, a value of the wrong type, or `adaptive` with `executor`.
   */
  constructor(options: UnifiedDispatcherOptions = {}) {
    const checked = checkDispatcherOptions(options);
    this.maxWorkers = checked.maxWorkers;
    this.adaptive = checked.adaptive;
    this.name = checked.name;
    this.#spec = checked.executor;
    this.#backends = { executor: (backend) => this.#adaptiveExecutor(backend), name: this.name };
  }

  /**
   * `fn(item)` for every item; resolves with the results in input order.
   * Fail-fast: the first call to fail (in completion order) rejects the
   * promise at once with a {@link DispatchError} whose `index` is the item's
   * position and whose `cause` is the call's error; calls not yet started are
   * cancelled, running ones finish unobserved.
   *
   * @throws TypeError (synchronously) when `fn` is not a function or `items` is not an iterable.
   * @throws Error (synchronously) `cannot schedule new futures after shutdown` once closed.
   */
  map<T, R>(fn: (item: T) => R, items: Iterable<T>): Promise<Awaited<R>[]> {
    const caller = "map(fn, items)";
    checkCallable(fn, caller);
    const payloads = toArray(items, caller);
    const run = this.#start(caller, fn as (item: unknown) => unknown, payloads, true);
    return run.done.then((outcomes) => outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value)) as Promise<
      Awaited<R>[]
    >;
  }

  /**
   * `fn(payload)` for every `[id, payload]` pair; resolves with a `Map` from
   * each id (in input order) to `{ status: "fulfilled", value }` or
   * `{ status: "rejected", reason }` — or, with `errorsAsNull`, to the value
   * or `null`. Failures never reject the promise.
   *
   * @throws TypeError (synchronously) for a non-function `fn`, a non-iterable
   *   `items`, an entry that is not an `[id, payload]` pair, or a bad option.
   * @throws RangeError (synchronously) when an id appears twice.
   * @throws Error (synchronously) `cannot schedule new futures after shutdown` once closed.
   */
  mapWithIds<Id, P, R>(
    fn: (payload: P) => R,
    items: Iterable<readonly [Id, P]>,
    options: MapWithIdsOptions & { errorsAsNull: true },
  ): Promise<Map<Id, Awaited<R> | null>>;
  mapWithIds<Id, P, R>(
    fn: (payload: P) => R,
    items: Iterable<readonly [Id, P]>,
    options?: MapWithIdsOptions & { errorsAsNull?: false },
  ): Promise<Map<Id, PromiseSettledResult<Awaited<R>>>>;
  mapWithIds<Id, P, R>(
    fn: (payload: P) => R,
    items: Iterable<readonly [Id, P]>,
    options?: MapWithIdsOptions,
  ): Promise<Map<Id, PromiseSettledResult<Awaited<R>> | Awaited<R> | null>>;
  mapWithIds(
    fn: (payload: unknown) => unknown,
    items: Iterable<readonly [unknown, unknown]>,
    options: MapWithIdsOptions = {},
  ): Promise<Map<unknown, unknown>> {
    const caller = "mapWithIds(fn, items)";
    checkCallable(fn, caller);
    const errorsAsNull = checkIdOptions(options);
    const { ids, payloads } = toPairs(items, caller);
    const run = this.#start(caller, fn, payloads, false);
    return run.done.then((outcomes) => {
      const answers = new Map<unknown, unknown>();
      outcomes.forEach((outcome, i) => {
        answers.set(ids[i], !errorsAsNull ? outcome : outcome.status === "fulfilled" ? outcome.value : null);
      });
      return answers;
    });
  }

  /**
   * Stop accepting work and free what the dispatcher made: its managed
   * executor or alias executor is shut down; an executor of yours is not
   * (only the calls made through this dispatcher are waited for or cancelled).
   * Calling it again is harmless.
   *
   * @param options.wait resolve once the dispatcher's calls are done (default `true`).
   * @param options.cancelFutures cancel the calls that have not started (default `false`).
   */
  close(options?: ShutdownOptions): Promise<void> {
    const checked = checkShutdownOptions(options);
    this.#closed = true;
    const executors = [this.#executor, ...this.#adaptiveExecutors.values()].filter((e): e is Executor => e !== null);
    return Promise.all(executors.map((executor) => executor.shutdown(checked))).then(() => undefined);
  }

  /** `await using dispatcher = new UnifiedDispatcher()` closes it with `{ wait: true }`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #start(caller: string, fn: (payload: unknown) => unknown, payloads: unknown[], failFast: boolean): ItemRun {
    if (this.#closed) throw new Error(`UnifiedDispatcher.${caller}: ${SHUTDOWN_MESSAGE} (the dispatcher was closed)`);
    const run = new ItemRun(fn, payloads, failFast, caller);
    if (this.adaptive) {
      driveAdaptive(run, fn, this.#backends).catch((error: unknown) => run.abort(error));
      return run;
    }
    const executor = this.#default();
    for (let index = 0; index < run.size && !run.stopped; index++) run.submit(index, executor);
    return run;
  }

  /** The executor behind a non-adaptive dispatcher, made on first use. */
  #default(): Executor {
    if (this.#executor !== null) return this.#executor;
    const spec = this.#spec;
    this.#executor = spec === null
      ? managed(null, this.maxWorkers, this.name)
      : resolveExecutor(spec, { maxWorkers: this.maxWorkers });
    return this.#executor;
  }

  #adaptiveExecutor(backend: AdaptiveBackend): ManagedExecutor {
    let executor = this.#adaptiveExecutors.get(backend);
    if (executor === undefined) {
      if (this.#closed) throw new Error(`UnifiedDispatcher: ${SHUTDOWN_MESSAGE} (the dispatcher was closed)`);
      // "none": the event loop as it is, with no per-task routing to blur the measurement.
      executor = managed(backend === "event-loop" ? "none" : "interpreters", this.maxWorkers, this.name);
      this.#adaptiveExecutors.set(backend, executor);
    }
    return executor;
  }
}

/**
 * Map `fn` over `items` with a dispatcher made for the call and always
 * closed: after the results, or — pending calls cancelled, running ones
 * awaited — before the {@link DispatchError} is rethrown.
 *
 * @returns the results in input order.
 * @throws as {@link UnifiedDispatcher.map} and its constructor.
 */
export function parallelMap<T, R>(
  fn: (item: T) => R,
  items: Iterable<T>,
  options: UnifiedDispatcherOptions = {},
): Promise<Awaited<R>[]> {
  const dispatcher = new UnifiedDispatcher(options);
  let results: Promise<Awaited<R>[]>;
  try {
    results = dispatcher.map(fn, items);
  } catch (error) {
    void dispatcher.close();
    throw error;
  }
  return results.then(
    async (values) => {
      await dispatcher.close();
      return values;
    },
    async (error: unknown) => {
      await dispatcher.close({ cancelFutures: true });
      throw error;
    },
  );
}

function managed(flavor: Flavor | null, maxWorkers: number | null, name: string | null): ManagedExecutor {
  return NO_CONTEXT.run(() =>
    new ManagedExecutor({
      surface: "UnifiedDispatcher",
      flavor,
      implied: false,
      maxWorkers,
      name,
      config: currentConfig(),
      executor: null,
      dedicated: null,
      shape: {},
      trace: null,
    })
  );
}

function toArray<T>(items: Iterable<T>, caller: string): T[] {
  if (Array.isArray(items)) return items.slice();
  if (items === null || items === undefined || typeof (items as Iterable<T>)[Symbol.iterator] !== "function") {
    const hint = items !== null && items !== undefined && typeof (items as unknown as AsyncIterable<T>)[Symbol.asyncIterator] === "function"
      ? " (async iterables are not accepted: collect them first, or use executor.map)"
      : "";
    throw new TypeError(`${caller}: items must be an iterable (an array, Set, generator, ...)${hint}; got ${describe(items)}`);
  }
  return Array.from(items);
}

function toPairs(items: Iterable<readonly [unknown, unknown]>, caller: string): { ids: unknown[]; payloads: unknown[] } {
  const entries = toArray(items, caller);
  const ids: unknown[] = [];
  const payloads: unknown[] = [];
  const seen = new Map<unknown, number>();
  entries.forEach((entry, i) => {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(`${caller}: item ${i} must be an [id, payload] pair; got ${describe(entry)}`);
    }
    const [id, payload] = entry;
    const first = seen.get(id);
    if (first !== undefined) {
      throw new RangeError(`${caller}: id ${describe(id)} appears twice (items ${first} and ${i}); ids must be unique`);
    }
    seen.set(id, i);
    ids.push(id);
    payloads.push(payload);
  });
  return { ids, payloads };
}

function checkIdOptions(options: MapWithIdsOptions): boolean {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mapWithIds(fn, items, options): options must be an object; got ${describe(options)}`);
  }
  checkKeys("mapWithIds(options)", options, ID_OPTION_KEYS);
  const { errorsAsNull = false } = options;
  if (typeof errorsAsNull !== "boolean") {
    throw new TypeError(`mapWithIds(errorsAsNull): must be a boolean; got ${describe(errorsAsNull)}`);
  }
  return errorsAsNull;
}

function checkDispatcherOptions(options: UnifiedDispatcherOptions): Required<UnifiedDispatcherOptions> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`UnifiedDispatcher(options): must be an object; got ${describe(options)}`);
  }
  checkKeys("UnifiedDispatcher(options)", options, OPTION_KEYS);
  const { maxWorkers = null, executor = null, adaptive = false, name = null } = options;
  if (executor !== null && !(executor instanceof Executor) && !isExecutorAlias(executor)) {
    if (typeof executor === "string") {
      throw new RangeError(`UnifiedDispatcher(executor): unknown executor alias ${JSON.stringify(executor)}; accepted aliases are ${aliasList()}`);
    }
    throw new TypeError(`UnifiedDispatcher(executor): must be an executor alias (${aliasList()}) or an Executor; got ${describe(executor)}`);
  }
  if (typeof adaptive !== "boolean") {
    throw new TypeError(`UnifiedDispatcher(adaptive): must be a boolean; got ${describe(adaptive)}`);
  }
  if (adaptive && executor !== null) {
    throw new TypeError("UnifiedDispatcher(options): adaptive chooses between the event loop and worker threads itself; give either adaptive or executor, not both");
  }
  if (name !== null && typeof name !== "string") {
    throw new TypeError(`UnifiedDispatcher(name): must be a string; got ${describe(name)}`);
  }
  return {
    maxWorkers: maxWorkers === null ? null : checkMaxWorkers("UnifiedDispatcher", maxWorkers, 1),
    executor,
    adaptive,
    name,
  };
}

function checkKeys(caller: string, options: object, keys: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${caller}: unknown option "${key}"; accepted options are ${keys.join(", ")}`);
    }
  }
}
