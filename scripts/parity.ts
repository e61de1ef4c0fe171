/**
 * The compat-parity snapshot (SPEC §8, `tests/data/compat_parity.json`): for
 * `futures` and `asyncio`, every name the native module and its compat mirror
 * export, with kind and signature, and the names missing on either side.
 *
 * Shared by `scripts/update-compat-parity.ts`, which writes the snapshot, and
 * `tests/compat-parity.test.ts`, which recomputes it from the live exports.
 * Parameter names come from the running code (`fn.toString()` parsed with
 * acorn); option keys and public methods from the TypeScript declarations.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import { type Declarations, type Declared, type DeclaredMethod, readDeclarations } from "./parity-declarations.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SNAPSHOT = resolve(ROOT, "tests/data/compat_parity.json");

export type Namespace = Record<string, unknown>;
export type Side = "native" | "compat";
export type ModuleKey = "futures" | "asyncio";

interface SideSpec {
  specifier: string;
  source: string;
  load: () => Promise<Namespace>;
}

/** The two modules compared, each native and compat (compat under the mode the caller set). */
export const MODULES: Record<ModuleKey, { python: string } & Record<Side, SideSpec>> = {
  futures: {
    python: "concurrent.futures",
    native: { specifier: "unirun/futures", source: "src/api/futures.ts", load: () => import("../src/api/futures.js") },
    compat: {
      specifier: "unirun/compat/futures",
      source: "src/compat/futures.ts",
      load: () => import("../src/compat/futures.js"),
    },
  },
  asyncio: {
    python: "asyncio",
    native: { specifier: "unirun/asyncio", source: "src/asyncio/index.ts", load: () => import("../src/asyncio/index.js") },
    compat: {
      specifier: "unirun/compat/asyncio",
      source: "src/compat/asyncio.ts",
      load: () => import("../src/compat/asyncio.js"),
    },
  },
};

export type Kind = "class" | "error" | "function" | "constant";

export interface Method {
  params: string[];
  options: string[];
}

/** One exported name. Constants carry `value`; classes and errors `bases` (and classes `methods`). */
export interface Entry {
  kind: Kind;
  params?: string[];
  options?: string[];
  bases?: string[];
  methods?: Record<string, Method>;
  value?: string | number | boolean | null;
}

export interface ModuleParity {
  module: { native: string; compat: string; python: string };
  native: Record<string, Entry>;
  compat: Record<string, Entry>;
  /** `compat`: names native exports and compat lacks; `native`: the reverse. */
  missing: { compat: string[]; native: string[] };
  /** Names on both sides whose entries differ, with the differing fields. */
  mismatched: Record<string, string[]>;
}

export type ExportParity = Record<ModuleKey, ModuleParity>;

/** Load both sides of both modules and describe their exports (without the Python part). */
export async function computeExportParity(): Promise<ExportParity> {
  const sources = Object.values(MODULES).flatMap((m) => [m.native.source, m.compat.source]);
  const declarations = readDeclarations(ROOT, sources);
  const result = {} as ExportParity;
  for (const key of Object.keys(MODULES).sort() as ModuleKey[]) {
    const spec = MODULES[key];
    const native = describeModule(await spec.native.load(), declarations, spec.native.source);
    const compat = describeModule(await spec.compat.load(), declarations, spec.compat.source);
    result[key] = {
      module: { native: spec.native.specifier, compat: spec.compat.specifier, python: spec.python },
      native,
      compat,
      missing: {
        compat: Object.keys(native).filter((name) => !(name in compat)),
        native: Object.keys(compat).filter((name) => !(name in native)),
      },
      mismatched: mismatches(native, compat),
    };
  }
  return result;
}

/** Describe every runtime export of `ns`, sorted by name. */
export function describeModule(ns: Namespace, declarations: Declarations, source: string): Record<string, Entry> {
  const declared = declarations.get(source) ?? new Map<string, Declared>();
  const entries: Record<string, Entry> = {};
  for (const name of Object.keys(ns).sort()) entries[name] = describe(ns, name, declared.get(name));
  return entries;
}

export function kindOf(value: unknown): Kind {
  if (typeof value !== "function") return "constant";
  if (value === Error || value.prototype instanceof Error) return "error";
  return /^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function";
}

function describe(ns: Namespace, name: string, declared: Declared | undefined): Entry {
  const value = ns[name];
  const kind = kindOf(value);
  if (kind === "constant") return { kind, value: primitive(value) };
  const fn = value as Function;
  const params = (kind === "function" ? paramsOf(fn) : constructorParams(fn)) ?? declared?.params ?? [];
  const entry: Entry = { kind, params, options: kind === "error" ? [] : (declared?.options ?? []) };
  if (kind === "function") return entry;
  entry.bases = exportedBases(ns, fn);
  if (kind === "class") entry.methods = methodsOf(fn, declared?.methods ?? {});
  return entry;
}

function primitive(value: unknown): string | number | boolean | null {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return value as string | number | boolean;
  return `<${typeof value}>`;
}

/** The ancestors of `cls` that `ns` also exports, nearest first, by export name. */
function exportedBases(ns: Namespace, cls: Function): string[] {
  const bases: string[] = [];
  for (let parent = Object.getPrototypeOf(cls); parent && parent !== Function.prototype; ) {
    const name = Object.keys(ns).sort().find((key) => ns[key] === parent);
    if (name !== undefined) bases.push(name);
    parent = Object.getPrototypeOf(parent);
  }
  return bases;
}

/** Declared public methods; parameters read from the runtime method, else (abstract) from the declaration. */
function methodsOf(cls: Function, declared: Record<string, DeclaredMethod>): Record<string, Method> {
  const methods: Record<string, Method> = {};
  for (const name of Object.keys(declared).sort()) {
    const method = findMethod(cls.prototype, name);
    const params = (method ? paramsOf(method) : null) ?? declared[name].params;
    methods[name] = { params, options: declared[name].options };
  }
  return methods;
}

function findMethod(prototype: object | null, name: string): Function | null {
  const symbol = /^\[Symbol\.(\w+)\]$/.exec(name);
  const key: PropertyKey | undefined = symbol ? (Symbol as unknown as Record<string, symbol>)[symbol[1]] : name;
  if (key === undefined) return null;
  for (let proto = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    if (descriptor) return typeof descriptor.value === "function" ? descriptor.value : null;
  }
  return null;
}

type FunctionNode = acorn.FunctionExpression | acorn.ArrowFunctionExpression | acorn.ClassExpression;

/** Parse a function's, method's or class's source; `null` for native code. */
function parseSource(fn: Function): FunctionNode | null {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(source)) return null;
  // A function, arrow or class is an expression; a method only parses inside an object literal.
  for (const wrapped of [`(${source})`, `({${source}})`]) {
    let program: acorn.Program;
    try {
      // A method lifted out of its class may name its private fields (`this.#value`).
      program = acorn.parse(wrapped, { ecmaVersion: "latest", sourceType: "module", checkPrivateFields: false });
    } catch {
      continue;
    }
    const statement = program.body[0];
    if (statement?.type !== "ExpressionStatement") continue;
    const node = statement.expression;
    if (node.type === "ObjectExpression") {
      const property = node.properties[0];
      if (property?.type === "Property" && property.value.type === "FunctionExpression") return property.value;
    } else if (["FunctionExpression", "ArrowFunctionExpression", "ClassExpression"].includes(node.type)) {
      return node as FunctionNode;
    }
  }
  throw new Error(`parity: cannot parse the source of ${fn.name || "an anonymous function"}`);
}

/** Parameter names of a function or method, as written (`...rest`, `{a, b}` for a destructured bag). */
export function paramsOf(fn: Function): string[] | null {
  const node = parseSource(fn);
  if (node === null || node.type === "ClassExpression") return null;
  return node.params.map(patternName);
}

/** The parameter names of the nearest constructor up the chain; `null` when that is native. */
function constructorParams(cls: Function): string[] | null {
  for (let current: Function = cls; current && current !== Function.prototype; current = Object.getPrototypeOf(current)) {
    const node = parseSource(current);
    if (node === null) return null;
    if (node.type !== "ClassExpression") return node.params.map(patternName);
    const ctor = node.body.body.find((m) => m.type === "MethodDefinition" && m.kind === "constructor");
    if (ctor?.type === "MethodDefinition") return ctor.value.params.map(patternName);
  }
  return [];
}

function patternName(pattern: acorn.Pattern): string {
  switch (pattern.type) {
    case "Identifier":
      return pattern.name;
    case "AssignmentPattern":
      return patternName(pattern.left);
    case "RestElement":
      return `...${patternName(pattern.argument)}`;
    case "ArrayPattern":
      return `[${pattern.elements.map((e) => (e ? patternName(e) : "")).join(", ")}]`;
    case "ObjectPattern":
      return `{${pattern.properties
        .map((p) => (p.type === "RestElement" ? patternName(p) : propertyKey(p.key, p.computed)))
        .join(", ")}}`;
    default:
      return "?";
  }
}

function propertyKey(key: acorn.Expression | acorn.PrivateIdentifier, computed: boolean): string {
  if (!computed && key.type === "Identifier") return key.name;
  if (key.type === "Literal") return String(key.value);
  return "[computed]";
}

function mismatches(native: Record<string, Entry>, compat: Record<string, Entry>): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const name of Object.keys(native)) {
    if (!(name in compat)) continue;
    const fields = diffJson(native[name], compat[name]).map((line) => line.slice(0, line.indexOf(":")));
    if (fields.length > 0) result[name] = fields;
  }
  return result;
}

/** The differences between two JSON values, one line per differing path (`a.b: <left> ≠ <right>`). */
export function diffJson(left: unknown, right: unknown, path = ""): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(left) && isObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    return keys.flatMap((key) => diffJson(left[key], right[key], path ? `${path}.${key}` : key));
  }
  if (stableStringify(left) === stableStringify(right)) return [];
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return [`${path || "(root)"}: ${show(left)} ≠ ${show(right)}`];
}

/** JSON with object keys sorted at every level (array order kept), two-space indent, final newline. */
export function stableStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      const item = (v as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = sort(item);
    }
    return out;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}
