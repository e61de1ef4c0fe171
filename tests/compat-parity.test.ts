/**
 * `tests/data/compat_parity.json` (SPEC §8) against the live exports: names,
 * kinds and signatures of `unirun/futures`, `unirun/asyncio` and their compat
 * mirrors, recomputed with the code that writes the snapshot. The Python part
 * is checked for shape here, and recomputed only when the local `python3` is
 * the one that wrote it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  computeExportParity,
  diffJson,
  type ExportParity,
  kindOf,
  type ModuleKey,
  MODULES,
  SNAPSHOT,
  stableStringify,
} from "../scripts/parity.js";
import { candidates, type Counterpart, computePython, pythonPaths, resolveCandidate } from "../scripts/parity-python.js";

const STALE = "tests/data/compat_parity.json is out of date: run npm run parity:update";
const KEYS = Object.keys(MODULES).sort() as ModuleKey[];

const raw = readFileSync(SNAPSHOT, "utf8");
const snapshot = JSON.parse(raw) as Record<string, any>;
const localPython = (() => {
  const run = spawnSync("python3", ["-c", "import platform; print(platform.python_version())"], { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : null;
})();

let live: ExportParity;

beforeAll(async () => {
  vi.stubEnv("UNIRUN_COMPAT_MODE", "managed");
  vi.resetModules();
  live = await computeExportParity();
}, 180_000);

afterAll(() => {
  vi.unstubAllEnvs();
});

/** The snapshot without its Python part: what the live exports alone determine. */
function exportPart(data: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const { python: _python, ...rest } = data[key] ?? {};
    out[key] = rest;
  }
  return out;
}

function expectNoDiff(diff: string[]): void {
  expect(diff, `${STALE}\n(snapshot ≠ live)\n${diff.join("\n")}`).toEqual([]);
}

describe("compat parity snapshot", () => {
  it("is canonical JSON: sorted keys, written by the update script", () => {
    expect(stableStringify(snapshot) === raw, `${STALE} (the file is not in canonical form)`).toBe(true);
    expect(Object.keys(snapshot).sort()).toEqual([...KEYS, "python"].sort());
  });

  it("matches the live exports, kinds and signatures", () => {
    expectNoDiff(diffJson(exportPart(snapshot), JSON.parse(stableStringify(live))));
  });

  it("describes the API the spec names", () => {
    const futures = live.futures.native;
    expect(futures.ThreadPoolExecutor.kind).toBe("class");
    expect(futures.BrokenInterpreterPool).toMatchObject({ kind: "error", bases: ["BrokenThreadPool", "BrokenExecutor"] });
    expect(futures.FIRST_COMPLETED).toEqual({ kind: "constant", value: "FIRST_COMPLETED" });
    expect(futures.wait).toMatchObject({ kind: "function", params: ["fs", "options"], options: ["returnWhen", "timeout"] });
    expect(futures.ThreadPoolExecutor.options).toEqual(["initargs", "initializer", "maxWorkers", "threadNamePrefix"]);
    expect(futures.Executor.methods?.map.options).toEqual(["buffersize", "chunksize", "signal", "timeout"]);
    expect(futures.Executor.methods?.submitWith.options).toEqual(["signal", "transferList"]);
    expect(futures.Executor.methods?.submit.params).toEqual(["fn", "...args"]);
  });

  it("lists the names missing on either side and the mismatches", () => {
    for (const key of KEYS) {
      const { native, compat, missing, mismatched } = live[key];
      expect(missing.compat).toEqual(Object.keys(native).filter((n) => !(n in compat)));
      expect(missing.native).toEqual(Object.keys(compat).filter((n) => !(n in native)));
      for (const [name, fields] of Object.entries(mismatched)) {
        expect(fields.length).toBeGreaterThan(0);
        expect(diffJson(native[name], compat[name]).length).toBe(fields.length);
      }
    }
  });
});

describe("compat modes", () => {
  async function loadCompat(mode: string) {
    vi.stubEnv("UNIRUN_COMPAT_MODE", mode);
    vi.resetModules();
    const kinds: Record<string, Record<string, string>> = {};
    for (const key of KEYS) {
      const ns = await MODULES[key].compat.load();
      kinds[key] = Object.fromEntries(Object.keys(ns).sort().map((name) => [name, kindOf(ns[name])]));
    }
    const native = await MODULES.futures.native.load();
    const compat = await MODULES.futures.compat.load();
    return { kinds, sameExecutor: compat.ThreadPoolExecutor === native.ThreadPoolExecutor };
  }

  it("passthrough exports the same names, of the same kinds, as managed (the snapshot's mode)", async () => {
    const managed = await loadCompat("managed");
    const passthrough = await loadCompat("passthrough");
    // The switch took effect, so the comparison below compares two modes.
    expect(managed.sameExecutor).toBe(false);
    expect(passthrough.sameExecutor).toBe(true);
    expect(passthrough.kinds).toEqual(managed.kinds);
    for (const key of KEYS) expect(Object.keys(managed.kinds[key])).toEqual(Object.keys(live[key].compat));
  }, 60_000);
});

describe("Python counterparts", () => {
  const info = snapshot.python as { available: boolean; version?: string; note?: string };

  it("cover exactly the live names, methods and option keys, each well-formed", () => {
    expect(typeof info.available).toBe("boolean");
    for (const key of KEYS) {
      const recorded = snapshot[key].python as Record<string, Counterpart> | null;
      if (!info.available) {
        expect(info.note).toMatch(/python3/);
        expect(recorded).toBeNull();
        continue;
      }
      expect(info.version).toMatch(/^3\.\d+\.\d+/);
      const minor = Number(info.version!.split(".")[1]);
      expect(Object.keys(recorded!).sort(), STALE).toEqual(pythonPaths(live, key));
      for (const [path, c] of Object.entries(recorded!)) {
        expect(Object.keys(c).every((k) => ["python", "since", "note"].includes(k)), path).toBe(true);
        if (c.python === null) expect(c.note, path).toMatch(/\S/);
        else expect(c.python.startsWith(`${live[key].module.python}.`), path).toBe(true);
        if (c.since !== undefined) expect(Number(c.since.split(".")[1]), path).toBeGreaterThan(minor);
      }
    }
  });

  it("records names newer than the local Python with the version that has them, and names with none as such", () => {
    const list = candidates("futures", live.futures.native);
    const byPath = (path: string) => list.find((c) => c.path === path)!;
    const as311: Record<string, string[] | null> = {
      "concurrent.futures.ThreadPoolExecutor": ["max_workers", "thread_name_prefix", "initializer", "initargs"],
      "concurrent.futures.ThreadPoolExecutor.map": ["fn", "iterables", "timeout", "chunksize"],
    };
    const resolve = (path: string, objects = as311) =>
      resolveCandidate("futures", "concurrent.futures", byPath(path), objects, "3.11.7");
    expect(resolve("ThreadPoolExecutor.map(timeout)")).toEqual({ python: "concurrent.futures.ThreadPoolExecutor.map(timeout)" });
    expect(resolve("ThreadPoolExecutor.map(buffersize)")).toMatchObject({ since: "3.14" });
    expect(resolve("InterpreterPoolExecutor")).toMatchObject({ python: "concurrent.futures.InterpreterPoolExecutor", since: "3.14" });
    expect(resolve("InterpreterPoolExecutor(maxWorkers)")).toMatchObject({ since: "3.14" });
    expect(resolve("InterpreterPoolExecutor.terminateWorkers")).toMatchObject({ python: null });
    expect(resolve("task")).toMatchObject({ python: null, note: expect.stringMatching(/\S/) });
    const as314 = { ...as311, "concurrent.futures.InterpreterPoolExecutor": ["max_workers"] };
    expect(resolve("InterpreterPoolExecutor", as314)).toEqual({ python: "concurrent.futures.InterpreterPoolExecutor" });
  });

  it.skipIf(localPython === null || localPython !== info.version)(
    "match what the local python3 says (when it is the one that wrote them)",
    () => {
      const python = computePython(live);
      expect(python.info).toEqual(info);
      for (const key of KEYS) expectNoDiff(diffJson(snapshot[key].python, python.modules[key], `${key}.python`));
    },
    60_000,
  );
});
