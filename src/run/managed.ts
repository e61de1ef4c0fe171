/**
 * `ManagedExecutor`: the Executor behind managed compat classes and `Run`
 * (SPEC §4, §5). At construction the scheduler decides where its work runs;
 * each task is then forwarded to the pool serving it — a shared pool leased
 * from the scheduler, the executor's own event-loop slots, a dedicated native
 * pool, or a caller's executor — never more than `maxWorkers` at once, so
 * executors sharing a pool each keep their own limit.
 *
 * The futures it returns mirror the pool's (see `LinkedFuture`), so results,
 * errors and cancellation are the native ones.
 */
import { ThreadPoolExecutor } from "../executors/event-loop.js";
import { checkArguments } from "../executors/transport/arguments.js";
import { toCallSpec } from "../executors/transport/call-spec.js";
import { ProcessPoolExecutor } from "../executors/child-processes.js";
import { InterpreterPoolExecutor } from "../executors/worker-threads.js";
import {
  BrokenExecutor,
  BrokenInterpreterPool,
  BrokenProcessPool,
  BrokenThreadPool,
} from "../futures/errors.js";
import {
  checkCallable,
  checkShutdownOptions,
  checkSubmitOptions,
  Executor,
  SHUTDOWN_MESSAGE,
  type ShutdownOptions,
  type SubmitOptions,
} from "../futures/executor.js";
import { Fifo } from "../futures/fifo.js";
import { type Future, kOnCancel, kOutcome } from "../futures/future.js";
import { capabilities, type Capabilities } from "./capabilities.js";
import type { Flavor, RuntimeConfig } from "./config.js";
import { ExecutionContext } from "./context.js";
import { type Backend, decide, flavorOf, sizeFor } from "./decide.js";
import { type Decision, type DecisionBackend, publishDecision } from "./decisions.js";
import { LinkedFuture } from "./linked-future.js";
import { lease, type Lease, type PoolShape, track, untrack } from "./pools.js";
import { routeThreadTask, notTransferable, type TaskRoute } from "./routing.js";
import { emitDowngrade, type Downgrade } from "./warnings.js";

/** How a managed executor is built (what compat and `Run` pass in). */
export interface ManagedInit {
  /** The API as the user wrote it: `"ThreadPoolExecutor"`, `"Run"`. */
  surface: string;
  /** The flavor asked for; `null` for the default (`UNIRUN_MODE`). */
  flavor: Flavor | null;
  /** Whether `flavor` is the surface's own kind (a compat constructor). */
  implied: boolean;
  /** An explicit size, or `null`. */
  maxWorkers: number | null;
  name: string | null;
  config: RuntimeConfig;
  /** A caller's executor: used as it is, never shut down. */
  executor: Executor | null;
  /** A native pool of the caller's own (initializer, execArgv, ...), with the reason it cannot be shared. */
  dedicated: { reason: string; backend: Backend; make: () => Executor } | null;
  /** Options that shape a shared pool. */
  shape: PoolShape;
  /** Called with every decision of this executor. */
  trace: ((decision: Decision) => void) | null;
}

interface Queued {
  future: LinkedFuture<unknown>;
  onAbort: (() => void) | null;
  target: Executor;
  options: SubmitOptions;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
}

export class ManagedExecutor extends Executor {
  /** Where this executor's work runs, and why (SPEC §5). */
  readonly decision: Decision;
  /** Tasks of this executor in flight at most. */
  readonly maxWorkers: number;
  readonly #init: ManagedInit;
  readonly #caps: Capabilities;
  readonly #flavor: Flavor;
  readonly #backend: DecisionBackend;
  readonly #fixed: Executor | null;
  readonly #owned: Executor | null;
  readonly #queue = new Fifo<Queued>();
  readonly #inFlight = new Set<LinkedFuture<unknown>>();
  readonly #leases = new Map<Backend, Lease>();
  readonly #idle: (() => void)[] = [];
  #eventLoop: ThreadPoolExecutor | null = null;
  #broken: BrokenExecutor | null = null;
  #shutdown = false;
  readonly #noticeCancel = (future: Future<unknown>): void => {
    future.setRunningOrNotifyCancel();
  };
  readonly #settled = (future: LinkedFuture<unknown>): void => {
    this.#inFlight.delete(future);
    const outcome = future.inner;
    if (outcome !== null && !outcome.cancelled()) {
      const error = failure(outcome);
      if (error instanceof BrokenExecutor) this.#breakWith(error);
    }
    this.#pump();
  };

  constructor(init: ManagedInit) {
    super();
    this.#init = init;
    this.#caps = capabilities();
    const component = ExecutionContext.current()?.component ?? null;
    if (init.executor !== null) {
      this.#fixed = init.executor;
      this.#owned = null;
      this.#flavor = init.flavor ?? "auto";
      this.#backend = backendOfExecutor(init.executor);
      this.maxWorkers = init.maxWorkers ?? sizeOfExecutor(init.executor);
      this.decision = this.#publish({
        requested: init.implied ? init.surface : init.flavor ?? "auto",
        resolved: this.#backend,
        reason: "explicit-executor",
        poolSize: this.maxWorkers,
        name: init.name,
        component,
        scope: "executor",
        detail: `a caller's ${init.executor.constructor.name}, used as it is`,
      });
      return;
    }
    const plan = decide(
      {
        surface: init.surface,
        flavor: init.flavor,
        implied: init.implied,
        maxWorkers: init.maxWorkers,
        ioHeavy: ExecutionContext.current()?.ioHeavy ?? null,
        name: init.name,
        component,
      },
      init.config,
      this.#caps,
    );
    for (const downgrade of plan.downgrades) this.#downgrade(downgrade);
    this.#flavor = plan.flavor;
    this.maxWorkers = plan.poolSize;
    if (init.dedicated !== null) {
      const { reason, backend, make } = init.dedicated;
      this.#downgrade({
        surface: init.surface,
        reason,
        requested: `a shared ${plan.backend} pool`,
        resolved: `a dedicated ${backend} pool`,
      });
      this.#owned = track(make());
      this.#fixed = this.#owned;
      this.#backend = backend;
      this.decision = this.#publish({ ...plan.decision, resolved: backend, reason: "downgrade", detail: reason });
      return;
    }
    this.#fixed = null;
    this.#owned = null;
    this.#backend = plan.backend;
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

  #enqueue(caller: string, options: SubmitOptions, fn: unknown, args: unknown[]): Future<unknown> {
    checkCallable(fn, caller);
    if (this.#broken !== null) throw this.#broken;
    if (this.#shutdown) throw new Error(SHUTDOWN_MESSAGE);
    const call = fn as (...args: unknown[]) => unknown;
    const target = this.#target(call, args, caller);
    const future = new LinkedFuture<unknown>();
    const item: Queued = { future, onAbort: null, target, options, fn: call, args };
    if (this.#inFlight.size < this.maxWorkers && this.#queue.size === 0) {
      this.#forward(item);
    } else {
      future[kOnCancel] = this.#noticeCancel;
      if (options.signal) {
        // While it waits here, an abort cancels it; once forwarded, its pool watches the signal.
        item.onAbort = () => future.cancel();
        options.signal.addEventListener("abort", item.onAbort, { once: true });
      }
      this.#queue.push(item);
    }
    return future;
  }

  /** The executor that runs `fn(...args)`; refuses what the flavor refuses. */
  #target(fn: Function, args: unknown[], caller: string): Executor {
    if (this.#fixed !== null) return this.#fixed;
    const flavor = this.#flavor;
    if (flavor === "interpreters" || flavor === "processes") {
      const transport = flavor === "processes" ? "process" : "thread";
      if (this.#backend !== "event-loop") return this.#pool(this.#backend as Backend);
      // Denied by the permission model: still transferable-only, as natively.
      toCallSpec(fn, caller);
      checkArguments(args, caller, transport);
      return this.#loop();
    }
    if (flavor === "none") return this.#loop();
    const route = this.#backend === "event-loop"
      ? routeThreadTask(this.#init.surface, this.#init.config.threadMode, fn, args, this.#caps)
      : this.#routeAuto(fn, args);
    if (route.downgrade !== null) this.#downgrade(route.downgrade);
    if (route.backend !== this.#backend || route.downgrade !== null) this.#publishTask(route);
    return route.backend === "event-loop" ? this.#loop() : this.#pool(route.backend);
  }

  /** An `auto` executor the rules sent to workers: closures still run, on the event loop. */
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

  #forward(item: Queued): void {
    const { future, target, options, fn, args } = item;
    if (item.onAbort !== null) options.signal?.removeEventListener("abort", item.onAbort);
    let inner: Future<unknown>;
    try {
      inner = target.submitWith(options, fn, ...args);
    } catch (error) {
      if (error instanceof BrokenExecutor) this.#breakWith(error);
      future.fail(error);
      return;
    }
    this.#inFlight.add(future);
    future.link(inner, this.#settled);
  }

  #pump(): void {
    while (this.#inFlight.size < this.maxWorkers) {
      const item = this.#queue.shift();
      if (item === undefined) break;
      if (item.future.done()) continue;
      item.future[kOnCancel] = null;
      if (this.#broken !== null) item.future.fail(this.#broken);
      else this.#forward(item);
    }
    if (this.#inFlight.size === 0 && this.#queue.size === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #loop(): ThreadPoolExecutor {
    // Slots on the calling thread's event loop: per executor, nothing to share.
    return (this.#eventLoop ??= new ThreadPoolExecutor({ maxWorkers: this.maxWorkers }));
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
      held = lease(backend, size, this.#init.shape);
      this.#leases.set(backend, held);
    }
    return held.executor;
  }

  #breakWith(error: BrokenExecutor): void {
    if (this.#broken !== null) return;
    this.#broken = error;
    for (const held of this.#leases.values()) held.markBroken();
    for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
      item.future[kOnCancel] = null;
      item.future.fail(error);
    }
  }

  #cancelPending(): void {
    for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
      item.future[kOnCancel] = null;
      if (item.future.cancel()) item.future.setRunningOrNotifyCancel();
    }
    for (const future of [...this.#inFlight]) future.cancel();
    this.#pump();
  }

  #whenIdle(): Promise<void> {
    if (this.#inFlight.size === 0 && this.#queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #release(): Promise<void> {
    const leases = [...this.#leases.values()];
    this.#leases.clear();
    const own = [this.#eventLoop, this.#owned].filter((e): e is Executor => e !== null);
    await Promise.all([...leases.map((held) => held.release()), ...own.map((e) => e.shutdown({ wait: true }))]);
    if (this.#owned !== null) untrack(this.#owned);
  }

  async #stopNow(how: "terminateWorkers" | "killWorkers"): Promise<void> {
    this.#shutdown = true;
    this.#cancelPending();
    const own = this.#owned as (Executor & Partial<Record<typeof how, () => Promise<void>>>) | null;
    const stops: Promise<void>[] = [];
    if (own !== null && typeof own[how] === "function") stops.push(own[how]!());
    for (const held of this.#leases.values()) {
      if (!held.shared()) stops.push((held.executor as unknown as Record<typeof how, () => Promise<void>>)[how]());
    }
    const error = this.#brokenError(`${how}() stopped the pool`);
    for (const future of [...this.#inFlight]) future.fail(error);
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

function failure(future: Future<unknown>): unknown {
  const outcome = future[kOutcome]();
  return outcome?.failed ? outcome.value : undefined;
}

/** The backend a caller's executor runs on, for its decision (`inline` for one unirun does not know). */
function backendOfExecutor(executor: Executor): DecisionBackend {
  if (executor instanceof ManagedExecutor) return executor.decision.resolved;
  if (executor instanceof InterpreterPoolExecutor) return "worker-threads";
  if (executor instanceof ProcessPoolExecutor) return "child-processes";
  if (executor instanceof ThreadPoolExecutor) return "event-loop";
  return "inline";
}

/** The Broken* class natives of this backend raise. */
function brokenClass(backend: DecisionBackend): new (message: string) => BrokenExecutor {
  if (backend === "worker-threads") return BrokenInterpreterPool;
  if (backend === "child-processes") return BrokenProcessPool;
  if (backend === "event-loop") return BrokenThreadPool;
  return BrokenExecutor;
}

function sizeOfExecutor(executor: Executor): number {
  const size = (executor as { maxWorkers?: unknown }).maxWorkers;
  return typeof size === "number" && size > 0 ? size : Number.MAX_SAFE_INTEGER;
}
