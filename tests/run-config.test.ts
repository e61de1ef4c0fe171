/**
 * RuntimeConfig (SPEC §6): constructor validation, `with`/`toJSON`, and
 * `fromEnv` over real `.env` files in temp dirs — every variable's every
 * accepted value, bad values warning once and falling back, the env winning
 * over the file, and `process.env` never written.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CONFIG_VARIABLES,
  FLAVORS,
  RuntimeConfig,
  resetConfigWarnings,
  type RuntimeConfigInit,
} from "../src/run/config.js";

let base: string;
let dirCount = 0;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), "unirun-config-"));
});
afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});
beforeEach(() => resetConfigWarnings());
afterEach(() => vi.unstubAllEnvs());

/** A fresh directory, with the given files written in it. */
async function dirWith(files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(base, `case-${++dirCount}`);
  await fs.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text);
  }
  return dir;
}

/** Runs `fn` and returns its result with the config warnings emitted (they arrive on nextTick). */
async function withWarnings<T>(fn: () => T): Promise<{ value: T; warnings: Error[] }> {
  const warnings: Error[] = [];
  const listener = (warning: Error) => {
    if ((warning as Error & { code?: string }).code === "UNIRUN_CONFIG") warnings.push(warning);
  };
  process.on("warning", listener);
  try {
    const value = fn();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off("warning", listener);
  }
}

describe("new RuntimeConfig", () => {
  it("has the defaults, readonly on a frozen instance", () => {
    const config = new RuntimeConfig();
    expect(config.toJSON()).toEqual({
      compatMode: "managed",
      threadMode: "auto",
      forceThreads: false,
      forceProcess: false,
      maxWorkers: null,
      mode: "auto",
      warnings: "default",
      envFile: null,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { mode: string }).mode = "none";
    }).toThrow(TypeError);
  });

  it.each<[keyof RuntimeConfigInit, unknown[]]>([
    ["compatMode", ["managed", "passthrough"]],
    ["threadMode", ["auto", "gil", "nogil"]],
    ["forceThreads", [true, false]],
    ["forceProcess", [true, false]],
    ["maxWorkers", [1, 7, 1024, null]],
    ["mode", [...FLAVORS]],
    ["warnings", ["default", "error", "ignore"]],
    ["envFile", ["/tmp/x.env", null]],
  ])("accepts every valid %s", (field, values) => {
    for (const value of values) expect(new RuntimeConfig({ [field]: value })[field]).toBe(value);
  });

  it.each<[string, unknown, RegExp]>([
    ["compatMode", 42, /compatMode.*"managed", "passthrough".*got number 42/],
    ["threadMode", null, /threadMode.*"auto", "gil", "nogil".*got null/],
    ["mode", ["threads"], /mode.*"auto", "threads", "interpreters", "processes", "none"/],
    ["warnings", true, /warnings.*"default", "error", "ignore"/],
    ["forceThreads", "true", /forceThreads.*boolean.*got "true"/],
    ["forceProcess", 1, /forceProcess.*boolean/],
    ["maxWorkers", "4", /maxWorkers.*positive integer.*got "4"/],
    ["envFile", 3, /envFile.*path/],
    ["envFile", "", /envFile.*path/],
  ])("a %s of the wrong type is a TypeError naming it", (field, value, message) => {
    expect(() => new RuntimeConfig({ [field]: value } as RuntimeConfigInit)).toThrow(TypeError);
    expect(() => new RuntimeConfig({ [field]: value } as RuntimeConfigInit)).toThrow(message);
  });

  it.each<[string, unknown, RegExp]>([
    ["maxWorkers", 0, /maxWorkers.*positive integer.*got 0/],
    ["maxWorkers", -2, /maxWorkers.*got -2/],
    ["maxWorkers", 1.5, /maxWorkers.*got 1.5/],
    ["maxWorkers", Number.NaN, /maxWorkers.*got NaN/],
    ["maxWorkers", Number.POSITIVE_INFINITY, /maxWorkers.*got Infinity/],
    ["compatMode", "bogus", /compatMode.*"managed", "passthrough".*got "bogus"/],
    ["threadMode", "GIL", /threadMode.*"auto", "gil", "nogil"/],
    ["mode", "thread", /mode.*"auto", "threads", "interpreters", "processes", "none".*"thread"/],
    ["warnings", "loud", /warnings.*"default", "error", "ignore"/],
  ])("an out-of-range %s (%s) is a RangeError naming it", (field, value, message) => {
    expect(() => new RuntimeConfig({ [field]: value } as RuntimeConfigInit)).toThrow(RangeError);
    expect(() => new RuntimeConfig({ [field]: value } as RuntimeConfigInit)).toThrow(message);
  });

  it("rejects unknown keys with a TypeError listing the accepted ones", () => {
    const make = () => new RuntimeConfig({ maxworkers: 4 } as RuntimeConfigInit);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(
      /"maxworkers".*compatMode, threadMode, forceThreads, forceProcess, maxWorkers, mode, warnings, envFile/,
    );
  });

  it("rejects options that are not an object", () => {
    expect(() => new RuntimeConfig(null as unknown as RuntimeConfigInit)).toThrow(TypeError);
    expect(() => new RuntimeConfig("managed" as unknown as RuntimeConfigInit)).toThrow(/must be an object/);
  });

  it("rejects forceThreads and forceProcess both true, naming both", () => {
    expect(() => new RuntimeConfig({ forceThreads: true, forceProcess: true })).toThrow(RangeError);
    expect(() => new RuntimeConfig({ forceThreads: true, forceProcess: true })).toThrow(
      /forceThreads, forceProcess/,
    );
  });

  it("treats an undefined field as omitted", () => {
    expect(new RuntimeConfig({ mode: undefined, maxWorkers: undefined }).toJSON()).toEqual(
      new RuntimeConfig().toJSON(),
    );
  });
});

describe("with and toJSON", () => {
  it("with() returns a new validated config and leaves the original alone", () => {
    const original = new RuntimeConfig({ mode: "threads", maxWorkers: 4 });
    const changed = original.with({ maxWorkers: 8, warnings: "error" });
    expect(changed).not.toBe(original);
    expect(changed).toBeInstanceOf(RuntimeConfig);
    expect(changed.toJSON()).toMatchObject({ mode: "threads", maxWorkers: 8, warnings: "error" });
    expect(original.toJSON()).toMatchObject({ mode: "threads", maxWorkers: 4, warnings: "default" });
    expect(Object.isFrozen(changed)).toBe(true);
  });

  it("with(): undefined keeps the value, null removes the cap, bad input throws", () => {
    const original = new RuntimeConfig({ mode: "processes", maxWorkers: 4 });
    expect(original.with({ mode: undefined }).mode).toBe("processes");
    expect(original.with({ maxWorkers: null }).maxWorkers).toBeNull();
    expect(() => original.with({ maxWorkers: 0 })).toThrow(RangeError);
    expect(() => original.with({ nope: 1 } as RuntimeConfigInit)).toThrow(/unknown option "nope"/);
    expect(() => original.with(null as unknown as RuntimeConfigInit)).toThrow(TypeError);
  });

  it("toJSON round-trips through the constructor and JSON", () => {
    const config = new RuntimeConfig({ compatMode: "passthrough", threadMode: "nogil", forceProcess: true });
    expect(new RuntimeConfig(config.toJSON()).toJSON()).toEqual(config.toJSON());
    expect(JSON.parse(JSON.stringify(config))).toEqual(config.toJSON());
  });
});

/** Every variable's accepted values (several spellings) and what they parse to. */
const ACCEPTED: [string, keyof RuntimeConfigInit, [string, unknown][]][] = [
  ["UNIRUN_COMPAT_MODE", "compatMode", [["managed", "managed"], ["passthrough", "passthrough"], ["PassThrough", "passthrough"]]],
  ["UNIRUN_THREAD_MODE", "threadMode", [["auto", "auto"], ["gil", "gil"], ["nogil", "nogil"], ["NOGIL", "nogil"]]],
  ["UNIRUN_MAX_WORKERS", "maxWorkers", [["1", 1], ["16", 16], [" 8 ", 8], ["08", 8]]],
  ["UNIRUN_MODE", "mode", [...FLAVORS.map((f): [string, unknown] => [f, f]), ["Processes", "processes"]]],
  ["UNIRUN_WARNINGS", "warnings", [["default", "default"], ["error", "error"], ["ignore", "ignore"], ["Error", "error"]]],
  ...(["UNIRUN_FORCE_THREADS", "UNIRUN_FORCE_PROCESS"] as const).map(
    (name): [string, keyof RuntimeConfigInit, [string, unknown][]] => [
      name,
      name === "UNIRUN_FORCE_THREADS" ? "forceThreads" : "forceProcess",
      ["1", "true", "yes", "on", "TRUE", "Yes", "ON", "0", "false", "no", "off", "FALSE", "No", "oFf"].map(
        (v): [string, unknown] => [v, ["1", "true", "yes", "on"].includes(v.toLowerCase())],
      ),
    ],
  ),
];

/** Every variable with bad values, the accepted values its warning must list, and its default. */
const REJECTED: [string, keyof RuntimeConfigInit, string[], string, unknown][] = [
  ["UNIRUN_COMPAT_MODE", "compatMode", ["manage", "native"], "managed, passthrough", "managed"],
  ["UNIRUN_THREAD_MODE", "threadMode", ["free-threaded", "no-gil"], "auto, gil, nogil", "auto"],
  ["UNIRUN_FORCE_THREADS", "forceThreads", ["2", "y", "enabled"], "1, 0, true, false, yes, no, on, off", false],
  ["UNIRUN_FORCE_PROCESS", "forceProcess", ["-1", "nope"], "1, 0, true, false, yes, no, on, off", false],
  ["UNIRUN_MAX_WORKERS", "maxWorkers", ["0", "-1", "1.5", "four", "1e3", "+4"], "a positive integer", null],
  ["UNIRUN_MODE", "mode", ["thread", "parallel"], "auto, threads, interpreters, processes, none", "auto"],
  ["UNIRUN_WARNINGS", "warnings", ["loud", "warn"], "default, error, ignore", "default"],
];

describe("RuntimeConfig.fromEnv: values", () => {
  it("reads all the defaults from an empty environment, silently", async () => {
    const cwd = await dirWith();
    const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv({}, { cwd }));
    expect(value.toJSON()).toEqual(new RuntimeConfig().toJSON());
    expect(warnings).toEqual([]);
  });

  it("covers every variable of SPEC §6", () => {
    expect(new Set(ACCEPTED.map(([name]) => name))).toEqual(new Set(CONFIG_VARIABLES));
    expect(new Set(REJECTED.map(([name]) => name))).toEqual(new Set(CONFIG_VARIABLES));
  });

  it.each(ACCEPTED)("parses every accepted value of %s", async (name, field, cases) => {
    const cwd = await dirWith();
    for (const [raw, expected] of cases) {
      const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv({ [name]: raw }, { cwd }));
      expect(value[field], `${name}=${raw}`).toBe(expected);
      expect(warnings).toEqual([]);
    }
  });

  it.each(REJECTED)("%s: a bad value warns once, naming it, and falls back", async (name, field, bad, accepted, fallback) => {
    const cwd = await dirWith();
    for (const raw of bad) {
      const first = await withWarnings(() => RuntimeConfig.fromEnv({ [name]: raw }, { cwd }));
      expect(first.value[field]).toBe(fallback);
      expect(first.warnings).toHaveLength(1);
      const [warning] = first.warnings;
      expect(warning.name).toBe("UnirunConfigWarning");
      expect(warning.message).toContain(name);
      expect(warning.message).toContain(JSON.stringify(raw));
      expect(warning.message).toContain(accepted);
      const again = await withWarnings(() => RuntimeConfig.fromEnv({ [name]: raw }, { cwd }));
      expect(again.value[field]).toBe(fallback);
      expect(again.warnings).toEqual([]);
    }
  });

  it("treats an empty or blank value as unset, silently", async () => {
    const cwd = await dirWith();
    const { value, warnings } = await withWarnings(() =>
      RuntimeConfig.fromEnv({ UNIRUN_MODE: "", UNIRUN_MAX_WORKERS: "  " }, { cwd }),
    );
    expect(value.mode).toBe("auto");
    expect(value.maxWorkers).toBeNull();
    expect(warnings).toEqual([]);
  });

  it("both force flags: threads wins, with one warning naming both", async () => {
    const cwd = await dirWith();
    const env = { UNIRUN_FORCE_THREADS: "1", UNIRUN_FORCE_PROCESS: "yes" };
    const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv(env, { cwd }));
    expect(value.forceThreads).toBe(true);
    expect(value.forceProcess).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/UNIRUN_FORCE_THREADS and UNIRUN_FORCE_PROCESS.*threads wins/);
  });

  it("reads process.env by default", async () => {
    vi.stubEnv("UNIRUN_MODE", "none");
    const cwd = await dirWith();
    expect(RuntimeConfig.fromEnv(undefined, { cwd }).mode).toBe("none");
  });
});

describe("RuntimeConfig.fromEnv: the .env file", () => {
  it("reads the UNIRUN_* keys of .env in cwd, and nothing else", async () => {
    const cwd = await dirWith({
      ".env": [
        "# settings",
        "UNIRUN_MODE=processes",
        'UNIRUN_MAX_WORKERS="3" # quoted, with a comment',
        "export UNIRUN_THREAD_MODE=nogil",
        "MODE=none",
        "UNIRUNX_WARNINGS=error",
        "UNIRUN_TEST_SECRET=shh",
      ].join("\n"),
    });
    const config = RuntimeConfig.fromEnv({}, { cwd });
    expect(config.toJSON()).toMatchObject({ mode: "processes", maxWorkers: 3, threadMode: "nogil", warnings: "default" });
    expect(config.envFile).toBe(path.join(cwd, ".env"));
  });

  it("the environment wins over the file, even when set to empty", async () => {
    const cwd = await dirWith({ ".env": "UNIRUN_MODE=processes\nUNIRUN_WARNINGS=error\nUNIRUN_MAX_WORKERS=2\n" });
    const config = RuntimeConfig.fromEnv({ UNIRUN_MODE: "threads", UNIRUN_MAX_WORKERS: "" }, { cwd });
    expect(config.mode).toBe("threads");
    expect(config.maxWorkers).toBeNull();
    expect(config.warnings).toBe("error");
  });

  it("UNIRUN_ENV_FILE names the file, relative to cwd or absolute", async () => {
    const cwd = await dirWith({ ".env": "UNIRUN_MODE=processes\n", "conf/ci.env": "UNIRUN_MODE=interpreters\n" });
    const relative = RuntimeConfig.fromEnv({ UNIRUN_ENV_FILE: "conf/ci.env" }, { cwd });
    expect(relative.mode).toBe("interpreters");
    expect(relative.envFile).toBe(path.join(cwd, "conf", "ci.env"));
    const absolute = RuntimeConfig.fromEnv({ UNIRUN_ENV_FILE: path.join(cwd, "conf", "ci.env") }, { cwd: base });
    expect(absolute.mode).toBe("interpreters");
  });

  it("a missing UNIRUN_ENV_FILE is exactly one warning, not a crash", async () => {
    const cwd = await dirWith({ ".env": "UNIRUN_MODE=processes\n" });
    const env = { UNIRUN_ENV_FILE: "missing.env", UNIRUN_WARNINGS: "ignore" };
    const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv(env, { cwd }));
    expect(value.mode).toBe("auto"); // the named file replaces .env; it is not a fallback to it
    expect(value.warnings).toBe("ignore");
    expect(value.envFile).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].name).toBe("UnirunConfigWarning");
    expect(warnings[0].message).toContain('UNIRUN_ENV_FILE="missing.env"');
    expect(warnings[0].message).toContain(path.join(cwd, "missing.env"));
    expect(warnings[0].message).toMatch(/does not exist/);
  });

  it("a missing default .env is silent", async () => {
    const cwd = await dirWith();
    const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv({ UNIRUN_MODE: "none" }, { cwd }));
    expect(value.mode).toBe("none");
    expect(value.envFile).toBeNull();
    expect(warnings).toEqual([]);
  });

  it("a default .env that cannot be read warns once", async () => {
    const cwd = await dirWith();
    await fs.mkdir(path.join(cwd, ".env"));
    const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv({}, { cwd }));
    expect(value.envFile).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/cannot be read \(EISDIR\)/);
  });

  it("a bad value in the file warns naming the file", async () => {
    const cwd = await dirWith({ ".env": "UNIRUN_THREAD_MODE=turbo\n" });
    const { value, warnings } = await withWarnings(() => RuntimeConfig.fromEnv({}, { cwd }));
    expect(value.threadMode).toBe("auto");
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain(`UNIRUN_THREAD_MODE="turbo" (from ${path.join(cwd, ".env")})`);
  });

  it("never writes process.env and prints nothing", async () => {
    const cwd = await dirWith({
      ".env": "UNIRUN_MODE=processes\nUNIRUN_TEST_ONLY_IN_FILE=1\nUNIRUN_FORCE_THREADS=maybe\nFOO_FROM_DOTENV=bar\n",
    });
    vi.stubEnv("UNIRUN_MODE", undefined); // CI may set it; the file's value must show through
    const before = { ...process.env };
    const writes = [
      vi.spyOn(process.stdout, "write"),
      vi.spyOn(process.stderr, "write"),
      vi.spyOn(console, "log"),
      vi.spyOn(console, "error"),
      vi.spyOn(console, "warn"),
    ];
    try {
      const config = RuntimeConfig.fromEnv(process.env, { cwd });
      expect(config.mode).toBe("processes");
      for (const spy of writes) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of writes) spy.mockRestore();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect({ ...process.env }).toEqual(before);
    expect(process.env.FOO_FROM_DOTENV).toBeUndefined();
  });
});
