/**
 * `capabilities()` (SPEC §5): what this process can do — Node version and
 * runtime, CPUs and cgroup limits, whether the permission model lets it start
 * worker threads and child processes, a few language features — and the pool
 * sizes that follow. Measured once and cached until {@link resetCapabilities};
 * never throws (a probe that fails reports the conservative answer).
 *
 * Version rules use `semver` on `process.version`; features that can be probed
 * directly (`process.features.typescript`, the parser) are probed instead.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { os, vm } from "../builtins.js";
import path from "node:path";

/** The few `semver` functions the version rules use. */
interface Semver {
  coerce: typeof import("semver/functions/coerce.js");
  major: typeof import("semver/functions/major.js");
  satisfies: typeof import("semver/functions/satisfies.js");
}

const requireHere = createRequire(import.meta.url);
let semverFunctions: Semver | null = null;

/**
 * `semver`, required on first measurement rather than imported: its main
 * entry is some fifty CommonJS modules, which importing `unirun` or
 * `unirun/compat` would otherwise load up front (SPEC §5; BENCHMARKS.md P7).
 * Only the three functions used are required.
 */
function semver(): Semver {
  semverFunctions ??= {
    coerce: requireHere("semver/functions/coerce.js"),
    major: requireHere("semver/functions/major.js"),
    satisfies: requireHere("semver/functions/satisfies.js"),
  };
  return semverFunctions;
}

/** The JavaScript runtime and its Node-compatible version. */
export interface RuntimeInfo {
  /** `process.version`, e.g. `"v20.20.2"` (Bun and Deno report the Node version they emulate). */
  version: string;
  /** The major version number of {@link RuntimeInfo.version}, e.g. `20`. */
  major: number;
  /** `"node"`, `"bun"` or `"deno"`. */
  runtime: "node" | "bun" | "deno" | (string & {});
}

/** Limits of the cgroup (v1 or v2) this process runs in, where `/sys/fs/cgroup` shows them. */
export interface CgroupLimits {
  /** CPU quota in CPUs (`quota / period`, may be fractional, e.g. `1.5`); `null` when unlimited or not visible. */
  cpuLimit: number | null;
  /** Memory limit in bytes; `null` when unlimited or not visible. */
  memoryLimitBytes: number | null;
}

/** Suggested pool sizes, in workers, for this machine (see {@link capabilities} for the rules). */
export interface SuggestedSizes {
  /** I/O-bound work (a ThreadPoolExecutor's size): `min(32, cpu + 4)`. */
  io: number;
  /** CPU-bound work on worker threads: one per effective core. */
  cpu: number;
  /** Child processes: one per effective core. */
  process: number;
}

/** What {@link capabilities} reports. Frozen. */
export interface Capabilities {
  /** The runtime and its version. */
  node: RuntimeInfo;
  /** `os().availableParallelism()`: CPUs this process may use (affinity-aware), before cgroup limits. */
  availableParallelism: number;
  /** cgroup CPU and memory limits. */
  cgroup: CgroupLimits;
  /** Whether Node's permission model is on (`--permission`; `--experimental-permission` on Node 20/22). */
  permissionModel: boolean;
  /** Whether this process may start worker threads (`process.permission.has("worker")`; true without the model). */
  workerThreadsAllowed: boolean;
  /** Whether this process may start child processes (`process.permission.has("child")`; true without the model). */
  childProcessesAllowed: boolean;
  /** Whether `SharedArrayBuffer` is available. */
  sharedArrayBuffer: boolean;
  /** Whether `Atomics` is available. */
  atomics: boolean;
  /** Whether Node strips TypeScript types natively (runs `.ts` files without a loader). */
  typeStripping: boolean;
  /** Whether `await using` declarations parse (the syntax, not `Symbol.asyncDispose`). */
  explicitResourceManagement: boolean;
  /** Suggested pool sizes, in workers. */
  suggested: SuggestedSizes;
}

let cached: Capabilities | null = null;

/**
 * What this process can do, measured on first call and cached (the same frozen
 * object) until {@link resetCapabilities}.
 *
 * Suggested sizes start from the effective cores: `availableParallelism`,
 * capped by the cgroup CPU limit rounded up (1.5 CPUs → 2, as the JVM and .NET
 * round), at least 1. Then:
 * - `cpu` = effective cores — one worker thread per core;
 * - `process` = effective cores — one child process per core;
 * - `io` = `min(32, cores + 4)` — ThreadPoolExecutor's default (CPython and
 *   `unirun/futures`), so a managed I/O pool is as large as the native one it
 *   replaces, only cgroup-aware. It is a long-lived pool's size; a single
 *   `map` over `n` I/O-bound items may keep more in flight: see {@link mapSizing}.
 */
export function capabilities(): Capabilities {
  cached ??= measure();
  return cached;
}

/** Forgets the cached {@link capabilities}; the next call measures again. */
export function resetCapabilities(): void {
  cached = null;
}

function measure(): Capabilities {
  const node = runtimeInfo();
  const availableParallelism = os().availableParallelism();
  const cgroup = readCgroupLimits();
  const permission = permissions();
  const cores = effectiveCores(availableParallelism, cgroup.cpuLimit);
  return deepFreeze({
    node,
    availableParallelism,
    cgroup,
    ...permission,
    sharedArrayBuffer: typeof SharedArrayBuffer === "function",
    atomics: typeof Atomics === "object" && Atomics !== null,
    typeStripping: typeStripping(node.version),
    explicitResourceManagement: parses("async function f() { await using x = null; }"),
    suggested: { io: Math.min(32, cores + 4), cpu: cores, process: cores },
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const field of Object.values(value)) {
    if (typeof field === "object" && field !== null) deepFreeze(field);
  }
  return Object.freeze(value);
}

/** `availableParallelism` capped by the cgroup CPU limit (rounded up), at least 1. */
function effectiveCores(availableParallelism: number, cpuLimit: number | null): number {
  const limit = cpuLimit === null ? Number.POSITIVE_INFINITY : Math.ceil(cpuLimit);
  return Math.max(1, Math.min(availableParallelism, limit));
}

function runtimeInfo(): RuntimeInfo {
  const version = process.version;
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  const runtime = versions.bun ? "bun" : (versions.deno ?? "Deno" in globalThis) ? "deno" : "node";
  const { coerce, major } = semver();
  return { version, major: major(coerce(version) ?? "0.0.0"), runtime };
}

// ——— permission model ———

interface PermissionApi {
  has(scope: string, reference?: string): boolean;
}

function permissions(): Pick<Capabilities, "permissionModel" | "workerThreadsAllowed" | "childProcessesAllowed"> {
  const permission = (process as { permission?: PermissionApi }).permission;
  if (permission === undefined || permission === null) {
    return { permissionModel: false, workerThreadsAllowed: true, childProcessesAllowed: true };
  }
  return {
    permissionModel: true,
    workerThreadsAllowed: allowed(permission, "worker"),
    childProcessesAllowed: allowed(permission, "child"),
  };
}

/** An API that cannot answer is taken as a "no": the fallback (the event loop) always works. */
function allowed(permission: PermissionApi, scope: string): boolean {
  try {
    return permission.has(scope) === true;
  } catch {
    return false;
  }
}

// ——— language features ———

/**
 * `process.features.typescript` (Node 22.10+: `"strip"`, `"transform"` or
 * `false`) when present; else a flag in `execArgv`/`NODE_OPTIONS`; else the
 * version rule: stripping is on by default from Node 22.18.0 and 23.6.0.
 */
function typeStripping(version: string): boolean {
  const features = process.features as { typescript?: string | false };
  if (features.typescript !== undefined) return features.typescript !== false;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (flags.includes("--no-experimental-strip-types")) return false;
  if (flags.includes("--experimental-strip-types") || flags.includes("--experimental-transform-types")) {
    return semver().satisfies(version, ">=22.6.0");
  }
  return semver().satisfies(version, "^22.18.0 || >=23.6.0");
}

/** Whether `source` compiles; `vm.Script` compiles without running it. */
function parses(source: string): boolean {
  try {
    new (vm().Script)(source);
    return true;
  } catch {
    return false;
  }
}

// ——— cgroups ———

/** Where {@link readCgroupLimits} looks; the defaults are the real locations. */
export interface CgroupPaths {
  /** The cgroup filesystem mount; default `/sys/fs/cgroup`. */
  root?: string;
  /** This process's cgroup membership file; default `/proc/self/cgroup`. */
  procFile?: string;
}

/** v1 reports "no limit" as a huge page-aligned number; anything this large is no limit. */
const UNLIMITED_BYTES = 2 ** 60;

/**
 * The CPU and memory limits of this process's cgroups, v2 (`cpu.max`,
 * `memory.max`) and v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`,
 * `memory.limit_in_bytes`), hybrid setups included. Ancestors' limits apply
 * too, so it reads every level from the process's cgroup up to the mount and
 * keeps the smallest limit (inside a container the process's path may not
 * exist under the mount; the levels that do exist are read). Never throws:
 * anything unreadable counts as no limit. Exported for tests.
 */
export function readCgroupLimits(paths: CgroupPaths = {}): CgroupLimits {
  const root = paths.root ?? "/sys/fs/cgroup";
  const memberships = readMemberships(paths.procFile ?? "/proc/self/cgroup");
  const cpu: number[] = [];
  const memory: number[] = [];
  for (const { controllers, cgroup } of memberships) {
    if (controllers.length === 0) {
      const unified = exists(path.join(root, "cgroup.controllers")) ? root : path.join(root, "unified");
      for (const dir of levels(unified, cgroup)) {
        pushIfSet(cpu, parseCpuMax(readText(path.join(dir, "cpu.max"))));
        pushIfSet(memory, parseBytes(readText(path.join(dir, "memory.max"))));
      }
    }
    if (controllers.includes("cpu")) {
      for (const dir of levels(v1Mount(root, controllers, "cpu"), cgroup)) {
        const quota = readText(path.join(dir, "cpu.cfs_quota_us"));
        const period = readText(path.join(dir, "cpu.cfs_period_us"));
        pushIfSet(cpu, parseCpuMax(quota === null || period === null ? null : `${quota} ${period}`));
      }
    }
    if (controllers.includes("memory")) {
      for (const dir of levels(v1Mount(root, controllers, "memory"), cgroup)) {
        pushIfSet(memory, parseBytes(readText(path.join(dir, "memory.limit_in_bytes"))));
      }
    }
  }
  return {
    cpuLimit: cpu.length > 0 ? Math.min(...cpu) : null,
    memoryLimitBytes: memory.length > 0 ? Math.min(...memory) : null,
  };
}

interface Membership {
  /** v1 controllers (`["cpu", "cpuacct"]`); empty for the v2 unified hierarchy. */
  controllers: string[];
  /** The cgroup's path in its hierarchy, e.g. `/docker/abc` or `/`. */
  cgroup: string;
}

/** Parses `/proc/self/cgroup`: lines `id:controllers:path`. */
function readMemberships(procFile: string): Membership[] {
  const text = readText(procFile);
  if (text === null) return [];
  const memberships: Membership[] = [];
  for (const line of text.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const controllers = match[1] === "" ? [] : match[1].split(",").filter((c) => !c.startsWith("name="));
    if (match[1] !== "" && controllers.length === 0) continue; // a named hierarchy (name=systemd): no limits
    memberships.push({ controllers, cgroup: match[2] || "/" });
  }
  return memberships;
}

/** The v1 mount of `controller`: `/sys/fs/cgroup/cpu`, or the co-mounted `cpu,cpuacct` when that is what exists. */
function v1Mount(root: string, controllers: string[], controller: string): string {
  const candidates = [controller, controllers.join(","), [...controllers].reverse().join(",")];
  const found = candidates.map((name) => path.join(root, name)).find(exists);
  return found ?? path.join(root, controller);
}

/** `mount/a/b/c`, `mount/a/b`, `mount/a`, `mount`: every level from the cgroup up to the mount. */
function levels(mount: string, cgroup: string): string[] {
  const parts = cgroup.split("/").filter((part) => part !== "" && part !== "." && part !== "..");
  const dirs: string[] = [];
  for (let depth = parts.length; depth >= 0; depth--) dirs.push(path.join(mount, ...parts.slice(0, depth)));
  return dirs;
}

/** `"<quota> <period>"` (v2 `cpu.max`, or v1's two files joined) → CPUs; `max`/`-1` → null. */
function parseCpuMax(text: string | null): number | null {
  if (text === null) return null;
  const [quota, period] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return null;
  return quota / period;
}

/** A byte count (v2 `memory.max`, v1 `memory.limit_in_bytes`); `max` or a huge value → null. */
function parseBytes(text: string | null): number | null {
  if (text === null) return null;
  const bytes = Number(text.trim());
  return Number.isFinite(bytes) && bytes > 0 && bytes < UNLIMITED_BYTES ? bytes : null;
}

function pushIfSet(values: number[], value: number | null): void {
  if (value !== null) values.push(value);
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function exists(file: string): boolean {
  try {
    fs.accessSync(file);
    return true;
  } catch {
    return false;
  }
}

// ——— map sizing ———

/** What {@link mapSizing} returns. */
export interface MapSizing {
  /** Tasks in flight at most (I/O) or workers (CPU). */
  maxWorkers: number;
  /** Items per task sent to a worker. */
  chunksize: number;
}

/** Most I/O-bound tasks a managed `map` keeps in flight when the caller gives no size (SPEC §5). */
export const IO_MAP_LIMIT = 100;

/**
 * SPEC §5's map sizing (the XCS rule) for a managed `map` over `n` items when
 * the caller gives no size:
 * - `"io"`: up to `min(n, 100)` in flight, `chunksize` 1;
 * - `"cpu"`: one worker per effective core (`caps.suggested.cpu`), never more
 *   than `n`, and `chunksize = max(1, floor(n / (workers * 4)))` — about four
 *   chunks per worker, so a slow chunk does not idle the others for long.
 *
 * `maxWorkers` is at least 1, also for `n = 0`.
 *
 * @param n number of items (a non-negative integer).
 * @param kind whether the work is I/O-bound or CPU-bound.
 * @param caps capabilities to size from; default {@link capabilities}().
 * @param limit an upper bound on `maxWorkers` (`UNIRUN_MAX_WORKERS`, `RuntimeConfig.maxWorkers`); `null` for none.
 * @throws RangeError when `n` is not a non-negative integer, `kind` is unknown, or `limit` is not a positive integer.
 */
export function mapSizing(
  n: number,
  kind: "io" | "cpu",
  caps?: Capabilities,
  limit: number | null = null,
): MapSizing {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`mapSizing(n): must be a non-negative integer (a number of items); got ${String(n)}`);
  }
  if (limit !== null && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new RangeError(`mapSizing(limit): must be a positive integer or null; got ${String(limit)}`);
  }
  const cap = limit ?? Number.POSITIVE_INFINITY;
  if (kind === "io") {
    return { maxWorkers: Math.max(1, Math.min(n, IO_MAP_LIMIT, cap)), chunksize: 1 };
  }
  if (kind === "cpu") {
    const cores = (caps ?? capabilities()).suggested.cpu;
    const workers = Math.max(1, Math.min(n, cores, cap));
    return { maxWorkers: workers, chunksize: Math.max(1, Math.floor(n / (workers * 4))) };
  }
  throw new RangeError(`mapSizing(kind): must be "io" or "cpu"; got ${JSON.stringify(kind)}`);
}
