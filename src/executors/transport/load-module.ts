/**
 * Loading task modules (SPEC §1.1), the same way on the calling thread, in a
 * worker thread and in a child process: every thread imports the module
 * itself, once, and looks the export up by name.
 *
 * TypeScript task modules (`.ts`, `.mts`, `.cts`) load by the first of:
 *
 * 1. the runtime's own `import()`: Node's type stripping (on by default from
 *    Node 22.18 / 23.6), or a loader already active in this thread (tsx via
 *    `--import tsx`, vite under vitest). Trying it first keeps the module the
 *    same instance as the caller's own `import` of it;
 * 2. tsx, where it is installed (an optional peer dependency, imported
 *    lazily): what `tsImport` does, but registered once per thread under one
 *    namespace. It covers what stripping cannot (enums, `export =`, `./x.js`
 *    imports that name `./x.ts`, `import` in `.cts`, files under node_modules)
 *    and Node 20 worker threads, where tsx registers no ESM hooks even with
 *    `--import tsx` (it does from Node 22.22.3 / 24.11.1);
 * 3. otherwise a `TypeError` naming the module and the fix.
 *
 * "As built JavaScript": a URL naming a `.js`/`.mjs`/`.cjs` file that exists
 * loads natively. A URL naming `x.js` where only `x.ts` exists (TypeScript
 * sources written the way `tsc` wants: `new URL("./x.js", import.meta.url)`)
 * loads `x.ts` by the rules above. A `.ts` URL is never swapped for a `.js`
 * sibling, which could be stale.
 *
 * A worker loads its own copy of the module, outside any test runner: vitest's
 * mocks and aliases apply on the calling thread only.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

type ModuleNamespace = Record<string, unknown>;

/** tsx's namespaced loaders: its ESM `import` and its CommonJS `require`. */
interface Tsx {
  import: (specifier: string, parentURL: string) => Promise<ModuleNamespace>;
  require: (id: string, fromFile: string) => unknown;
}

// Variables, not literals: bundlers must leave the optional peer alone.
const TSX_ESM_API = "tsx/esm/api";
const TSX_CJS_API = "tsx/cjs/api";
const TSX_NAMESPACE = "unirun";
const TS_FILE = /\.(?:c|m)?tsx?$/;
const TS_SIBLING: Readonly<Record<string, string>> = { ".js": ".ts", ".mjs": ".mts", ".cjs": ".cts" };
// Errors raised while loading or linking (before the module runs) that tsx may not hit.
const FALLBACK_CODES = new Set([
  "ERR_UNKNOWN_FILE_EXTENSION",
  "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX",
  "ERR_INVALID_TYPESCRIPT_SYNTAX",
  "ERR_UNSUPPORTED_NODE_MODULES_TYPESCRIPT",
  "ERR_MODULE_NOT_FOUND",
]);
const LOADER_FIX = "install tsx (npm i -D tsx), run on Node >= 22.18, or point the task at the built .js file";

const modules = new Map<string, Promise<ModuleNamespace>>();
let tsxLoaders: Promise<Tsx | null> | undefined;

/**
 * Import a task module, once per URL per thread: later calls share the first
 * call's promise. A failed load is forgotten, so a later call tries again.
 *
 * @param url an absolute URL (`file:`, or a `node:` builtin).
 * @returns the module namespace.
 * @throws (rejects) TypeError when a TypeScript module cannot be loaded here;
 *   Error naming the module, with the original as `cause`, when loading or
 *   evaluating it fails.
 */
export function importTaskModule(url: string): Promise<ModuleNamespace> {
  let loading = modules.get(url);
  if (loading === undefined) {
    loading = loadModule(url);
    modules.set(url, loading);
    loading.catch(() => modules.delete(url));
  }
  return loading;
}

/**
 * Import a task module and return the named export, which must be a function.
 *
 * @throws (rejects) TypeError naming module and export when the export is
 *   missing or not a function; the errors of {@link importTaskModule}.
 */
export async function loadTaskExport(url: string, name: string): Promise<(...args: unknown[]) => unknown> {
  const namespace = await importTaskModule(url);
  if (!Object.hasOwn(namespace, name)) {
    const names = Object.keys(namespace).sort();
    const exports = names.length > 0 ? `exports: ${names.join(", ")}` : "it has no exports";
    throw new TypeError(`task module ${url} has no export "${name}" (${exports})`);
  }
  const value = namespace[name];
  if (typeof value !== "function") {
    throw new TypeError(`export "${name}" of ${url} is not a function (it is ${describeValue(value)})`);
  }
  return value as (...args: unknown[]) => unknown;
}

/** "a number", "an object", "null", ...: what a value is, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

async function loadModule(url: string): Promise<ModuleNamespace> {
  const target = resolveTaskFile(url);
  if (TS_FILE.test(new URL(target).pathname)) return loadTypeScript(target, url);
  try {
    return await import(target);
  } catch (error) {
    throw loadFailure(url, error);
  }
}

/** The URL to import: `url` itself, or the TypeScript source a missing `.js` URL names. */
function resolveTaskFile(url: string): string {
  if (!url.startsWith("file:")) return url;
  const file = fileURLToPath(url);
  if (existsSync(file)) return url;
  const sibling = TS_SIBLING[path.extname(file)];
  if (sibling === undefined) return url;
  const source = file.slice(0, -path.extname(file).length) + sibling;
  if (!existsSync(source)) return url;
  const swapped = new URL(url);
  swapped.pathname = pathToFileURL(source).pathname;
  return swapped.href;
}

async function loadTypeScript(target: string, url: string): Promise<ModuleNamespace> {
  let nativeError: unknown;
  try {
    return await import(target);
  } catch (error) {
    if (!canFallBack(error)) throw loadFailure(url, error);
    nativeError = error;
  }
  let tsx: Tsx | null;
  try {
    tsx = await loadTsx();
  } catch (error) {
    throw loadFailure(url, error);
  }
  if (tsx === null) throw noLoader(url, nativeError);
  try {
    if (/\.cts$/.test(new URL(target).pathname)) return namespaceOf(tsx.require(fileURLToPath(target), target));
    return await tsx.import(target, target);
  } catch (error) {
    throw loadFailure(url, error);
  }
}

/**
 * Whether tsx may succeed where the runtime's own import failed. A SyntaxError
 * is included for what stripping leaves as is (`import` in a .cts file): a
 * task module has no top-level side effects, so a second evaluation is harmless.
 */
function canFallBack(error: unknown): boolean {
  return FALLBACK_CODES.has(errorCode(error)) || error instanceof SyntaxError;
}

/** Why a TypeScript module cannot load without tsx, and the fix. */
function noLoader(url: string, nativeError: unknown): Error {
  const code = errorCode(nativeError);
  if (code === "ERR_MODULE_NOT_FOUND") return loadFailure(url, nativeError);
  const reason = code === "ERR_UNKNOWN_FILE_EXTENSION"
    ? `Node ${process.version} cannot import it natively and tsx is not installed`
    : `${(nativeError as Error).message}, and tsx is not installed`;
  return new TypeError(`cannot load TypeScript task module ${url}: ${reason}; ${LOADER_FIX}`, { cause: nativeError });
}

/** A CommonJS module's exports as an ESM namespace would show them. */
function namespaceOf(exports: unknown): ModuleNamespace {
  const namespace: ModuleNamespace = typeof exports === "object" && exports !== null ? { ...exports } : {};
  if (!Object.hasOwn(namespace, "default")) namespace.default = exports;
  return namespace;
}

function loadFailure(url: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`cannot load task module ${url}: ${reason}`, { cause });
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/**
 * tsx, registered once per thread under one namespace (as `tsImport` does, but
 * shared), so task modules share their dependencies as ordinary imports would.
 * Resolved from unirun itself (tsx is its optional peer); null when tsx is not
 * installed.
 */
function loadTsx(): Promise<Tsx | null> {
  tsxLoaders ??= importTsx();
  return tsxLoaders;
}

async function importTsx(): Promise<Tsx | null> {
  type Register<T> = { register: (options: { namespace: string }) => T };
  const esm = await importOptional<Register<Pick<Tsx, "import">>>(TSX_ESM_API);
  const cjs = esm && await importOptional<Register<Pick<Tsx, "require">>>(TSX_CJS_API);
  if (!esm || !cjs) return null;
  // Both hooks: a .ts file in a package without "type": "module" is CommonJS,
  // and tsx's ESM hook hands it to the CommonJS one under the same namespace.
  const commonjs = cjs.register({ namespace: TSX_NAMESPACE });
  const modules = esm.register({ namespace: TSX_NAMESPACE });
  return { import: modules.import, require: commonjs.require };
}

/** The module, or null when it is not installed; a broken install still throws. */
async function importOptional<T>(specifier: string): Promise<T | null> {
  try {
    return await import(specifier);
  } catch (error) {
    if (errorCode(error) === "ERR_MODULE_NOT_FOUND") return null;
    throw error;
  }
}

function resolveFrom(file: string, specifier: string): string | null {
  try {
    return createRequire(file).resolve(specifier);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// execArgv for workers and children

// Flags whose value may follow as a separate argument.
const VALUE_FLAGS = new Set([
  "--import", "--loader", "--experimental-loader", "--require", "-r",
  "--inspect-port", "--debug-port", "--eval", "-e", "--print", "-p",
]);
const PRELOAD_FLAGS = new Set(["--import", "--loader", "--experimental-loader", "--require", "-r"]);

interface Flag {
  name: string;
  value: string | undefined;
  args: string[];
}

/**
 * The `execArgv` of a worker thread: `undefined` — Node's default, the
 * parent's flags inherited as they are, which Node accepts whatever they are —
 * unless a flag must be added (a TypeScript loader, `extra`). An explicit list
 * is checked, and Node refuses a V8 or per-process flag in it
 * (`--expose-gc`, `--max-old-space-size`, ...): those are left out of it.
 */
export function threadExecArgv(extra: readonly string[] = []): string[] | undefined {
  const flags = workerExecArgv();
  const added = flags.filter((flag) => !process.execArgv.includes(flag));
  if (added.length === 0 && (extra.length === 0 || flags.some((flag) => flag.includes("tsx")))) return undefined;
  const kept: string[] = [];
  for (const flag of parseFlags(flags)) if (!isProcessWideFlag(flag.name)) kept.push(...flag.args);
  return kept.some((flag) => flag.includes("tsx")) ? kept : [...kept, ...extra];
}

/**
 * Flags Node refuses in a worker's explicit `execArgv`: V8 heap, GC and stack
 * settings and per-process options (a worker inherits them, or has its own
 * `resourceLimits`).
 */
function isProcessWideFlag(name: string): boolean {
  const flag = name.replace(/_/g, "-");
  return /^--(expose-gc|max-old-space-size|max-semi-space-size|stack-size|title|v8-pool-size|disallow-code-generation-from-strings|jitless|single-threaded|predictable|no-opt|max-lazy|huge-max-old-generation-size)$/.test(flag)
    || /^--(no-)?(harmony|trace|expose)-/.test(flag);
}

/**
 * The `execArgv` a worker thread or child process needs so that task modules
 * (and unirun's own worker entry) load there as they do here.
 *
 * - The parent's `process.execArgv`, minus debugger flags (`--inspect*`,
 *   `--debug*`: a child must not claim the parent's port) and minus
 *   `-e`/`--eval`/`-p`/`--print` (a child runs its own entry, not the parent's
 *   script).
 * - When the parent loads TypeScript through tsx (`--import tsx`, `--loader
 *   tsx`, the `tsx` command), or unirun itself runs from its TypeScript sources
 *   (under vitest), the tsx flags become `["--import", <tsx's loader as an
 *   absolute file URL>]`, so a child with another working directory finds it.
 * - tsx given in `NODE_OPTIONS` is left there: workers and children inherit it.
 *
 * Worker threads reject per-process flags (`--max-old-space-size`, `--title`, ...)
 * in an explicit list: they take {@link threadExecArgv}. Child processes
 * accept everything returned.
 */
export function workerExecArgv(): string[] {
  const kept: string[] = [];
  let tsxFlags: string[] = [];
  for (const flag of parseFlags(process.execArgv)) {
    if (isDebugFlag(flag.name) || isEvalFlag(flag.name)) continue;
    if (isTsxPreload(flag)) tsxFlags = tsxFlags.concat(flag.args);
    else kept.push(...flag.args);
  }
  if (parseFlags(tokenize(process.env.NODE_OPTIONS ?? "")).some(isTsxPreload)) return kept;
  if (tsxFlags.length === 0 && !runningFromTypeScript()) return kept;
  const loader = tsxLoaderUrl();
  if (loader !== null) return [...kept, "--import", loader];
  return [...kept, ...tsxFlags];
}

function parseFlags(argv: readonly string[]): Flag[] {
  const flags: Flag[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    if (eq > 0) {
      flags.push({ name: arg.slice(0, eq), value: arg.slice(eq + 1), args: [arg] });
    } else if (VALUE_FLAGS.has(arg) && i + 1 < argv.length) {
      flags.push({ name: arg, value: argv[i + 1], args: [arg, argv[i + 1]!] });
      i++;
    } else {
      flags.push({ name: arg, value: undefined, args: [arg] });
    }
  }
  return flags;
}

function tokenize(options: string): string[] {
  return (options.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((token) => token.replace(/^(["'])(.*)\1$/, "$2"));
}

function isDebugFlag(name: string): boolean {
  return name.startsWith("--inspect") || name.startsWith("--debug");
}

function isEvalFlag(name: string): boolean {
  return name === "-e" || name === "--eval" || name === "-p" || name === "--print" || name === "--input-type";
}

function isTsxPreload(flag: Flag): boolean {
  const value = flag.value;
  if (!PRELOAD_FLAGS.has(flag.name) || value === undefined) return false;
  return value === "tsx" || value.startsWith("tsx/") || /[\\/]node_modules[\\/]tsx[\\/]/.test(value);
}

/** True when this file runs as TypeScript source (vitest, tsx), not from the build. */
function runningFromTypeScript(): boolean {
  return TS_FILE.test(new URL(import.meta.url).pathname);
}

/** tsx's `--import` entry as a file URL, resolved from the working directory, then from unirun. */
function tsxLoaderUrl(): string | null {
  const resolved = resolveFrom(path.join(process.cwd(), "noop.js"), "tsx")
    ?? resolveFrom(fileURLToPath(import.meta.url), "tsx");
  return resolved === null ? null : pathToFileURL(resolved).href;
}
