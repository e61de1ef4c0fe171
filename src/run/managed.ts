/**
 * `ManagedExecutor`: the Executor behind managed compat classes and `Run`
 * (SPEC §4, §5). At construction the scheduler decides where its work runs;
 * each task is then forwarded to the pool serving it — a shared pool leased
 * from the scheduler, the executor's own event-loop slots, a dedicated native
 * pool, or a caller's executor — never more than `maxWorkers` at once, so
 * executors sharing a pool each keep their own limit (see lanes.ts; a `map`
 * sized by the XCS rule has a limit of its own).
 *
 * The futures it returns mirror the pool's (see `LinkedFuture`), so results,
 * errors and cancellation are the native ones.
 */
import { ThreadPoolExecutor } from "../executors/event-loop.js";
import { checkArguments } from "../executors/transport/arguments.js";
import { toCallSpec } from "../executors/transport/call-spec.js";
import { BrokenExecutor } from "../futures/errors.js";
import {
  type AnyIterable,
  checkCallable,
  checkShutdownOptions,
  checkSubmitOptions,
  Executor,
  type MapOptions,
  SHUTDOWN_MESSAGE,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import type { Future } from "../futures/future.js";
import type { MapChunker } from "../futures/map.js";
import { capabilities, type Capabilities, IO_MAP_LIMIT, mapSizing } from "./capabilities.js";
import type { Flavor } from "./config.js";
import { ExecutionContext } from "./context.js";
import { type Backend, flavorOf, sizeFor } from "./decide.js";
import { type Decision, type DecisionBackend, publishDecision } from "./decisions.js";
import { type Call, Lane, Lanes, mapLength } from "./lanes.js";
import { ManagedMapChunker } from "./managed-map.js";
import { LinkedFuture } from "./linked-future.js";
import { brokenClass, isPool, type ManagedInit, mapSubmitterOf, planExecutor } from "./managed-plan.js";
import { lease, type Lease, track, untrack } from "./pools.js";
import { routeThreadTask, notTransferable, type TaskRoute } from "./routing.js";
import { emitDowngrade, type Downgrade } from "./warnings.js";

export type { ManagedInit } from "./managed-plan.js";

export class ManagedExecutor extends Executor {
  /** Where this executor's work runs, and why (SPEC §5). */
  readonly decision: Decision;
  /** Tasks of this executor in flight at most (a `map` sized by the XCS rule has its own limit). */
  readonly maxWorkers: number;
  readonly #init: ManagedInit;
  readonly #caps: Capabilities;
  readonly #flavor: Flavor;
  readonly #backend: DecisionBackend;
  readonly #fixed: Executor | null;
  readonly #owned: Executor | null;
  /** Whether `map` may size itself (SPEC §5's XCS rule): no explicit size, no executor of the caller's. */
  readonly #sizesMaps: boolean;
  readonly #own: Lane;
  readonly #lanes = new Lanes({
    send: (call) => this.#send(call),
    broken: () => this.#broken,
    onBroken: (error) => this.#breakWith(error),
  });
  readonly #leases = new Map<Backend, { lease: Lease; used: boolean }>();
  /** The number of calls of the `map` being set up, when known (see {@link map}). */
  #eventLoop: ThreadPoolExecutor | null = null;
  #broken: BrokenExecutor | null = null;
  #shutdown = false;
  /** Maps holding calls not handed to the lanes yet, and how to cancel those (see `MapChunker.holding`). */
  readonly #holds = new Map<object, () => void>();
  #holdsReleased: (() => void)[] = [];

  constructor(init: ManagedInit) {
    super();
    this.#init = init;
    this.#caps = capabilities();
    const plan = planExecutor(init, this.#caps);
    for (const downgrade of plan.downgrades) this.#downgrade(downgrade);
    this.#flavor = plan.flavor;
    this.#backend = plan.backend;
    this.maxWorkers = plan.maxWorkers;
    this.#own = new Lane(this.maxWorkers);
    this.#sizesMaps = plan.sizesMaps;
    this.#owned = plan.dedicated === null ? null : track(plan.dedicated());
    this.#fixed = init.executor ?? this.#owned;
    this.decision = this.#publish(plan.decision);
  }

  override submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    checkSubmitOptions(options);
    return this.#enqueue("submitWith(options, fn, ...args)", options, fn, args) as Future<Awaited<R>>;
  }

  override submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    return this.#enqueue("submit(fn, ...args)", NO_OPTIONS, fn, args) as Future<Awaited<R>>;
  }

  /**
   * Stop accepting work. `cancelFutures` cancels every call that has not
   * started; `wait` resolves once this executor's calls are done and its
   * pools released (a shared pool shuts down with its last holder).
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(options);
    this.#shutdown = true;
    if (cancelFutures) this.#cancelPending();
    const done = this.#whenIdle().then(() => this.#release());
    if (wait) return done;
    done.catch(() => undefined);
    return Promise.resolve();
  }

  /**
   * Python 3.14's `terminate_workers()` for a managed pool: pending calls are
   * cancelled, running ones fail at once with the pool's Broken* error, and
   * the executor is shut down. On a pool of its own the workers are stopped;
   * on a shared pool the other holders are left alone, so calls already
   * running finish there in the background and their results are dropped.
   */
  terminateWorkers(): Promise<void> {
    return this.#stopNow("terminateWorkers");
  }

  /** As {@link terminateWorkers}, with SIGKILL for the children of a pool of its own. */
  killWorkers(): Promise<void> {
    return this.#stopNow("killWorkers");
  }

  /** Whether `shutdown()` (or a stop) was called. */
  protected get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * `map` where every call goes to one native pool (an `interpreters` or
   * `processes` executor, or a pool of its own): a chunk at a time through
   * the pool's own chunks, each chunk one task of this executor (see
   * managed-map.ts). Sized by SPEC §5's XCS rule as {@link mapSubmitter} says;
   * otherwise the pool's own chunks (`chunksize` when given, else adaptive).
   * `null` elsewhere: calls are then routed one by one.
   */
  protected override mapChunker(
    fn: (...args: any[]) => unknown,
    options: MapOptions,
    inputs: readonly AnyIterable<unknown>[] = [],
  ): MapChunker | null {
    const caller = "map(fn, ...iterables)";
    // Shut down or broken: the per-call path refuses the first call, as Python's map does.
    if (this.#shutdown || this.#broken !== null) return null;
    const target = this.#mapPool();
    if (target === null) return null;
    const n = this.#sizesMaps && options.chunksize == null ? mapLength(inputs) : null;
    let chunksize = options.chunksize ?? null;
    let limit = this.maxWorkers;
    if (n !== null) ({ maxWorkers: limit, chunksize } = mapSizing(n, "cpu", this.#caps, this.#init.config.maxWorkers));
    const host = {
      checkOpen: (holding: boolean) => this.#checkOpen(fn, caller, holding),
      hold: (chunker: object, unsent: boolean, cancel: () => void) => this.#hold(chunker, unsent, cancel),
      admit: (call: Call) => this.#lanes.admit(call),
    };
    const plain: MapOptions = { ...options, chunksize: chunksize ?? undefined };
    if (chunksize === null) delete plain.chunksize;
    return new ManagedMapChunker(host, fn, plain, target, new Lane(limit));
  }

  /** The one native pool every call of a `map` goes to, or null when calls are routed one by one. */
  #mapPool(): { executor: Executor; leased: Backend | null } | null {
    if (this.#fixed !== null) return isPool(this.#fixed) ? { executor: this.#fixed, leased: null } : null;
    const flavor = this.#flavor;
    if (flavor !== "interpreters" && flavor !== "processes") return null;
    if (this.#init.closures === "event-loop" || this.#backend === "event-loop") return null;
    const backend = this.#backend as Backend;
    return { executor: this.#pool(backend), leased: backend };
  }

  /** See `MapChunker.holding`: only a map begun before shutdown() may go on sending after it. */
  #hold(chunker: object, unsent: boolean, cancel: () => void): boolean {
    if (unsent && this.#shutdown && !this.#holds.has(chunker)) return false;
    if (unsent) {
      this.#holds.set(chunker, cancel);
      return true;
    }
    this.#holds.delete(chunker);
    if (this.#holds.size === 0) for (const resolve of this.#holdsReleased.splice(0)) resolve();
    return false;
  }

  /** Resolves once no call is waiting or in flight and no map holds calls it has not handed over. */
  async #whenIdle(): Promise<void> {
    for (;;) {
      await this.#lanes.whenIdle();
      if (this.#holds.size === 0) return;
      await new Promise<void>((resolve) => this.#holdsReleased.push(resolve));
    }
  }

  /** Cancel every call not started: waiting in the lanes, forwarded and not started, or held by a map. */
  #cancelPending(): void {
    for (const cancel of [...this.#holds.values()]) cancel();
    this.#lanes.cancelPending();
  }

  /**
   * `map`, sized by SPEC §5's XCS rule when the caller gives no `chunksize`,
   * the executor no explicit `maxWorkers`, and every input its size: calls
   * that stay on the event loop (I/O-bound) keep up to `min(n, 100)` in
   * flight; calls sent to worker threads or child processes (CPU-bound) use
   * one worker per core and `chunksize = max(1, floor(n / (workers * 4)))`. A
   * caller's `chunksize` is honoured on pools, with the executor's
   * `maxWorkers` chunks in flight.
   */
  protected override mapSubmitter(
    fn: (...args: any[]) => unknown,
    options: MapOptions,
    inputs: readonly AnyIterable<unknown>[],
  ): (args: unknown[]) => Future<unknown> {
    const n = this.#sizesMaps && options.chunksize == null ? mapLength(inputs) : null;
    const signal = options.signal ?? null;
    const given = options.chunksize ?? 1;
    const caller = "map(fn, ...iterables)";
    const submitters = new Map<Executor, (args: unknown[]) => Future<unknown>>();
    let lane: Lane | null = null;
    let chunksize = given;
    return (args) => {
      this.#checkOpen(fn, caller);
      const { target, leased } = this.#route(fn, args, caller);
      if (lane === null) {
        ({ lane, chunksize } = this.#mapLane(n, leased !== null || isPool(target), given));
      }
      const send = (to: Executor): Future<unknown> => {
        let submitter = submitters.get(to);
        if (submitter === undefined) {
          submitter = mapSubmitterOf(to, fn, { chunksize, signal });
          submitters.set(to, submitter);
        }
        return submitter(args);
      };
      return this.#lanes.admit({ future: new LinkedFuture(), lane, target, leased, send, signal });
    };
  }

  /** The lane a `map` runs in, and its chunk size (see {@link map}). */
  #mapLane(n: number | null, onPool: boolean, given: number): { lane: Lane; chunksize: number } {
    const cap = this.#init.config.maxWorkers;
    if (n !== null && onPool) {
      const { maxWorkers, chunksize } = mapSizing(n, "cpu", this.#caps, cap);
      return { lane: new Lane(maxWorkers * chunksize), chunksize };
    }
    if (n !== null) return { lane: new Lane(mapSizing(n, "io", this.#caps, cap).maxWorkers), chunksize: 1 };
    if (given > 1 && onPool) return { lane: new Lane(this.maxWorkers * given), chunksize: given };
    return { lane: this.#own, chunksize: given };
  }

  #enqueue(caller: string, options: SubmitOptions, fn: unknown, args: unknown[]): Future<unknown> {
    this.#checkOpen(fn, caller);
    const call = fn as (...args: unknown[]) => unknown;
    const { target, leased } = this.#route(call, args, caller);
    const send = options === NO_OPTIONS
      ? (to: Executor) => to.submit(call, ...args)
      : (to: Executor) => to.submitWith(options, call, ...args);
    return this.#lanes.admit({ future: new LinkedFuture(), lane: this.#own, target, leased, send, signal: options.signal ?? null });
  }

  /** @param holding a map begun before a shutdown, handing over the calls it holds: a shutdown lets it. */
  #checkOpen(fn: unknown, caller: string, holding = false): void {
    checkCallable(fn, caller);
    if (this.#broken !== null) throw this.#broken;
    if (this.#shutdown && !holding) throw new Error(SHUTDOWN_MESSAGE);
  }

  /**
   * Where `fn(...args)` runs; refuses (TypeError, synchronously) what the
   * flavor refuses, publishes per-task decisions.
   */
  #route(fn: Function, args: unknown[], caller: string): { target: Executor; leased: Backend | null } {
    const flavor = this.#flavor;
    if (this.#fixed !== null) {
      // A dedicated pool of a transferable-only flavor refuses here too, so a
      // queued call throws as a forwarded one does (and as the native pool does).
      if (this.#owned !== null && (flavor === "interpreters" || flavor === "processes")) {
        toCallSpec(fn, caller);
        checkArguments(args, caller, flavor === "processes" ? "process" : "thread");
      }
      return { target: this.#fixed, leased: null };
    }
    if (flavor === "interpreters" || flavor === "processes") {
      if (this.#init.closures === "event-loop") {
        if (this.#staysOnLoop(fn, args)) return { target: this.#loop(), leased: null };
      } else {
        // Checked here, so a refused call throws whether it is forwarded now or queued.
        toCallSpec(fn, caller);
        checkArguments(args, caller, flavor === "processes" ? "process" : "thread");
        if (this.#backend === "event-loop") return { target: this.#loop(), leased: null };
      }
      const backend = this.#backend as Backend;
      return { target: this.#pool(backend), leased: backend };
    }
    if (flavor === "none") return { target: this.#loop(), leased: null };
    const route = this.#backend === "event-loop"
      ? routeThreadTask(this.#init.surface, this.#init.config.threadMode, fn, args, this.#caps)
      : this.#routeAuto(fn, args);
    if (route.downgrade !== null) this.#downgrade(route.downgrade);
    // A task submitted under an ExecutionContext component is shown with it (SPEC §7).
    const component = ExecutionContext.current()?.component ?? null;
    const labelled = component !== null && component !== this.decision.component;
    if (route.backend !== this.#backend || route.downgrade !== null || labelled) this.#publishTask(route);
    if (route.backend === "event-loop") return { target: this.#loop(), leased: null };
    return { target: this.#pool(route.backend), leased: route.backend };
  }

  /**
   * `closures: "event-loop"` (toThread, toProcess): whether this call runs on
   * the event loop — the executor has no workers, or the call cannot be
   * transferred (reported as a downgrade; throws under `UNIRUN_WARNINGS=error`).
   */
  #staysOnLoop(fn: Function, args: unknown[]): boolean {
    if (this.#backend === "event-loop") return true;
    const route = this.#routeAuto(fn, args);
    if (route.downgrade === null) return false;
    this.#downgrade(route.downgrade);
    this.#publishTask(route);
    return true;
  }

  /** An `auto`/`threads` executor the rules sent to workers: closures still run, on the event loop. */
  #routeAuto(fn: Function, args: unknown[]): TaskRoute {
    const backend = this.#backend as Backend;
    const problem = notTransferable(fn, args, backend === "child-processes" ? "process" : "thread");
    if (problem === null) return { backend, reason: this.decision.reason, downgrade: null, detail: "" };
    return {
      backend: "event-loop",
      reason: "downgrade",
      detail: problem,
      downgrade: {
        surface: this.#init.surface,
        reason: "a task that is not transferable (a closure, or arguments that cannot be cloned) stays on the " +
          "event loop; use a task reference (task(url, name)) or a self-contained function",
        requested: backend,
        resolved: "event-loop",
      },
    };
  }

  /**
   * `call.send`, once more on a fresh pool when the shared pool it was given
   * turns out broken before this executor ever used it (it broke while idle):
   * a broken pool breaks its users, and is replaced for new ones.
   */
  #send(call: Call): Future<unknown> {
    const held = call.leased === null ? undefined : this.#leases.get(call.leased);
    try {
      const inner = call.send(call.target);
      if (held !== undefined) held.used = true;
      return inner;
    } catch (error) {
      if (!(error instanceof BrokenExecutor) || held === undefined || held.used) throw error;
      held.lease.markBroken();
      void held.lease.release().catch(() => undefined);
      this.#leases.delete(call.leased!);
      call.target = this.#pool(call.leased!);
      const inner = call.send(call.target);
      this.#leases.get(call.leased!)!.used = true;
      return inner;
    }
  }

  #loop(): ThreadPoolExecutor {
    // Slots on the calling thread's event loop: per executor, nothing to
    // share. The lanes limit what is in flight; the room above maxWorkers is
    // for maps sized by the XCS rule.
    const size = this.#sizesMaps ? this.maxWorkers + IO_MAP_LIMIT : this.maxWorkers;
    return (this.#eventLoop ??= new ThreadPoolExecutor({ maxWorkers: size }));
  }

  #pool(backend: Backend): Executor {
    if (backend === "event-loop") return this.#loop();
    let held = this.#leases.get(backend);
    if (held === undefined) {
      // A task routed away from the executor's own backend joins that
      // backend's automatically sized pool.
      const size = backend === this.#backend
        ? this.maxWorkers
        : sizeFor(backend, flavorOf(backend), null, this.#init.config, this.#caps);
      held = { lease: lease(backend, size, this.#init.shape), used: false };
      this.#leases.set(backend, held);
    }
    return held.lease.executor;
  }

  #breakWith(error: BrokenExecutor): void {
    if (this.#broken !== null) return;
    this.#broken = error;
    for (const held of this.#leases.values()) held.lease.markBroken();
    this.#lanes.failWaiting(error);
  }

  async #release(): Promise<void> {
    const leases = [...this.#leases.values()];
    this.#leases.clear();
    const own = [this.#eventLoop, this.#owned].filter((e): e is Executor => e !== null);
    await Promise.all([...leases.map((held) => held.lease.release()), ...own.map((e) => e.shutdown({ wait: true }))]);
    if (this.#owned !== null) untrack(this.#owned);
  }

  async #stopNow(how: "terminateWorkers" | "killWorkers"): Promise<void> {
    this.#shutdown = true;
    this.#cancelPending();
    const own = this.#owned as (Executor & Partial<Record<typeof how, () => Promise<void>>>) | null;
    const stops: Promise<void>[] = [];
    if (own !== null && typeof own[how] === "function") stops.push(own[how]!());
    for (const held of this.#leases.values()) {
      if (held.lease.shared()) continue;
      // Out of the table first, so no new holder gets the pool being stopped.
      held.lease.markBroken();
      stops.push((held.lease.executor as unknown as Record<typeof how, () => Promise<void>>)[how]());
    }
    const error = this.#brokenError(`${how}() stopped the pool`);
    for (const future of [...this.#lanes.inFlight]) future.fail(error);
    await Promise.all(stops);
    await this.#release();
  }

  #brokenError(message: string): BrokenExecutor {
    const Broken = brokenClass(this.#backend);
    return new Broken(`${this.#init.surface}: ${message}`);
  }

  #downgrade(downgrade: Downgrade): void {
    emitDowngrade(downgrade, { owner: this, mode: this.#init.config.warnings });
  }

  #publish(decision: Omit<Decision, "at">): Decision {
    const published = publishDecision(decision);
    this.#init.trace?.(published);
    return published;
  }

  #publishTask(route: TaskRoute): void {
    this.#publish({
      ...this.decision,
      resolved: route.backend,
      reason: route.reason,
      component: ExecutionContext.current()?.component ?? this.decision.component,
      scope: "task",
      ...(route.detail ? { detail: route.detail } : {}),
    });
  }
}

const NO_OPTIONS: SubmitOptions = Object.freeze({});
