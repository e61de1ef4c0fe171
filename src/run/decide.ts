/**
 * The scheduler's rules (SPEC §5), as one pure function: given what was asked
 * for, the configuration and the machine's capabilities, which backend serves
 * an executor, why, how large its pool is, and which fallbacks it took.
 *
 * Strongest rule first: explicit executor > force env > pinned mode > hints >
 * thread mode > default. Thread mode routes single tasks, so it lives in
 * `routing.ts`; here it only shapes the default.
 */
import type { Capabilities } from "./capabilities.js";
import type { Flavor, RuntimeConfig } from "./config.js";
import type { DecisionBackend, DecisionInput, ReasonCode } from "./decisions.js";
import type { Downgrade } from "./warnings.js";

/** A backend the scheduler can run work on. */
export type Backend = Exclude<DecisionBackend, "inline">;

/** What a caller asks the scheduler for. */
export interface DecisionRequest {
  /** The API asking, as the user wrote it: `"Run"`, `"ThreadPoolExecutor"`. */
  surface: string;
  /** The flavor asked for in code, or `null` for "the default" (`UNIRUN_MODE`). */
  flavor: Flavor | null;
  /** Whether `flavor` is the surface's own kind (a compat constructor) rather than a caller's choice. */
  implied: boolean;
  /** An explicit `maxWorkers`, or `null` to size automatically. */
  maxWorkers: number | null;
  /** A workload hint (`ExecutionContext.ioHeavy`), or `null`. */
  ioHeavy: boolean | null;
  /** The executor's name and component, for the decision. */
  name: string | null;
  component: string | null;
}

/** The outcome of {@link decide}. */
export interface Plan {
  /** The flavor whose semantics the executor follows after every rule. */
  flavor: Flavor;
  /** The backend serving the executor's tasks (thread-pool tasks may still be routed per task). */
  backend: Backend;
  /** The executor's own limit of tasks in flight, and the size of its pool. */
  poolSize: number;
  /** The decision to publish. */
  decision: DecisionInput;
  /** Fallbacks to report, in order. */
  downgrades: Downgrade[];
}

const FLAVOR_BACKEND: Record<Flavor, Backend> = {
  auto: "event-loop",
  threads: "event-loop",
  none: "event-loop",
  interpreters: "worker-threads",
  processes: "child-processes",
};

/** The flavor whose semantics a backend gives. */
export function flavorOf(backend: Backend): Flavor {
  return backend === "worker-threads" ? "interpreters" : backend === "child-processes" ? "processes" : "threads";
}

/** The backend a flavor runs on before capabilities are considered. */
export function backendOf(flavor: Flavor): Backend {
  return FLAVOR_BACKEND[flavor];
}

/**
 * Decide where an executor's work runs. Pure: the same request, config and
 * capabilities always give the same plan.
 *
 * Force and hint rules move an `auto` or `threads` executor to another
 * backend but keep its semantics (any function is accepted; a task that
 * cannot be transferred stays on the event loop with a downgrade warning);
 * a forced `interpreters`/`processes` executor takes the forced flavor.
 */
export function decide(request: DecisionRequest, config: RuntimeConfig, caps: Capabilities): Plan {
  const downgrades: Downgrade[] = [];
  const requested = request.flavor ?? "auto";
  let flavor: Flavor = requested;
  let backend = backendOf(requested);
  let reason: ReasonCode = request.implied || requested === "auto" ? "default" : "pinned-mode";
  let detail: string | undefined;
  const forced = config.forceThreads ? "threads" : config.forceProcess ? "processes" : null;

  if (forced !== null && requested !== "none") {
    const variable = config.forceThreads ? "UNIRUN_FORCE_THREADS" : "UNIRUN_FORCE_PROCESS";
    flavor = acceptsAnyFunction(requested) ? requested : forced;
    backend = backendOf(forced);
    reason = "force-env";
    detail = `${variable}=1`;
    if (requested !== "auto" && backendOf(requested) !== backend) {
      downgrades.push({
        surface: request.surface,
        reason: `${variable} forces ${forced} over the requested ${requested}`,
        requested: backendOf(requested),
        resolved: backend,
      });
    }
  } else if (request.flavor === null && config.mode !== "auto") {
    flavor = config.mode;
    backend = backendOf(flavor);
    reason = "pinned-mode";
    detail = `UNIRUN_MODE=${config.mode}`;
    const hinted = hintedBackend(request.ioHeavy);
    if (hinted !== null && hinted !== backend) {
      downgrades.push({
        surface: request.surface,
        reason: `UNIRUN_MODE=${config.mode} overrides the ExecutionContext hint (ioHeavy: ${request.ioHeavy})`,
        requested: hinted,
        resolved: backend,
      });
    }
  } else if (requested === "auto" && request.ioHeavy !== null) {
    backend = hintedBackend(request.ioHeavy)!;
    reason = "hint";
    detail = `ioHeavy: ${request.ioHeavy}`;
  }

  const allowed = permitted(backend, caps);
  if (allowed !== backend) {
    downgrades.push({ surface: request.surface, reason: deniedReason(backend, allowed), requested: backend, resolved: allowed });
    detail = `${backend} denied by the permission model`;
    backend = allowed;
    reason = "downgrade";
    // A transferable-only flavor keeps its semantics on a weaker backend: its
    // tasks are still checked as transferable, then run where they can.
  }

  const poolSize = sizeFor(backend, flavor, request.maxWorkers, config, caps);
  return {
    flavor,
    backend,
    poolSize,
    downgrades,
    decision: {
      requested: request.implied ? request.surface : requested,
      resolved: backend,
      reason,
      poolSize,
      name: request.name,
      component: request.component,
      scope: "executor",
      ...(detail === undefined ? {} : { detail }),
    },
  };
}

/** Flavors whose executors take any function (closures included), as a ThreadPoolExecutor does. */
function acceptsAnyFunction(flavor: Flavor): boolean {
  return flavor === "auto" || flavor === "threads";
}

function deniedReason(backend: Backend, allowed: Backend): string {
  const denied = backend === "child-processes"
    ? allowed === "event-loop" ? "child processes and worker threads" : "child processes"
    : "worker threads";
  const flags = backend === "child-processes"
    ? allowed === "event-loop" ? "--allow-child-process and --allow-worker" : "--allow-child-process"
    : "--allow-worker";
  return `Node's permission model denies ${denied} (run node with ${flags} to allow them)`;
}

function hintedBackend(ioHeavy: boolean | null): Backend | null {
  if (ioHeavy === null) return null;
  return ioHeavy ? "event-loop" : "worker-threads";
}

/**
 * The strongest backend the permission model allows, falling back
 * `child-processes` → `worker-threads` → `event-loop` (SPEC §4).
 */
export function permitted(backend: Backend, caps: Capabilities): Backend {
  if (backend === "child-processes" && !caps.childProcessesAllowed) {
    return permitted("worker-threads", caps);
  }
  if (backend === "worker-threads" && !caps.workerThreadsAllowed) return "event-loop";
  return backend;
}

/**
 * An explicit `maxWorkers` always wins; otherwise the suggested size for the
 * backend (`io` for the event loop, `cpu` for threads, `process` for
 * children), capped by `UNIRUN_MAX_WORKERS`.
 */
export function sizeFor(
  backend: Backend,
  flavor: Flavor,
  maxWorkers: number | null,
  config: RuntimeConfig,
  caps: Capabilities,
): number {
  if (maxWorkers !== null) return maxWorkers;
  const suggested = backend === "child-processes"
    ? caps.suggested.process
    : backend === "worker-threads"
    ? caps.suggested.cpu
    : flavor === "interpreters" || flavor === "processes"
    ? caps.suggested.cpu // a CPU-bound flavor downgraded to the event loop
    : caps.suggested.io;
  return config.maxWorkers === null ? suggested : Math.min(suggested, config.maxWorkers);
}
