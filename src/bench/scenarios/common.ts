/**
 * Helpers the scenario files share: a contender around one resource (a pool,
 * a worker, a child) and the workloads as task references.
 */
import { pathToFileURL } from "node:url";
import { workloadTasks, type WorkloadTasks } from "../../workloads/tasks.js";
import type { Contender, Role, ScenarioContext } from "../types.js";

/**
 * A contender that opens `resource` in setup, measures `run(resource)` and
 * closes it in teardown (only if it was opened).
 */
export function contender<T>(
  name: string,
  role: Role,
  open: () => T | Promise<T>,
  run: (resource: T) => Promise<number>,
  close: (resource: T) => unknown = () => undefined,
): Contender {
  let resource: { value: T } | null = null;
  return {
    name,
    role,
    async setup() {
      resource = { value: await open() };
    },
    run() {
      if (resource === null) throw new Error(`${name}: run() before setup()`);
      return run(resource.value);
    },
    async teardown() {
      const opened = resource;
      resource = null;
      if (opened !== null) await close(opened.value);
    },
  };
}

/** A contender with nothing to set up. */
export function plain(name: string, role: Role, run: Contender["run"]): Contender {
  return { name, role, run };
}

/** The workloads as task references to the module workers import (source or dist). */
export function tasksFor(context: ScenarioContext): WorkloadTasks {
  return workloadTasks(pathToFileURL(context.workloadsFile));
}

/** Throw when a contender computed something else than the others: a broken contender measures nothing. */
export function expectEqual(name: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${name} returned ${JSON.stringify(actual).slice(0, 80)}, expected ${JSON.stringify(expected).slice(0, 80)}`);
  }
}
