/**
 * Self-contained functions (SPEC §1.1): the analogue of pickling a function.
 *
 * The calling side turns a function into a source text that, evaluated alone
 * in a fresh worker, rebuilds an equivalent function — or refuses with a
 * `TypeError` that says what the function captures and how to fix it. The
 * worker side evaluates that text with `evaluateFunctionSource`.
 *
 * Free variables are found by parsing (acorn) and scope analysis
 * (eslint-scope), never by pattern matching. Both are loaded on first use, so
 * importing this module — as every worker does — loads no parser.
 */
import { builtinModules, createRequire } from "node:module";
import { vm } from "../../builtins.js";
import type * as Acorn from "acorn";
import type * as EslintScope from "eslint-scope";

type AstNode = { type: string; [key: string]: unknown };
type Identifier = AstNode & { type: "Identifier"; name: string; start: number; end: number };

/** What analysing a function yields: its source, or why it cannot cross. */
type Analysis = { source: string } | { problem: string };

interface Parsers {
  acorn: typeof Acorn;
  eslintScope: typeof EslintScope;
}

let parsers: Parsers | undefined;

/** acorn and eslint-scope, required synchronously on first use (CJS builds). */
function loadParsers(): Parsers {
  if (!parsers) {
    // In the CJS build tsup shims import.meta.url, so this works in both builds.
    const require = createRequire(import.meta.url);
    parsers = { acorn: require("acorn"), eslintScope: require("eslint-scope") };
  }
  return parsers;
}

/**
 * Node's globals in a worker thread and a child process that a bare `vm`
 * context lacks. Some are newer than Node 20 (navigator, WebSocket): naming
 * one there is a ReferenceError at run time, as it would be on the caller.
 */
const NODE_WORKER_GLOBALS = [
  "global", "process", "Buffer", "console", "queueMicrotask", "structuredClone",
  "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate",
  "fetch", "Request", "Response", "Headers", "FormData", "WebSocket", "EventSource",
  "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "TextEncoderStream", "TextDecoderStream",
  "AbortController", "AbortSignal", "EventTarget", "Event", "CustomEvent", "DOMException",
  "performance", "PerformanceEntry", "PerformanceMark", "PerformanceMeasure", "PerformanceObserver",
  "PerformanceObserverEntryList", "PerformanceResourceTiming",
  "crypto", "Crypto", "CryptoKey", "SubtleCrypto", "WebAssembly", "atob", "btoa",
  "BroadcastChannel", "MessageChannel", "MessagePort", "MessageEvent", "Blob", "File",
  "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
  "ReadableByteStreamController", "ReadableStreamDefaultController", "TransformStream",
  "TransformStreamDefaultController", "WritableStream", "WritableStreamDefaultWriter",
  "WritableStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
  "CompressionStream", "DecompressionStream", "navigator", "Navigator",
];

let workerGlobals: Set<string> | undefined;

/**
 * The globals of a fresh worker: a new `vm` context's own names (the
 * ECMAScript built-ins) plus Node's. Deliberately not the caller's
 * `globalThis`, which may hold a test runner's globals or a program's own.
 */
function freshWorkerGlobals(): Set<string> {
  if (!workerGlobals) {
    const names = vm().runInNewContext("Object.getOwnPropertyNames(globalThis)") as string[];
    workerGlobals = new Set([...names, ...NODE_WORKER_GLOBALS]);
  }
  return workerGlobals;
}

/** Module-system names a worker's evaluated source does not have. */
const MODULE_SCOPE_NAMES = new Set(["require", "module", "exports", "__dirname", "__filename"]);

/** Down-levelling helpers of tsc (tslib), esbuild and Babel; `__name` is provided instead. */
const COMPILER_HELPERS = new Set([
  // tslib / tsc
  "__extends", "__assign", "__rest", "__decorate", "__param", "__esDecorate", "__runInitializers",
  "__propKey", "__setFunctionName", "__metadata", "__awaiter", "__generator", "__values", "__read",
  "__spread", "__spreadArrays", "__spreadArray", "__await", "__asyncGenerator", "__asyncDelegator",
  "__asyncValues", "__makeTemplateObject", "__importStar", "__importDefault", "__classPrivateFieldGet",
  "__classPrivateFieldSet", "__classPrivateFieldIn", "__addDisposableResource", "__disposeResources",
  // esbuild
  "__defProp", "__defNormalProp", "__publicField", "__privateGet", "__privateSet", "__privateAdd",
  "__privateMethod", "__privateWrapper", "__privateIn", "__accessCheck", "__async", "__spreadValues",
  "__spreadProps", "__objRest", "__restKey", "__pow", "__template", "__superGet", "__superSet",
  "__decorateClass", "__decorateParam", "__decoratorStart", "__decorateElement", "__decoratorMetadata",
  "__using", "__callDispose", "__forAwait", "__yieldStar", "__knownSymbol", "__typeError",
  "__require", "__toESM", "__toCommonJS", "__earlyAccess",
  // Babel (also numbered: _asyncToGenerator2)
  "_asyncToGenerator", "_defineProperty", "_objectSpread", "_objectSpread2", "_objectWithoutProperties",
  "_objectWithoutPropertiesLoose", "_classCallCheck", "_createClass", "_inherits", "_callSuper",
  "_possibleConstructorReturn", "_getPrototypeOf", "_setPrototypeOf", "_assertThisInitialized",
  "_slicedToArray", "_toConsumableArray", "_regeneratorRuntime", "_regenerator", "_typeof", "_extends",
  "_classPrivateFieldGet", "_classPrivateFieldSet", "_classPrivateFieldLooseBase", "_asyncIterator",
  "_awaitAsyncGenerator", "_wrapAsyncGenerator", "_asyncGeneratorDelegate", "_taggedTemplateLiteral",
  "_toPropertyKey", "_toPrimitive", "_interopRequireDefault", "_interopRequireWildcard",
  "_createForOfIteratorHelper", "_unsupportedIterableToArray", "_arrayLikeToArray", "_iterableToArray",
  "_arrayWithHoles", "_nonIterableRest", "_nonIterableSpread", "_objectDestructuringEmpty",
  "_superPropGet", "_decorate", "_applyDecs", "_using", "_usingCtx", "_wrapNativeSuper",
  "regeneratorRuntime",
]);

function isCompilerHelper(name: string): boolean {
  return COMPILER_HELPERS.has(name) || (name.startsWith("_") && COMPILER_HELPERS.has(name.replace(/\d+$/, "")));
}

/** vitest's names for a module's imports: plain, and hoisted around `vi.mock`. */
const VITEST_IMPORT = /^__vite_ssr_import_\d+__$|^__vi_import_\d+__$/;
/** esbuild's CJS name for an import namespace: `import_node_fs` for "node:fs". */
const ESBUILD_IMPORT = /^import_([\w$]+)$/;

/** Where an esbuild-mangled import came from, where the name tells. */
function esbuildModule(mangled: string): string {
  const base = mangled.replace(ESBUILD_IMPORT, "$1");
  const builtin = base.startsWith("node_") ? base.slice(5) : undefined;
  if (builtin !== undefined) {
    // esbuild numbers clashing names (import_node_fs2); "node:http2" is real.
    for (let name = builtin; name; name = /\d$/.test(name) ? name.slice(0, -1) : "") {
      if (builtinModules.includes(name)) return `imported from node:${name}`;
    }
  }
  return `imported from a module bundled as ${mangled}`;
}

/** How the caller wrote a free identifier, seen through a bundler's renaming. */
function describeCapture(id: Identifier, parent: AstNode | undefined): string {
  const name = id.name;
  if (name === "__vite_ssr_import_meta__" || name === "import_meta") return "`import.meta`";
  if (MODULE_SCOPE_NAMES.has(name)) return `\`${name}\` (CommonJS scope, not in a worker: use await import(...) inside the function)`;
  const vitest = VITEST_IMPORT.test(name);
  if (!vitest && !ESBUILD_IMPORT.test(name)) return `\`${name}\``;
  const origin = vitest ? "imported" : esbuildModule(name);
  const property = parent?.type === "MemberExpression" && parent.object === id ? memberName(parent) : undefined;
  if (property === undefined) return `a namespace import (${origin})`;
  if (property === "default") return `a default import (${origin})`;
  return `\`${property}\` (${origin})`;
}

function memberName(member: AstNode): string | undefined {
  const property = member.property as AstNode & { name?: string; value?: unknown };
  if (!member.computed && property.type === "Identifier") return property.name;
  if (member.computed && property.type === "Literal" && typeof property.value === "string") return property.value;
  return undefined;
}

/** Parents of the given nodes, found by one walk over the tree. */
function parentsOf(root: AstNode, wanted: Set<AstNode>): Map<AstNode, AstNode> {
  const parents = new Map<AstNode, AstNode>();
  const visit = (node: AstNode): void => {
    for (const value of Object.values(node)) {
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child === null || typeof child !== "object" || typeof (child as AstNode).type !== "string") continue;
        if (wanted.has(child as AstNode)) parents.set(child as AstNode, node);
        visit(child as AstNode);
      }
    }
  };
  visit(root);
  return parents;
}

const STRICT_PREFIX = '"use strict";(';

/** Parses `(source)` as strict-mode script code, as the worker evaluates it. */
function parseExpression(source: string): AstNode {
  const { acorn } = loadParsers();
  const program = acorn.parse(`${STRICT_PREFIX}${source}\n)`, {
    ecmaVersion: "latest",
    sourceType: "script",
    ranges: true, // eslint-scope reads node.range
  });
  const statement = program.body[1];
  if (program.body.length !== 2 || statement?.type !== "ExpressionStatement") {
    throw new SyntaxError("not a single expression");
  }
  return program as unknown as AstNode;
}

/** The more telling of two parse errors: the one that got further into the text. */
function parseFailure(...errors: unknown[]): string {
  const position = (error: unknown): number => (error as { pos?: number })?.pos ?? -1;
  const [best] = errors.filter(Boolean).sort((a, b) => position(b) - position(a));
  return String((best as Error)?.message ?? best).replace(/ \(\d+:\d+\)$/, "");
}

function expressionOf(program: AstNode): AstNode {
  return ((program.body as AstNode[])[1] as AstNode).expression as AstNode;
}

/**
 * The source to send and its parsed program: the function's text, or for
 * object-method shorthand (`double(x) {...}`) the text wrapped so it evaluates.
 */
function shape(text: string): { source: string; program: AstNode } | { problem: string } {
  let functionError: unknown;
  try {
    const program = parseExpression(text);
    const type = expressionOf(program).type;
    if (type === "FunctionExpression" || type === "ArrowFunctionExpression") return { source: text, program };
    if (type === "ClassExpression") return { problem: "fn is a class; class constructors cannot be sent to a worker — use a task reference" };
  } catch (error) {
    functionError = error;
  }
  return shapeMethod(text, functionError);
}

function shapeMethod(text: string, functionError: unknown): { source: string; program: AstNode } | { problem: string } {
  let property: AstNode | undefined;
  let methodError: unknown;
  try {
    const object = expressionOf(parseExpression(`{${text}\n}`));
    const properties = object.properties as AstNode[];
    if (object.type === "ObjectExpression" && properties.length === 1) property = properties[0];
  } catch (error) {
    methodError = error;
  }
  if (!property || property.type !== "Property") {
    return { problem: `fn's source does not evaluate on its own in strict mode (${parseFailure(functionError, methodError)}) — use a task reference` };
  }
  if (property.kind !== "init") return { problem: `fn is a ${String(property.kind)}ter; getters and setters cannot be sent to a worker — use a task reference` };
  const key = property.key as AstNode & { name?: string; value?: unknown };
  if (property.computed || !property.method) {
    return { problem: "fn is a method with a computed key; it cannot be sent to a worker — use a task reference" };
  }
  const access = key.type === "Identifier" ? `.${key.name}` : `[${JSON.stringify(String(key.value))}]`;
  const source = `({${text}\n})${access}`;
  return { source, program: parseExpression(source) };
}

/** Parses, shapes and checks a function's source; the result is cached per function. */
function analyse(fn: Function): Analysis {
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(text)) {
    const what = fn.name.startsWith("bound ") ? "a bound function" : "a built-in function";
    return { problem: `fn is ${what}; bound and built-in functions cannot be sent to a worker (their source is not available) — use a task reference` };
  }
  const shaped = shape(text);
  if ("problem" in shaped) return shaped;
  const { eslintScope } = loadParsers();
  const ast = shaped.program as unknown as Parameters<typeof eslintScope.analyze>[0];
  const through = eslintScope.analyze(ast, { ecmaVersion: 2022, sourceType: "script" }).globalScope?.through ?? [];
  const free = through.map((ref) => ref.identifier as unknown as Identifier);
  const parents = parentsOf(shaped.program, new Set(free));
  return classify(fn, shaped.source, free, parents);
}

/** Sorts the free identifiers into provided, rewritable, helpers and captures. */
function classify(fn: Function, source: string, free: Identifier[], parents: Map<AstNode, AstNode>): Analysis {
  const globals = freshWorkerGlobals();
  const helpers = new Set<string>();
  const captures = new Set<string>();
  const dynamicImports: Identifier[] = [];
  for (const id of free) {
    const parent = parents.get(id);
    if (id.name === "__name" || (globals.has(id.name) && !MODULE_SCOPE_NAMES.has(id.name))) continue;
    if (id.name === "__vite_ssr_dynamic_import__" && parent?.type === "CallExpression" && parent.callee === id) {
      dynamicImports.push(id); // vitest's rewrite of import(): undo it
    } else if (isCompilerHelper(id.name)) {
      helpers.add(`\`${id.name}\``);
    } else {
      captures.add(describeCapture(id, parent));
    }
  }
  if (helpers.size > 0) {
    const what = helpers.size === 1 ? "helper" : "helpers";
    return { problem: `fn uses the compiler ${what} ${[...helpers].join(", ")}, which a worker does not have (its syntax was down-levelled); compile for ES2022 or later, or use a task reference` };
  }
  if (captures.size > 0) return { problem: captureProblem(fn, [...captures]) };
  return { source: undoDynamicImports(source, dynamicImports) };
}

function captureProblem(fn: Function, captures: string[]): string {
  const name = /^[A-Za-z_$][\w$]*$/.test(fn.name) ? fn.name : "name";
  return `fn captures ${captures.join(", ")} — a function sent to a worker must be self-contained. ` +
    `Move it into a module and pass a task reference: export it from ./tasks.js and submit ` +
    `task(new URL("./tasks.js", import.meta.url), "${name}")`;
}

function undoDynamicImports(source: string, ids: Identifier[]): string {
  const offset = STRICT_PREFIX.length;
  let result = source;
  for (const id of [...ids].sort((a, b) => b.start - a.start)) {
    result = result.slice(0, id.start - offset) + "import" + result.slice(id.end - offset);
  }
  return result;
}

const analyses = new WeakMap<Function, Analysis>();

/**
 * The source of `fn` as a text that, evaluated alone as an expression in a
 * fresh worker (with `evaluateFunctionSource`), yields an equivalent function.
 * Object-method shorthand is wrapped so that it evaluates. The analysis runs
 * once per function object.
 *
 * A module-level binding that shadows a global (`const URL = ...`) cannot be
 * seen from the function's source; the worker's global is used.
 *
 * @param fn The function to send.
 * @param caller How the caller names the call in messages; default `submit(fn)`.
 * @returns The source text.
 * @throws TypeError when `fn` cannot cross: a closure (the message names every
 *   captured identifier, imports by their imported name), a bound or built-in
 *   function, a class, a getter or setter, or code down-levelled with compiler
 *   helpers other than `__name`.
 */
export function functionSource(fn: Function, caller?: string): string {
  const prefix = `${caller ?? "submit(fn)"}: `;
  if (typeof fn !== "function") throw new TypeError(`${prefix}expected a function, got ${typeof fn}`);
  let analysis = analyses.get(fn);
  if (!analysis) {
    analysis = analyse(fn);
    analyses.set(fn, analysis);
  }
  if ("problem" in analysis) throw new TypeError(prefix + analysis.problem);
  return analysis.source;
}

/** tsx/esbuild's keepNames helper, which the evaluated source may call as `__name`. */
const nameHelper = (target: object, value: string): object =>
  Object.defineProperty(target, "name", { value, configurable: true });

const MAX_COMPILED = 1_000;
const compiled = new Map<string, Function>();

/**
 * Worker side: the function a `functionSource` text evaluates to. The text is
 * evaluated as strict-mode code with only `__name` (tsx/esbuild's keepNames
 * helper) in scope besides the worker's globals — any other evaluator of these
 * texts must also provide `__name`. Compiled functions are cached by source
 * (least recently used dropped beyond 1,000), so a function sent many times is
 * compiled once per worker. A dynamic `import()` in the text works where this
 * module was loaded by Node itself (not through a test runner's module
 * runner, which gives eval'd code no import hook).
 *
 * @param source A text returned by `functionSource`.
 * @returns The function it evaluates to.
 * @throws SyntaxError when `source` does not parse; TypeError when it does not
 *   evaluate to a function.
 */
export function evaluateFunctionSource(source: string): Function {
  const cached = compiled.get(source);
  if (cached) {
    compiled.delete(source);
    compiled.set(source, cached);
    return cached;
  }
  const fn: unknown = new Function("__name", `"use strict";\nreturn (${source}\n);`)(nameHelper);
  if (typeof fn !== "function") throw new TypeError(`function source evaluated to ${typeof fn}, not a function`);
  compiled.set(source, fn);
  if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  return fn;
}
