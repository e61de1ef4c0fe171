/**
 * What a managed executor is, decided once at construction (SPEC §5): where
 * its work runs and why (the {@link decide} rules, or a caller's executor, or
 * a dedicated native pool), how many of its calls may be in flight, and the
 * downgrades to report. Also the small facts `ManagedExecutor` needs about
 * other executors.
 */
import { ThreadPoolExecutor } from "../executors/event-loop.js";
import { ProcessPoolExecutor } from "../executors/child-processes.js";
import { InterpreterPoolExecutor } from "../executors/worker-threads.js";
import {
  BrokenExecutor,
  BrokenInterpreterPool,
  BrokenProcessPool,
  BrokenThreadPool,
} from "../futures/errors.js";
import type { Executor, MapOptions } from "../futures/executor.js";
import type { Future } from "../futures/future.js";
import type { MapChunker } from "../futures/map.js";
import type { Capabilities } from "./capabilities.js";
import type { Flavor, RuntimeConfig } from "./config.js";
import { ExecutionContext } from "./context.js";
import { type Backend, decide } from "./decide.js";
import type { Decision, DecisionBackend, DecisionInput } from "./decisions.js";
import type { PoolShape } from "./pools.js";
import type { Downgrade } from "./warnings.js";

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
  /**
   * What an `interpreters`/`processes` executor does with a call it cannot
   * transfer (a closure, arguments that cannot be cloned): `"reject"` (the
   * default, native semantics) throws the §1.1 TypeError; `"event-loop"` runs
   * it on the event loop with a downgrade warning (managed toThread/toProcess).
   */
  closures?: "reject" | "event-loop";
}

/** What {@link planExecutor} decides. */
export interface ExecutorPlan {
  /** The flavor whose semantics the executor follows. */
  flavor: Flavor;
  /** Where its work runs (`inline` for a caller's executor unirun does not know). */
  backend: DecisionBackend;
  /** The executor's own limit of calls in flight. */
  maxWorkers: number;
  /** Whether `map` may size itself by the XCS rule: no explicit size, no caller's or dedicated pool, not `none`. */
  sizesMaps: boolean;
  /** Makes the dedicated native pool, when the executor needs one. */
  dedicated: (() => Executor) | null;
  decision: Omit<DecisionInput, "at">;
  /** Fallbacks to report, in order. */
  downgrades: Downgrade[];
}

/** Decide what the managed executor built from `init` is. Reads the caller's `ExecutionContext`. */
export function planExecutor(init: ManagedInit, caps: Capabilities): ExecutorPlan {
  const context = ExecutionContext.current();
  const component = context?.component ?? null;
  if (init.executor !== null) {
    const backend = backendOfExecutor(init.executor);
    const maxWorkers = init.maxWorkers ?? sizeOfExecutor(init.executor);
    return {
      flavor: init.flavor ?? "auto",
      backend,
      maxWorkers,
      sizesMaps: false,
      dedicated: null,
      downgrades: [],
      decision: {
        requested: init.implied ? init.surface : init.flavor ?? "auto",
        resolved: backend,
        reason: "explicit-executor",
        poolSize: maxWorkers,
        name: init.name,
        component,
        scope: "executor",
        detail: `a caller's ${init.executor.constructor.name}, used as it is`,
      },
    };
  }
  const request = {
    surface: init.surface,
    flavor: init.flavor,
    implied: init.implied,
    maxWorkers: init.maxWorkers,
    ioHeavy: context?.ioHeavy ?? null,
    name: init.name,
    component,
  };
  const plan = decide(request, init.config, caps);
  const base = { flavor: plan.flavor, maxWorkers: plan.poolSize, downgrades: plan.downgrades };
  if (init.dedicated !== null) {
    const { reason, backend, make } = init.dedicated;
    const downgrade = { surface: init.surface, reason, requested: `a shared ${plan.backend} pool`, resolved: `a dedicated ${backend} pool` };
    return {
      ...base,
      backend,
      sizesMaps: false,
      dedicated: make,
      downgrades: [...plan.downgrades, downgrade],
      decision: { ...plan.decision, resolved: backend, reason: "downgrade", detail: reason },
    };
  }
  return {
    ...base,
    backend: plan.backend,
    sizesMaps: init.maxWorkers === null && plan.flavor !== "none",
    dedicated: null,
    decision: plan.decision,
  };
}

/** The backend a caller's executor runs on, for its decision (`inline` for one unirun does not know). */
function backendOfExecutor(executor: Executor): DecisionBackend {
  const decision = (executor as { decision?: Decision }).decision;
  if (decision !== undefined && typeof decision === "object" && decision !== null) return decision.resolved;
  if (executor instanceof InterpreterPoolExecutor) return "worker-threads";
  if (executor instanceof ProcessPoolExecutor) return "child-processes";
  if (executor instanceof ThreadPoolExecutor) return "event-loop";
  return "inline";
}

function sizeOfExecutor(executor: Executor): number {
  const size = (executor as { maxWorkers?: unknown }).maxWorkers;
  return typeof size === "number" && size > 0 ? size : Number.MAX_SAFE_INTEGER;
}

/** The Broken* class natives of this backend raise. */
export function brokenClass(backend: DecisionBackend): new (message: string) => BrokenExecutor {
  if (backend === "worker-threads") return BrokenInterpreterPool;
  if (backend === "child-processes") return BrokenProcessPool;
  if (backend === "event-loop") return BrokenThreadPool;
  return BrokenExecutor;
}

/** Whether `executor` is a native worker-thread or child-process pool (where `chunksize` applies). */
export function isPool(executor: Executor): boolean {
  return executor instanceof InterpreterPoolExecutor || executor instanceof ProcessPoolExecutor;
}

/** `executor`'s own `map` chunker (protected on Executor); `executor` is a native pool ({@link isPool}). */
export function mapChunkerOf(executor: Executor, fn: (...args: any[]) => unknown, options: MapOptions): MapChunker {
  const open = executor as unknown as { mapChunker(fn: unknown, options: MapOptions): MapChunker | null };
  const chunker = open.mapChunker(fn, options);
  if (chunker === null) throw new Error(`unirun: ${executor.constructor.name} has no chunk-level map`);
  return chunker;
}

/** `executor`'s own `map` submitter (protected on Executor): chunks on pools, plain submits elsewhere. */
export function mapSubmitterOf(
  executor: Executor,
  fn: (...args: any[]) => unknown,
  options: MapOptions,
): (args: unknown[]) => Future<unknown> {
  const open = executor as unknown as { mapSubmitter(fn: unknown, options: MapOptions): (args: unknown[]) => Future<unknown> };
  return open.mapSubmitter(fn, options);
}
