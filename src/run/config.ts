/**
 * `RuntimeConfig` (SPEC §6): the immutable settings of managed mode, built in
 * code (`new RuntimeConfig({...})`, `config.with({...})`) or read from the
 * environment (`RuntimeConfig.fromEnv()`).
 *
 * Two kinds of bad input, two behaviours:
 *
 * - In code, a wrong option is a programming error: the constructor throws a
 *   `TypeError` (wrong type, unknown key) or `RangeError` (out of range) naming
 *   the field and the accepted values.
 * - In the environment, a wrong value must never crash a deployment nor pass
 *   silently: `fromEnv` emits one `UnirunConfigWarning` (code `UNIRUN_CONFIG`)
 *   naming the variable, the value and the accepted values, and uses the
 *   default. "One" means once per process for the same variable and value.
 *
 * unirun never writes `process.env` and prints nothing itself: warnings go
 * through `process.emitWarning`, where Node (or the application) reports them.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe } from "../futures/timeouts.js";

const requireHere = createRequire(import.meta.url);

/** `UNIRUN_COMPAT_MODE` (SPEC §4): wrap constructors (`managed`) or re-export natives (`passthrough`). */
export type CompatMode = "managed" | "passthrough";
/** `UNIRUN_THREAD_MODE` (SPEC §6): where ThreadPoolExecutor tasks run. */
export type ThreadMode = "auto" | "gil" | "nogil";
/** `UNIRUN_MODE` and `Run({ flavor })` (SPEC §5), in Python's vocabulary. */
export type Flavor = "auto" | "threads" | "interpreters" | "processes" | "none";
/** `UNIRUN_WARNINGS` (SPEC §4): downgrade warnings warn, throw, or stay silent. */
export type WarningsMode = "default" | "error" | "ignore";

/** The accepted compat modes, default first. */
export const COMPAT_MODES: readonly CompatMode[] = Object.freeze(["managed", "passthrough"] as const);
/** The accepted thread modes, default first. */
export const THREAD_MODES: readonly ThreadMode[] = Object.freeze(["auto", "gil", "nogil"] as const);
/** The accepted flavors, default first (the order a `RangeError` lists them in). */
export const FLAVORS: readonly Flavor[] = Object.freeze([
  "auto",
  "threads",
  "interpreters",
  "processes",
  "none",
] as const);
/** The accepted warnings modes, default first. */
export const WARNINGS_MODES: readonly WarningsMode[] = Object.freeze(["default", "error", "ignore"] as const);

/** Options of `new RuntimeConfig(...)` and `config.with(...)`; every field optional. */
export interface RuntimeConfigInit {
  /** `UNIRUN_COMPAT_MODE`; default `"managed"`. */
  compatMode?: CompatMode;
  /** `UNIRUN_THREAD_MODE`; default `"auto"`. */
  threadMode?: ThreadMode;
  /** `UNIRUN_FORCE_THREADS`: force `auto` decisions to `threads`; default `false`. */
  forceThreads?: boolean;
  /** `UNIRUN_FORCE_PROCESS`: force `auto` decisions to `processes`; default `false`. */
  forceProcess?: boolean;
  /** `UNIRUN_MAX_WORKERS`: caps automatically chosen pool sizes (workers); `null` (default) for no cap. */
  maxWorkers?: number | null;
  /** `UNIRUN_MODE`: the default flavor; default `"auto"`. */
  mode?: Flavor;
  /** `UNIRUN_WARNINGS`; default `"default"`. */
  warnings?: WarningsMode;
  /** The `.env` file the settings were read from (absolute path), or `null` (default) for none. */
  envFile?: string | null;
}

/** Every field of a {@link RuntimeConfig}, as plain data (what `toJSON()` returns). */
export type RuntimeConfigJSON = {
  -readonly [K in keyof RuntimeConfigInit]-?: Exclude<RuntimeConfigInit[K], undefined>;
};

/** Options of {@link RuntimeConfig.fromEnv}. */
export interface FromEnvOptions {
  /** The directory `.env` and a relative `UNIRUN_ENV_FILE` are resolved against; default `process.cwd()`. */
  cwd?: string;
}

/** The `type` (warning name) of configuration warnings. */
export const CONFIG_WARNING_TYPE = "UnirunConfigWarning";
/** The `code` of configuration warnings. */
export const CONFIG_WARNING_CODE = "UNIRUN_CONFIG";

const DEFAULTS: Readonly<RuntimeConfigJSON> = Object.freeze({
  compatMode: "managed",
  threadMode: "auto",
  forceThreads: false,
  forceProcess: false,
  maxWorkers: null,
  mode: "auto",
  warnings: "default",
  envFile: null,
});

type Field = keyof RuntimeConfigJSON;
const FIELDS = Object.keys(DEFAULTS) as Field[];
type EnumField = "compatMode" | "threadMode" | "mode" | "warnings";

const ENUMS: Readonly<Record<EnumField, readonly string[]>> = {
  compatMode: COMPAT_MODES,
  threadMode: THREAD_MODES,
  mode: FLAVORS,
  warnings: WARNINGS_MODES,
};

const quoted = (values: readonly string[]): string => values.map((v) => JSON.stringify(v)).join(", ");

function isEnumField(field: Field): field is EnumField {
  return Object.hasOwn(ENUMS, field);
}

/** Validates one field of an init object. @throws TypeError or RangeError naming the field. */
function checkField(field: Field, value: unknown): void {
  const where = `RuntimeConfig(${field})`;
  const got = `; got ${describe(value)}`;
  if (isEnumField(field)) {
    const accepted = `must be one of ${quoted(ENUMS[field])}`;
    if (typeof value !== "string") throw new TypeError(`${where}: ${accepted}${got}`);
    if (!ENUMS[field].includes(value)) throw new RangeError(`${where}: ${accepted}${got}`);
  } else if (field === "forceThreads" || field === "forceProcess") {
    if (typeof value !== "boolean") throw new TypeError(`${where}: must be a boolean (true or false)${got}`);
  } else if (field === "maxWorkers") {
    if (value === null) return;
    const accepted = "must be a positive integer (a number of workers) or null (no cap)";
    if (typeof value !== "number") throw new TypeError(`${where}: ${accepted}${got}`);
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${where}: ${accepted}; got ${value}`);
  } else if (value !== null && (typeof value !== "string" || value === "")) {
    throw new TypeError(`${where}: must be a non-empty path string or null${got}`);
  }
}

/** Validates an init object and fills in the defaults. */
function resolveInit(init: unknown): RuntimeConfigJSON {
  if (typeof init !== "object" || init === null || Array.isArray(init)) {
    throw new TypeError(`RuntimeConfig: options must be an object; got ${describe(init)}`);
  }
  const unknown = Object.keys(init).filter((key) => !(FIELDS as string[]).includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `RuntimeConfig: unknown option ${quoted(unknown)}; accepted options: ${FIELDS.join(", ")}`,
    );
  }
  const values: Record<string, unknown> = { ...DEFAULTS };
  for (const field of FIELDS) {
    const value = (init as Record<string, unknown>)[field];
    if (value === undefined) continue;
    checkField(field, value);
    values[field] = value;
  }
  if (values.forceThreads === true && values.forceProcess === true) {
    throw new RangeError(
      "RuntimeConfig(forceThreads, forceProcess): at most one may be true; " +
        "set forceProcess: false (from the environment, UNIRUN_FORCE_THREADS wins with a warning)",
    );
  }
  return values as RuntimeConfigJSON;
}

/**
 * The immutable settings of managed mode (SPEC §6). Every field is readonly and
 * the instance is frozen; derive a changed copy with {@link RuntimeConfig.with}.
 */
export class RuntimeConfig {
  /** `UNIRUN_COMPAT_MODE`: `"managed"` (default) or `"passthrough"`. */
  readonly compatMode: CompatMode;
  /** `UNIRUN_THREAD_MODE`: `"auto"` (default), `"gil"` or `"nogil"`. */
  readonly threadMode: ThreadMode;
  /** `UNIRUN_FORCE_THREADS`: force `auto` decisions to `threads`. */
  readonly forceThreads: boolean;
  /** `UNIRUN_FORCE_PROCESS`: force `auto` decisions to `processes` (never true with `forceThreads`). */
  readonly forceProcess: boolean;
  /** `UNIRUN_MAX_WORKERS`: cap on automatically chosen pool sizes, in workers; `null` for none. */
  readonly maxWorkers: number | null;
  /** `UNIRUN_MODE`: the default flavor. */
  readonly mode: Flavor;
  /** `UNIRUN_WARNINGS`: what a downgrade does — warn (`"default"`), throw (`"error"`) or nothing (`"ignore"`). */
  readonly warnings: WarningsMode;
  /** The absolute path of the `.env` file `fromEnv` read, or `null`. Informational. */
  readonly envFile: string | null;

  /**
   * @param init fields to set; omitted (or `undefined`) fields take their defaults.
   * @throws TypeError when `init` is not an object, has an unknown key, or a field has the wrong type.
   * @throws RangeError when a field is out of range (`maxWorkers <= 0` or not an integer, an unknown
   *   mode string), or when both `forceThreads` and `forceProcess` are true.
   */
  constructor(init: RuntimeConfigInit = {}) {
    const values = resolveInit(init);
    this.compatMode = values.compatMode;
    this.threadMode = values.threadMode;
    this.forceThreads = values.forceThreads;
    this.forceProcess = values.forceProcess;
    this.maxWorkers = values.maxWorkers;
    this.mode = values.mode;
    this.warnings = values.warnings;
    this.envFile = values.envFile;
    Object.freeze(this);
  }

  /**
   * Reads the `UNIRUN_*` variables of SPEC §6 from `env`, over the `UNIRUN_*`
   * keys of a `.env` file: `UNIRUN_ENV_FILE` (relative to `cwd`) when set,
   * else `.env` in `cwd`. A variable set in `env` (even to `""`) wins over the
   * file, as dotenv never overrides a variable already set; an empty value
   * means "unset" (the default). Other keys of the file are ignored, and
   * `env` is only read.
   *
   * Never throws on bad input: an unrecognised value, a missing or unreadable
   * `UNIRUN_ENV_FILE`, or both force flags set each emit one
   * `UnirunConfigWarning` (per process, per variable and value) and fall back —
   * to the default, to no file, to threads. A missing default `.env` is silent.
   *
   * @param env the variables to read; default `process.env`.
   * @param options `cwd`: where `.env` and a relative `UNIRUN_ENV_FILE` are looked up; default `process.cwd()`.
   */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>> = process.env,
    options: FromEnvOptions = {},
  ): RuntimeConfig {
    const cwd = options.cwd ?? process.cwd();
    const file = readEnvFile(env, cwd);
    const init: Record<string, unknown> = { envFile: file.path };
    for (const variable of VARIABLES) {
      const fromEnv = env[variable.name];
      const raw = fromEnv ?? file.values[variable.name];
      if (raw === undefined) continue;
      const origin = fromEnv === undefined ? ` (from ${file.path})` : "";
      const value = parseVariable(variable, raw, origin);
      if (value !== undefined) init[variable.field] = value;
    }
    if (init.forceThreads === true && init.forceProcess === true) {
      warnOnce(
        "UNIRUN_FORCE_THREADS+UNIRUN_FORCE_PROCESS",
        "both",
        "UNIRUN_FORCE_THREADS and UNIRUN_FORCE_PROCESS are both true: threads wins (as in Python). " +
          "Unset one of them.",
      );
      init.forceProcess = false;
    }
    return new RuntimeConfig(init as RuntimeConfigInit);
  }

  /**
   * A new validated config: this one with `overrides` applied. A field given as
   * `undefined` keeps this config's value; `maxWorkers: null` removes the cap.
   *
   * @throws TypeError or RangeError as the constructor does.
   */
  with(overrides: RuntimeConfigInit): RuntimeConfig {
    if (typeof overrides !== "object" || overrides === null) {
      throw new TypeError(`RuntimeConfig.with: overrides must be an object; got ${describe(overrides)}`);
    }
    const defined = Object.entries(overrides).filter(([, value]) => value !== undefined);
    return new RuntimeConfig({ ...this.toJSON(), ...Object.fromEntries(defined) });
  }

  /** Every field as plain data; `new RuntimeConfig(config.toJSON())` is an equal config. */
  toJSON(): RuntimeConfigJSON {
    return {
      compatMode: this.compatMode,
      threadMode: this.threadMode,
      forceThreads: this.forceThreads,
      forceProcess: this.forceProcess,
      maxWorkers: this.maxWorkers,
      mode: this.mode,
      warnings: this.warnings,
      envFile: this.envFile,
    };
  }
}

// ——— the environment ———

interface Variable {
  name: string;
  field: Exclude<Field, "envFile">;
  /** The accepted values, as the warning lists them. */
  accepted: string;
  /** The parsed value, or `undefined` when unrecognised. */
  parse: (value: string) => unknown;
}

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...["1", "true", "yes", "on"].map((word) => [word, true] as const),
  ...["0", "false", "no", "off"].map((word) => [word, false] as const),
]);

function enumVariable(name: string, field: EnumField): Variable {
  const accepted = ENUMS[field];
  return {
    name,
    field,
    accepted: accepted.join(", "),
    parse: (value) => accepted.find((candidate) => candidate === value.toLowerCase()),
  };
}

function booleanVariable(name: string, field: "forceThreads" | "forceProcess"): Variable {
  return {
    name,
    field,
    accepted: "1, 0, true, false, yes, no, on, off (any case)",
    parse: (value) => BOOLEANS.get(value.toLowerCase()),
  };
}

const VARIABLES: readonly Variable[] = [
  enumVariable("UNIRUN_COMPAT_MODE", "compatMode"),
  enumVariable("UNIRUN_THREAD_MODE", "threadMode"),
  booleanVariable("UNIRUN_FORCE_THREADS", "forceThreads"),
  booleanVariable("UNIRUN_FORCE_PROCESS", "forceProcess"),
  {
    name: "UNIRUN_MAX_WORKERS",
    field: "maxWorkers",
    accepted: "a positive integer",
    parse: (value) => {
      const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      return Number.isSafeInteger(n) && n > 0 ? n : undefined;
    },
  },
  enumVariable("UNIRUN_MODE", "mode"),
  enumVariable("UNIRUN_WARNINGS", "warnings"),
];

/** The variables `fromEnv` reads (besides `UNIRUN_ENV_FILE`), in SPEC §6 order. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(VARIABLES.map((v) => v.name));

/** Parses one variable's value (trimmed; case-insensitive); warns and returns `undefined` when unrecognised. */
function parseVariable(variable: Variable, raw: string, origin: string): unknown {
  const value = raw.trim();
  if (value === "") return undefined;
  const parsed = variable.parse(value);
  if (parsed !== undefined) return parsed;
  const fallback = DEFAULTS[variable.field];
  warnOnce(
    variable.name,
    raw,
    `${variable.name}=${JSON.stringify(raw)}${origin} is not a recognised value; ` +
      `accepted values: ${variable.accepted}. ` +
      (fallback === null ? "Using the default (no cap)." : `Using the default: ${JSON.stringify(fallback)}.`),
  );
  return undefined;
}

interface EnvFile {
  /** Absolute path of the file read, or `null`. */
  path: string | null;
  /** Its `UNIRUN_*` keys. */
  values: Readonly<Record<string, string>>;
}

/**
 * A default `.env` that does not exist (or that the permission model hides) is
 * silent: nobody asked for it. A file named by `UNIRUN_ENV_FILE` was asked for,
 * so any failure to read it is a warning; so is a default `.env` that exists
 * but cannot be read.
 */
const SILENT_FOR_DEFAULT = new Set(["ENOENT", "ENOTDIR", "ERR_ACCESS_DENIED"]);

function readEnvFile(env: Readonly<Record<string, string | undefined>>, cwd: string): EnvFile {
  const named = env.UNIRUN_ENV_FILE?.trim() || null;
  const file = path.resolve(cwd, named ?? ".env");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = String((error as NodeJS.ErrnoException).code ?? "error");
    if (named === null && SILENT_FOR_DEFAULT.has(code)) return { path: null, values: {} };
    const problem = code === "ENOENT" ? "does not exist" : `cannot be read (${code})`;
    const subject = named === null ? file : `UNIRUN_ENV_FILE=${JSON.stringify(named)}: ${file}`;
    const fix = named === null ? "Make it a readable file or remove it." : "Create the file or unset UNIRUN_ENV_FILE.";
    warnOnce("UNIRUN_ENV_FILE", named ?? file, `${subject} ${problem}; no .env file was read. ${fix}`);
    return { path: null, values: {} };
  }
  // Required here, not imported: most processes have no .env file, and
  // `fromEnv` is synchronous, so a dynamic import() would not do.
  const dotenv = requireHere("dotenv") as typeof import("dotenv");
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(dotenv.parse(text))) {
    if (key.startsWith("UNIRUN_") && key !== "UNIRUN_ENV_FILE") values[key] = value;
  }
  return { path: file, values };
}

// ——— warnings ———

const warned = new Set<string>();

/** Emits a configuration warning unless this (variable, value) pair already warned in this process. */
function warnOnce(variable: string, value: string, message: string): void {
  const key = `${variable}\u0000${value}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { type: CONFIG_WARNING_TYPE, code: CONFIG_WARNING_CODE });
}

/** Forgets which configuration warnings were emitted, so they are emitted again (for tests). */
export function resetConfigWarnings(): void {
  warned.clear();
}
