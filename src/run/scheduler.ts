/**
 * The scheduler's process-wide state (SPEC §5): the configuration read from
 * the environment, the default executor behind `submit`/`map`, and `reset()`.
 * The rules live in `decide.ts` and `routing.ts`, the pools in `pools.ts`.
 */
import type { AnyIterable, MapOptions } from "../futures/executor.js";
import type { Future } from "../futures/future.js";
import type { MapResults } from "../futures/map.js";
import { resetCapabilities } from "./capabilities.js";
import { RuntimeConfig } from "./config.js";
import { outsideContexts, scopes } from "./context.js";
import { resetDecisions } from "./decisions.js";
import { ManagedExecutor } from "./managed.js";
import { teardownPools } from "./pools.js";
import { resetDowngrades } from "./warnings.js";

let config: RuntimeConfig | null = null;
let fallback: ManagedExecutor | null = null;
// Process-wide executors made elsewhere (managed toThread/toProcess): each hook
// hands its executors over to reset() and forgets them.
const resetHooks = new Set<() => ManagedExecutor[]>();

/** The configuration managed mode runs on: `RuntimeConfig.fromEnv()`, read once until {@link reset}. */
export function currentConfig(): RuntimeConfig {
  config ??= RuntimeConfig.fromEnv();
  return config;
}

/**
 * The executor `submit`/`map` use: the innermost `Run.scope` of the calling
 * async context, else a process-wide managed executor (flavor `UNIRUN_MODE`)
 * made on first use and kept until {@link reset}.
 */
export function defaultExecutor(): ManagedExecutor {
  const scoped = scopes.getStore();
  if (scoped instanceof ManagedExecutor) return scoped;
  // Decided once, outside the caller's ExecutionContext: the context is read
  // per task (routing, decisions), never baked into the process-wide executor.
  fallback ??= outsideContexts(() => new ManagedExecutor({
    surface: "submit",
    flavor: null,
    implied: false,
    maxWorkers: null,
    name: "default",
    config: currentConfig(),
    executor: null,
    dedicated: null,
    shape: {},
    trace: null,
  }));
  return fallback;
}

/**
 * Submit `fn(...args)` to the current `Run.scope`'s executor, or to the
 * scheduler's default executor outside any scope.
 */
export function submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
  return defaultExecutor().submit(fn, ...args);
}

/** `Executor.map` on the current `Run.scope`'s executor, or on the default executor. */
export function map<R>(fn: (...args: any[]) => R, ...iterablesAndOptions: [...AnyIterable<unknown>[], MapOptions] | AnyIterable<unknown>[]): MapResults<Awaited<R>> {
  return defaultExecutor().map(fn, ...(iterablesAndOptions as unknown[]));
}

/**
 * For tests: tear down every pool the scheduler made (running calls fail with
 * their pool's Broken* error), drop the default executor, forget cached
 * capabilities, decisions and downgrade warnings, and re-read the environment
 * on next use.
 */
export async function reset(): Promise<void> {
  const previous = [fallback, ...[...resetHooks].flatMap((drop) => drop())];
  fallback = null;
  config = null;
  resetCapabilities();
  resetDecisions();
  resetDowngrades();
  await teardownPools();
  await Promise.all(previous.map((executor) => executor?.shutdown({ wait: false, cancelFutures: true })));
}

/**
 * Have {@link reset} shut down the process-wide executors `drop` hands over
 * (it must forget them, so the next use makes new ones on the new config).
 */
export function onReset(drop: () => ManagedExecutor[]): void {
  resetHooks.add(drop);
}
