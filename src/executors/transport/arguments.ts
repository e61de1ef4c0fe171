/**
 * Arguments across a boundary (SPEC §1.1): an argument that cannot cross fails
 * with a `TypeError` naming its position before anything is sent.
 *
 * Copying every argument to find out would double the cost of every call, so
 * `checkArguments` walks the values instead, bounded in depth and size, and
 * only serializes a sub-value it cannot classify by itself (an instance of an
 * unknown class). What lies beyond the bound is left to the real send, whose
 * failure `cloneFailureMessage` turns into the same positional `TypeError`.
 */
import { EventEmitter } from "node:events";
import util from "node:util";
import { v8 } from "../../builtins.js";

/** Which serializer carries the call: structured clone (threads) or `v8.serialize` (processes). */
export type Transport = "thread" | "process";

/** Nesting deeper than this is not walked (the send's safety net decides). */
const MAX_DEPTH = 64;
/** On the error path the walk goes deeper, to name the culprit (not so deep that it overflows the stack). */
const MAX_DEPTH_ON_ERROR = 1_000;
/** Paths longer than this many steps are shortened in messages. */
const MAX_PATH_STEPS = 12;
/** Values visited per `checkArguments` call before the walk stops and trusts the rest. */
const MAX_NODES = 10_000;

const DESTINATION: Record<Transport, string> = { thread: "a worker thread", process: "a child process" };

const NOT_CODE = "send the data it needs and call the function inside the task (export it from the task module)";
const LIVE =
  "it holds live state (a stream, socket, child process, handle or listener) that stays where it was created; send plain data (a path, a port number, the bytes) and recreate the object inside the task";

/** Why one value cannot cross, and where it sits inside its argument. */
interface Problem {
  what: string;
  reason: string;
  /** Accessors from the argument down to the value, e.g. `.a`, `[3]`; filled in while unwinding. */
  path: string[];
}

interface Walk {
  transport: Transport;
  nodes: number;
  maxDepth: number;
  seen: Set<object> | undefined;
  /** Set when the walk stopped at its bound, leaving values unvisited. */
  cut: boolean;
}

/** Why a value cannot cross: the accessors down to the culprit (`.a[3]`), what it is, and why. */
export interface CloneProblem {
  path: string;
  what: string;
  reason: string;
}

/**
 * Check that every argument can be sent to a worker thread (structured clone)
 * or a child process (`v8.serialize`), without copying them.
 *
 * Rejects functions, symbols, WeakMap/WeakSet/WeakRef, Promises, Proxies,
 * EventEmitters and EventTargets (streams, sockets, child processes...),
 * SharedArrayBuffers bound for a process, and instances the serializer itself
 * rejects. The walk stops after `MAX_NODES` values: past that, the send's own
 * failure is reported through `cloneFailureMessage`.
 *
 * @param caller how the call reads in messages, e.g. `submit(fn, ...args)`.
 * @throws TypeError `<caller>: argument 2 (args[1].x: a function) cannot be sent to a worker thread: <why and what to do>`
 *   — the position is 1-based, the `args[...]` index 0-based.
 */
export function checkArguments(args: readonly unknown[], caller: string, transport: Transport): void {
  const walk: Walk = { transport, nodes: MAX_NODES, maxDepth: MAX_DEPTH, seen: undefined, cut: false };
  for (let i = 0; i < args.length; i++) {
    const problem = findProblem(args[i], walk, 0);
    if (problem) throw positionalError(caller, i, transport, problem);
  }
}

/**
 * Turn a failed send (the `DataCloneError` of `postMessage`, the `Error` of
 * `v8.serialize`/`process.send`) into the positional `TypeError` of
 * `checkArguments`, by serializing each argument in turn to find the culprit.
 *
 * @param transport the serializer that failed; inferred from the error when omitted.
 * @returns the TypeError to fail the future with (its `cause` is `error`).
 */
export function cloneFailureMessage(
  error: unknown,
  args: readonly unknown[],
  caller: string,
  transport: Transport = inferTransport(error),
): TypeError {
  for (let i = 0; i < args.length; i++) {
    const failure = sendFailure(args[i], transport);
    if (failure === undefined) continue;
    return positionalError(caller, i, transport, pinpoint(args[i], failure, transport), error);
  }
  return new TypeError(
    `${caller}: the call could not be sent to ${DESTINATION[transport]}: ${firstLine(error)}`,
    { cause: error },
  );
}

/**
 * Whether the serializer refuses one of `args` (unbounded: for the error path
 * only, to tell the calls that sank a refused message from their neighbours).
 */
export function refusesArguments(args: readonly unknown[], transport: Transport): boolean {
  return args.some((arg) => sendFailure(arg, transport) !== undefined);
}

/**
 * The bounded walk of `checkArguments` over one value (a task's result, say).
 * `complete` is false when the walk stopped at its bound: what lies beyond is
 * unchecked, and only the real serializer can tell (see `sendProblem`).
 */
export function inspectValue(value: unknown, transport: Transport): { problem: CloneProblem | null; complete: boolean } {
  const walk: Walk = { transport, nodes: MAX_NODES, maxDepth: MAX_DEPTH, seen: undefined, cut: false };
  const found = findProblem(value, walk, 0);
  return { problem: found && flatten(found), complete: !walk.cut };
}

/**
 * Ask the real serializer about `value` (a full copy: for values the bounded
 * walk could not finish, or on the error path), and pinpoint the culprit.
 */
export function sendProblem(value: unknown, transport: Transport): CloneProblem | null {
  const failure = sendFailure(value, transport);
  return failure === undefined ? null : flatten(pinpoint(value, failure, transport));
}

/** Where inside `value` the serializer's `failure` comes from, by a walk without the node bound. */
function pinpoint(value: unknown, failure: unknown, transport: Transport): Problem {
  // Unbounded this time: we are already on the error path, and the walk names the exact spot.
  const walk: Walk = { transport, nodes: Infinity, maxDepth: MAX_DEPTH_ON_ERROR, seen: undefined, cut: false };
  return findProblem(value, walk, 0) ?? { what: kindOf(value), reason: firstLine(failure), path: [] };
}

function flatten(found: Problem): CloneProblem {
  return { path: pathText(found.path), what: found.what, reason: found.reason };
}

/** `.a.b[3]`, with the middle of a very long path left out. */
function pathText(steps: string[]): string {
  if (steps.length <= MAX_PATH_STEPS) return steps.join("");
  const half = MAX_PATH_STEPS / 2;
  return `${steps.slice(0, half).join("")}…(${steps.length - 2 * half} more)…${steps.slice(-half).join("")}`;
}

function positionalError(
  caller: string,
  index: number,
  transport: Transport,
  problem: Problem,
  cause?: unknown,
): TypeError {
  const where = `args[${index}]${pathText(problem.path)}`;
  const message = `${caller}: argument ${index + 1} (${where}: ${problem.what}) cannot be sent to ${DESTINATION[transport]}: ${problem.reason}`;
  return cause === undefined ? new TypeError(message) : new TypeError(message, { cause });
}

function findProblem(value: unknown, walk: Walk, depth: number): Problem | null {
  switch (typeof value) {
    case "function":
      return problem(kindOf(value), `functions cannot be cloned; ${NOT_CODE}`);
    case "symbol":
      return problem("a symbol", "symbols are unique to the realm that made them; send a string instead");
    case "object":
      if (value === null) return null;
      if (depth > walk.maxDepth || walk.nodes <= 0) {
        walk.cut = true;
        return null;
      }
      walk.seen ??= new Set();
      // Cycles and shared references are fine for both serializers; visit each object once.
      if (walk.seen.has(value)) return null;
      walk.seen.add(value);
      walk.nodes--;
      return objectProblem(value, walk, depth);
    default:
      return null;
  }
}

function objectProblem(value: object, walk: Walk, depth: number): Problem | null {
  if (util.types.isProxy(value)) return problem("a Proxy", "proxies cannot be cloned; send the target object");
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return propertiesProblem(value, walk, depth);
  if (proto === Array.prototype) return elementsProblem(value as unknown[], walk, depth);
  if (ArrayBuffer.isView(value)) {
    return walk.transport === "process" && util.types.isSharedArrayBuffer(value.buffer) ? sharedProblem(value) : null;
  }
  if (util.types.isSharedArrayBuffer(value)) return walk.transport === "process" ? sharedProblem(value) : null;
  if (util.types.isMap(value)) return mapProblem(value as Map<unknown, unknown>, walk, depth);
  if (util.types.isSet(value)) return setProblem(value as Set<unknown>, walk, depth);
  if (
    util.types.isArrayBuffer(value) ||
    util.types.isDate(value) ||
    util.types.isRegExp(value) ||
    (util.types.isBoxedPrimitive(value) && !util.types.isSymbolObject(value))
  ) {
    return null;
  }
  return liveObjectProblem(value, walk.transport) ?? unknownObjectProblem(value, walk.transport);
}

/** Values that clone "successfully" into something useless, or not at all, named with what to do instead. */
function liveObjectProblem(value: object, transport: Transport): Problem | null {
  const what = kindOf(value);
  if (util.types.isPromise(value)) return problem(what, "await it first and send the result");
  if (util.types.isWeakMap(value) || util.types.isWeakSet(value) || value instanceof WeakRef) {
    return problem(what, "weak references cannot be cloned; send a Map, a Set or the values themselves");
  }
  if (value instanceof FinalizationRegistry || util.types.isSymbolObject(value)) {
    return problem(what, "it cannot be cloned; send plain data instead");
  }
  if (value instanceof MessagePort) {
    // A worker thread receives a port through the transfer list; postMessage itself checks that it is listed.
    return transport === "thread" ? null : problem(what, "message ports cannot leave their process; send plain data instead");
  }
  if (value instanceof AbortSignal) {
    return problem(what, "an AbortSignal cannot be sent; pass it as submitWith({ signal }) to stop the task");
  }
  if (value instanceof EventEmitter || value instanceof EventTarget) return problem(what, LIVE);
  return null;
}

/**
 * An instance of a class the walk does not know (Blob, URL, KeyObject, a user
 * class...): only the real serializer can tell, so ask it about this one value.
 */
function unknownObjectProblem(value: object, transport: Transport): Problem | null {
  const failure = serializeFailure(value, transport);
  if (failure === undefined) return null;
  // "needs transfer": a FileHandle or port can reach a thread through the transfer list, which postMessage checks.
  if (transport === "thread" && needsTransfer(failure)) return null;
  return problem(kindOf(value), firstLine(failure));
}

function propertiesProblem(value: object, walk: Walk, depth: number): Problem | null {
  for (const key of Object.keys(value)) {
    if (--walk.nodes < 0) return stop(walk);
    let item: unknown;
    try {
      item = (value as Record<string, unknown>)[key];
    } catch (error) {
      // Both serializers read getters, so a throwing one fails the send too.
      return withStep(problem("a property getter", `reading it threw ${firstLine(error)}`), propertyStep(key));
    }
    const found = findProblem(item, walk, depth + 1);
    if (found) return withStep(found, propertyStep(key));
  }
  return null;
}

function elementsProblem(value: unknown[], walk: Walk, depth: number): Problem | null {
  // Indices only: listing a million keys to find a rare extra property would cost more than the check saves.
  for (let i = 0; i < value.length; i++) {
    if (--walk.nodes < 0) return stop(walk);
    const found = findProblem(value[i], walk, depth + 1);
    if (found) return withStep(found, `[${i}]`);
  }
  return null;
}

function mapProblem(value: Map<unknown, unknown>, walk: Walk, depth: number): Problem | null {
  let i = 0;
  for (const [key, item] of value) {
    if ((walk.nodes -= 2) < 0) return stop(walk);
    const found = findProblem(key, walk, depth + 1) ?? findProblem(item, walk, depth + 1);
    if (found) return withStep(found, `[map entry ${i}]`);
    i++;
  }
  return null;
}

function setProblem(value: Set<unknown>, walk: Walk, depth: number): Problem | null {
  let i = 0;
  for (const item of value) {
    if (--walk.nodes < 0) return stop(walk);
    const found = findProblem(item, walk, depth + 1);
    if (found) return withStep(found, `[set entry ${i}]`);
    i++;
  }
  return null;
}

function sharedProblem(value: object): Problem {
  return problem(
    kindOf(value),
    "shared memory cannot be shared with a child process (each process has its own memory); copy it into an ArrayBuffer, or use worker threads to share it",
  );
}

/** The error the transport's serializer throws for this value, or `undefined` when it accepts it. */
function serializeFailure(value: unknown, transport: Transport): unknown {
  try {
    if (transport === "thread") structuredClone(value);
    else v8().serialize(value);
    return undefined;
  } catch (error) {
    return error ?? new Error("serialization failed");
  }
}

/**
 * `serializeFailure`, except that for a worker thread a value that only needs
 * the transfer list (a MessagePort, a FileHandle) is no failure: the caller
 * listed it, or postMessage says so itself.
 */
function sendFailure(value: unknown, transport: Transport): unknown {
  const failure = serializeFailure(value, transport);
  return transport === "thread" && needsTransfer(failure) ? undefined : failure;
}

function needsTransfer(failure: unknown): boolean {
  return failure instanceof TypeError && /transferList/.test(failure.message);
}

/** postMessage throws DOMException DataCloneError (or a TypeError about transferList); v8.serialize a plain Error. */
function inferTransport(error: unknown): Transport {
  if (error instanceof DOMException || (error instanceof TypeError && /transferList/.test(error.message))) {
    return "thread";
  }
  return "process";
}

/** The walk ran out of nodes: leave the rest to the serializer. */
function stop(walk: Walk): null {
  walk.cut = true;
  return null;
}

function problem(what: string, reason: string): Problem {
  return { what, reason, path: [] };
}

function withStep(found: Problem, step: string): Problem {
  found.path.unshift(step);
  return found;
}

function propertyStep(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function kindOf(value: unknown): string {
  if (typeof value === "function") return value.name ? `function ${value.name}` : "a function";
  if (typeof value !== "object" || value === null) return typeof value === "symbol" ? "a symbol" : `a ${typeof value}`;
  if (util.types.isProxy(value)) return "a Proxy";
  try {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string" && name !== "" && name !== "Object") return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
  } catch {
    // A throwing `constructor` getter: fall through to the generic description.
  }
  return "an object";
}

/** The first line of an error's message, cut short: V8's messages can quote a whole function's source. */
function firstLine(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  } catch {
    text = "an unprintable error";
  }
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
