/**
 * Task references (SPEC §1.1): a function exported from a module, named by the
 * module's URL and the export's name — the analogue of pickling a module-level
 * function. A worker thread or child process imports the module itself and
 * calls the export; the calling thread does the same when it runs the task, so
 * a task reference runs under every backend.
 *
 * A worker imports the module itself, so a task module must not have top-level
 * side effects (the Node analogue of Python's `if __name__ == "__main__"` guard),
 * and it gets its own copy of the module: a test runner's mocks and aliases do
 * not apply there.
 */
import { isBuiltin } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describeValue as describeType, loadTaskExport } from "./load-module.js";
import type { CallSpec } from "./types.js";

type AnyFunction = (...args: any[]) => any;

/** Options of {@link task}. */
export interface TaskOptions {
  /**
   * The task keeps a CPU busy (default `false`): a hint for schedulers that
   * route work between the event loop and workers.
   */
  cpuBound?: boolean;
}

/** The names of a module type's exports whose values are functions. */
export type FunctionExports<M> = {
  [K in keyof M & string]: M[K] extends AnyFunction ? K : never;
}[keyof M & string];

/**
 * A reference to the export `exportName` of the module at `moduleUrl`. Calling
 * it imports the module (once per thread) and calls the export with the same
 * arguments; the result is always a promise.
 */
export type TaskRef<F extends AnyFunction = AnyFunction> =
  & ((...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>)
  & {
    /** The module's absolute URL (`file:`, or `node:` for a builtin). */
    readonly moduleUrl: string;
    /** The export's name (`"default"` for a default export). */
    readonly exportName: string;
    /** From {@link TaskOptions.cpuBound}. */
    readonly cpuBound: boolean;
  };

/**
 * Import a task module (once per thread) and return the named export: what a
 * worker runs for a `{ kind: "ref" }` call spec. Rejects with a TypeError naming
 * module and export when the export is missing or not a function.
 */
export { loadTaskExport };

// Module-private: only task() can make a value that isTaskRef() accepts.
const kTaskRef = Symbol("unirun.taskRef");

/**
 * A task reference to the export `name` of `module`, typed from the module's
 * type: `task<typeof import("./fib.js")>(new URL("./fib.js", import.meta.url), "fib")`.
 *
 * `name` must name a function export of `M`. TypeScript infers no type argument
 * once one is given, so with `M` given and `K` left out the reference is typed
 * as any of `M`'s function exports (exact when the module has one). Write
 * `task<M, "fib">(url, "fib")`, or use the shorthand `task(url, { fib })`, for
 * the exact type. With no type arguments the reference is untyped.
 *
 * @param module a `file:` URL (a `URL` or its string), an absolute path, or a
 *   `node:` builtin. Relative paths and package names are rejected: a worker
 *   would resolve them from its own location.
 * @param name the export to call.
 * @throws TypeError for a relative path, a package name, a non-`file:` URL or
 *   an empty name. A missing or non-function export fails when the reference
 *   is called (the promise rejects, the future fails) with a TypeError naming
 *   module and export.
 */
export function task<M = Record<string, AnyFunction>, K extends FunctionExports<M> = FunctionExports<M>>(
  module: URL | string,
  name: K,
  options?: TaskOptions,
): TaskRef<Extract<M[K], AnyFunction>>;
/**
 * Shorthand: `task(new URL("./fib.js", import.meta.url), { fib })` takes the
 * export's name and type from the one-key object.
 *
 * @throws TypeError unless `exports` has exactly one key, whose value is a function.
 */
export function task<F extends AnyFunction>(
  module: URL | string,
  exports: Record<string, F>,
  options?: TaskOptions,
): TaskRef<F>;
export function task(module: URL | string, nameOrExports: unknown, options?: TaskOptions): TaskRef {
  const moduleUrl = toModuleUrl(module);
  const exportName = toExportName(nameOrExports);
  const cpuBound = checkOptions(options);
  return makeTaskRef(moduleUrl, exportName, cpuBound);
}

/** Whether `value` was made by {@link task}. */
export function isTaskRef(value: unknown): value is TaskRef {
  return typeof value === "function" && Object.hasOwn(value, kTaskRef);
}

/**
 * What a worker needs to rebuild `ref`: its module URL and export name.
 *
 * @throws TypeError when `ref` was not made by {@link task}.
 */
export function callSpecOf(ref: TaskRef): Extract<CallSpec, { kind: "ref" }> {
  if (!isTaskRef(ref)) throw new TypeError("callSpecOf() expects a task reference made by task()");
  return { kind: "ref", url: ref.moduleUrl, name: ref.exportName };
}

function makeTaskRef(moduleUrl: string, exportName: string, cpuBound: boolean): TaskRef {
  const ref = async (...args: unknown[]): Promise<unknown> => {
    const fn = await loadTaskExport(moduleUrl, exportName);
    return fn(...args);
  };
  Object.defineProperties(ref, {
    name: { value: exportName, configurable: true },
    moduleUrl: { value: moduleUrl, enumerable: true },
    exportName: { value: exportName, enumerable: true },
    cpuBound: { value: cpuBound, enumerable: true },
    [kTaskRef]: { value: true },
  });
  return Object.freeze(ref) as unknown as TaskRef;
}

const SCHEME = /^[a-z][a-z\d+.-]+:/i;

function toModuleUrl(module: unknown): string {
  if (module instanceof URL) return checkUrl(module, module.href);
  if (typeof module !== "string") {
    throw new TypeError(`task(module, ...): module must be a URL or a string, not ${describeType(module)}`);
  }
  if (path.isAbsolute(module)) return pathToFileURL(module).href;
  if (SCHEME.test(module)) {
    let url: URL;
    try {
      url = new URL(module);
    } catch {
      throw new TypeError(`task module "${module}" is not a valid URL`);
    }
    return checkUrl(url, module);
  }
  const fix = /^\.\.?[\\/]/.test(module)
    ? `new URL(${JSON.stringify(module)}, import.meta.url)`
    : `new URL("./x.js", import.meta.url) for a file of yours, or import.meta.resolve(${JSON.stringify(module)}) for a package`;
  throw new TypeError(
    `task module "${module}" is not a file URL or an absolute path: a worker would resolve it from its own `
      + `location, not yours; pass ${fix}`,
  );
}

function checkUrl(url: URL, given: string): string {
  if (url.protocol === "file:") return url.href;
  if (url.protocol === "node:" && isBuiltin(url.href)) return url.href;
  throw new TypeError(
    `task module "${given}" is not a file: URL; task modules are files (or node: builtins) that every worker can import`,
  );
}

function toExportName(nameOrExports: unknown): string {
  if (typeof nameOrExports === "string") {
    if (nameOrExports === "") throw new TypeError("task(module, name): name must not be empty");
    return nameOrExports;
  }
  if (typeof nameOrExports !== "object" || nameOrExports === null || Array.isArray(nameOrExports)) {
    throw new TypeError(
      `task(module, name): name must be an export's name or a one-key object such as { fib }, not ${describeType(nameOrExports)}`,
    );
  }
  const names = Object.keys(nameOrExports);
  if (names.length !== 1) {
    throw new TypeError(
      `task(module, { name: fn }) takes exactly one export, got ${names.length} (${names.join(", ") || "none"}); `
        + "make one task reference per export",
    );
  }
  const name = names[0]!;
  const value = (nameOrExports as Record<string, unknown>)[name];
  if (typeof value !== "function") {
    throw new TypeError(`task(module, { ${name} }): ${name} is not a function (it is ${describeType(value)})`);
  }
  return name;
}

function checkOptions(options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`task(module, name, options): options must be an object, not ${describeType(options)}`);
  }
  const { cpuBound } = options as TaskOptions;
  if (cpuBound !== undefined && typeof cpuBound !== "boolean") {
    throw new TypeError(`task options: cpuBound must be a boolean, not ${describeType(cpuBound)}`);
  }
  return cpuBound ?? false;
}
