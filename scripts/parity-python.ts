/**
 * The Python half of the compat-parity snapshot: each exported name, method
 * and option key, and its counterpart in `concurrent.futures` / `asyncio` as
 * the local `python3` has it. A counterpart newer than that Python is recorded
 * with the version that has it (from the small tables below); a name with no
 * counterpart at all is recorded as such, with why.
 */
import { spawnSync } from "node:child_process";
import type { Entry, ExportParity, ModuleKey } from "./parity.js";

/** A JS path's Python counterpart: its dotted name, or `null` with a note saying why. */
export interface Counterpart {
  python: string | null;
  /** The Python version that added it, when the local one is older. */
  since?: string;
  note?: string;
}

export interface PythonInfo {
  available: boolean;
  version?: string;
  note?: string;
}

/** Names that are not simply the camelCase → snake_case spelling, relative to the module. */
const ALIASES: Record<ModuleKey, Record<string, string>> = {
  futures: {
    BrokenThreadPool: "thread.BrokenThreadPool",
    BrokenProcessPool: "process.BrokenProcessPool",
    BrokenInterpreterPool: "interpreter.BrokenInterpreterPool",
  },
  asyncio: { runInExecutor: "AbstractEventLoop.run_in_executor" },
};

const MEMBER_ALIASES: Record<ModuleKey, Record<string, string>> = {
  futures: { "[Symbol.asyncDispose]": "__exit__", toString: "__repr__" },
  asyncio: { "[Symbol.asyncDispose]": "__aexit__", toString: "__repr__" },
};

/** Known counterparts newer than some Pythons (`*` = any owner), by the version that added them. */
export const NEWER: Record<ModuleKey, Record<string, string>> = {
  futures: {
    InterpreterPoolExecutor: "3.14",
    "interpreter.BrokenInterpreterPool": "3.14",
    "ProcessPoolExecutor.terminate_workers": "3.14",
    "ProcessPoolExecutor.kill_workers": "3.14",
    "*.map(buffersize)": "3.14",
    "ProcessPoolExecutor(max_tasks_per_child)": "3.11",
    "*.shutdown(cancel_futures)": "3.9",
  },
  asyncio: { TaskGroup: "3.11", timeout: "3.11", to_thread: "3.9" },
};

/** Members a later Python has on another class only. */
const ELSEWHERE: Record<string, string> = {
  terminate_workers: "Python 3.14 has terminate_workers on ProcessPoolExecutor only",
  kill_workers: "Python 3.14 has kill_workers on ProcessPoolExecutor only",
};

/** A newer class whose members are its older base's (InterpreterPoolExecutor subclasses ThreadPoolExecutor). */
const STAND_INS: Record<ModuleKey, Record<string, string>> = {
  futures: { InterpreterPoolExecutor: "ThreadPoolExecutor", "interpreter.BrokenInterpreterPool": "thread.BrokenThreadPool" },
  asyncio: {},
};

const NO_COUNTERPART = {
  names: {
    task: "task references stand in for pickling a module-level function (SPEC §1.1)",
    toProcess: "asyncio has to_thread only; toProcess is its child-process twin",
  } as Record<string, string>,
  members: {
    submitWith: "per-task options (signal, transferList); Python's submit takes none",
    then: "makes a Future awaitable; a concurrent.futures.Future is not (asyncio.wrap_future)",
  } as Record<string, string>,
  options: {
    signal: "AbortSignal cancellation has no Python counterpart",
    transferList: "worker_threads transfer lists have no Python counterpart",
    resourceLimits: "worker_threads resource limits have no Python counterpart",
    execArgv: "child-process spawn settings (Python uses mp_context)",
    env: "child-process spawn settings (Python uses mp_context)",
    cpuBound: "a scheduling hint for managed mode",
  } as Record<string, string>,
};

/** `table[key]` for an own key only (a name such as `toString` must not find `Object.prototype`'s). */
function own(table: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** `asCompleted` → `as_completed`; PascalCase and UPPER_CASE names are kept. */
export function snake(name: string): string {
  return /^[a-z]/.test(name) ? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : name;
}

/** One JS path (`Executor`, `Executor.map`, `Executor.map(buffersize)`) and its Python candidate. */
interface Candidate {
  path: string;
  /** Relative to the Python module, e.g. `Executor.map(buffersize)`; `null` when there is none. */
  rel: string | null;
  note?: string;
}

/** Every JS path the Python part describes for one module: names, their methods and option keys. */
export function candidates(key: ModuleKey, entries: Record<string, Entry>): Candidate[] {
  const out: Candidate[] = [];
  const option = (owner: Candidate, name: string) => {
    const path = `${owner.path}(${name})`;
    const none = own(NO_COUNTERPART.options, name);
    if (owner.rel === null) out.push({ path, rel: null, note: `${owner.path} has no Python counterpart` });
    else if (none) out.push({ path, rel: null, note: none });
    else out.push({ path, rel: `${owner.rel}(${snake(name)})` });
  };
  for (const name of Object.keys(entries).sort()) {
    const entry = entries[name];
    const none = own(NO_COUNTERPART.names, name);
    const top: Candidate = none ? { path: name, rel: null, note: none } : { path: name, rel: own(ALIASES[key], name) ?? snake(name) };
    out.push(top);
    if (entry.kind !== "error") for (const k of entry.options ?? []) option(top, k);
    for (const [member, method] of Object.entries(entry.methods ?? {})) {
      const path = `${name}.${member}`;
      const noMember = own(NO_COUNTERPART.members, member);
      let candidate: Candidate;
      if (top.rel === null) candidate = { path, rel: null, note: `${name} has no Python counterpart` };
      else if (noMember) candidate = { path, rel: null, note: noMember };
      else candidate = { path, rel: `${top.rel}.${own(MEMBER_ALIASES[key], member) ?? snake(member)}` };
      out.push(candidate);
      for (const k of method.options) option(candidate, k);
    }
  }
  return out;
}

/** `X.map(buffersize)` → object `X.map`, parameter `buffersize`. */
function split(rel: string): { object: string; param: string | null } {
  const match = /^(.*)\((\w+)\)$/.exec(rel);
  return match ? { object: match[1], param: match[2] } : { object: rel, param: null };
}

/** The newer class `rel` belongs to (as owner), if any. */
function newerOwner(key: ModuleKey, rel: string): string | undefined {
  return Object.keys(STAND_INS[key]).find((newer) => rel.startsWith(`${newer}.`) || rel.startsWith(`${newer}(`));
}

/** `InterpreterPoolExecutor.map` → `ThreadPoolExecutor.map`: where a newer class's member is looked up. */
function standIn(key: ModuleKey, rel: string): string | null {
  const newer = newerOwner(key, rel);
  return newer === undefined ? null : STAND_INS[key][newer] + rel.slice(newer.length);
}

function newerVersion(key: ModuleKey, rel: string): string | undefined {
  for (const [pattern, version] of Object.entries(NEWER[key])) {
    if (pattern === rel || (pattern.startsWith("*.") && rel.endsWith(pattern.slice(1)))) return version;
  }
  return undefined;
}

const later = (a: string, b: string) => (Number(a.split(".")[1]) >= Number(b.split(".")[1]) ? a : b);

/** The Python objects (dotted, module-qualified) the candidates need looked up. */
export function queries(key: ModuleKey, module: string, list: readonly Candidate[]): string[] {
  const paths = new Set<string>();
  for (const { rel } of list) {
    if (rel === null) continue;
    paths.add(`${module}.${split(rel).object}`);
    const older = standIn(key, rel);
    if (older) paths.add(`${module}.${split(older).object}`);
  }
  return [...paths].sort();
}

/** Resolve one candidate against the looked-up objects (`null` = absent; else its parameter names). */
export function resolveCandidate(
  key: ModuleKey,
  module: string,
  candidate: Candidate,
  objects: Record<string, string[] | null>,
  version: string,
): Counterpart {
  if (candidate.rel === null) return { python: null, note: candidate.note };
  const rel = candidate.rel;
  const full = `${module}.${rel}`;
  const present = (r: string) => {
    const { object, param } = split(r);
    const params = objects[`${module}.${object}`];
    return params !== null && params !== undefined && (param === null || params.includes(param));
  };
  if (present(rel)) return { python: full };
  // A member of a newer class is as new as its class, whatever its older base has.
  const newer = newerOwner(key, rel);
  const owner = newer === undefined ? undefined : newerVersion(key, newer);
  let since = newerVersion(key, rel);
  const older = standIn(key, rel);
  if (since === undefined && older !== null && owner !== undefined) {
    const viaOlder = resolveCandidate(key, module, { path: candidate.path, rel: older }, objects, version);
    if (viaOlder.python !== null) since = viaOlder.since ?? owner;
  }
  if (since !== undefined) return { python: full, since: owner === undefined ? since : later(owner, since) };
  const elsewhere = Object.entries(ELSEWHERE).find(([member]) => rel.endsWith(`.${member}`));
  if (elsewhere) return { python: null, note: elsewhere[1] };
  return { python: null, note: `not in Python ${version}'s ${module}, nor a known later version` };
}

const PYTHON_LOOKUP = `
import importlib, inspect, json, platform, sys
def resolve(path):
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        for part in parts[i:]:
            if not hasattr(obj, part):
                return None
            obj = getattr(obj, part)
        try:
            return [p for p in inspect.signature(obj).parameters if p != "self"]
        except (TypeError, ValueError):
            return []
    return None
paths = json.load(sys.stdin)
print(json.dumps({"version": platform.python_version(), "objects": {p: resolve(p) for p in paths}}))
`;

/** Look the dotted paths up in the local `python3`; `null` when there is no `python3`. */
export function lookUpPython(
  paths: readonly string[],
): { version: string; objects: Record<string, string[] | null> } | null {
  const run = spawnSync("python3", ["-c", PYTHON_LOOKUP], { input: JSON.stringify(paths), encoding: "utf8" });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") return null;
  if (run.error || run.status !== 0) throw new Error(`python3 failed: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Entries that describe a module's names: native's, plus those only compat has. */
function namesOf(parity: ExportParity[ModuleKey]): Record<string, Entry> {
  return { ...parity.compat, ...parity.native };
}

/** The Python part of the snapshot, per module and overall. */
export function computePython(exports: ExportParity): {
  info: PythonInfo;
  modules: Record<ModuleKey, Record<string, Counterpart> | null>;
} {
  const keys = Object.keys(exports).sort() as ModuleKey[];
  const lists = keys.map((key) => candidates(key, namesOf(exports[key])));
  const allQueries = keys.flatMap((key, i) => queries(key, exports[key].module.python, lists[i]));
  const found = lookUpPython([...new Set(allQueries)].sort());
  const modules = {} as Record<ModuleKey, Record<string, Counterpart> | null>;
  if (found === null) {
    for (const key of keys) modules[key] = null;
    return { info: { available: false, note: "python3 was not found; Python counterparts were skipped" }, modules };
  }
  keys.forEach((key, i) => {
    const module = exports[key].module.python;
    const map: Record<string, Counterpart> = {};
    for (const c of lists[i]) map[c.path] = resolveCandidate(key, module, c, found.objects, found.version);
    modules[key] = map;
  });
  return { info: { available: true, version: found.version }, modules };
}

/** The JS paths the Python part of a module must describe (independent of Python). */
export function pythonPaths(exports: ExportParity, key: ModuleKey): string[] {
  return candidates(key, namesOf(exports[key])).map((c) => c.path).sort();
}
