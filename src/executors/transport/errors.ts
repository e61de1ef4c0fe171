/**
 * Errors across a boundary (SPEC §1.2), shared by the worker-thread and
 * child-process backends.
 *
 * Structured clone and Node's advanced serializer both carry errors, but they
 * drop `code` and every other own property, turn user classes and
 * AggregateError into plain `Error`s (losing `errors`) and DOMException into a
 * plain object. So an error crosses as a plain `SerializedError` record and is
 * rebuilt on the other side; the record only ever holds values already proven
 * to survive both serializers, so sending it cannot fail.
 */
import util from "node:util";
import { v8 } from "../../builtins.js";
import { describe } from "../../futures/timeouts.js";
import type { SerializedError, SerializedErrorCtor } from "./types.js";

/** Errors nested deeper than this (cause chains, AggregateError members, props) cross as a description. */
const MAX_DEPTH = 32;
/** A DAG of errors (one error in many places) is serialized per occurrence; this bounds the total. */
const MAX_ERRORS = 1000;

const CONSTRUCTORS: Readonly<Record<SerializedErrorCtor, new (message?: string) => Error>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError: AggregateError as unknown as new (message?: string) => Error,
  DOMException,
};

const BUILTIN_BY_CONSTRUCTOR = new Map<unknown, SerializedErrorCtor>(
  Object.entries(CONSTRUCTORS).map(([name, ctor]) => [ctor, name as SerializedErrorCtor]),
);

/** Bookkeeping for one `serializeError` call. */
interface Walk {
  /** The errors on the current path: meeting one again is a cycle. */
  ancestors: Set<object>;
  /** Errors serialized so far. */
  count: number;
}

/**
 * Turn a thrown value into something that survives structured clone and
 * `v8.serialize`, for `deserializeError` to rebuild on the other side.
 *
 * @returns a `SerializedError` for an error (`instanceof Error`, or a native
 *   error from another realm); the value itself for any other value both
 *   serializers accept; otherwise a `SerializedError` describing the value.
 *   Never throws: unreadable properties, cycles and deep chains are described
 *   instead.
 */
export function serializeError(value: unknown): unknown {
  try {
    if (isErrorLike(value)) return serializeErrorObject(value, { ancestors: new Set(), count: 0 }, 0);
    if (canCross(value)) return value;
    return plainRecord("Error", `a value that cannot be sent back was thrown: ${safeDescribe(value)}`);
  } catch {
    // Only reachable through something pathological (e.g. a revoked Proxy); still answer.
    return plainRecord("Error", "an error was thrown but could not be read");
  }
}

/**
 * Rebuild what `serializeError` produced.
 *
 * @returns an error of the same built-in class (or of the nearest built-in
 *   ancestor, named after the user class) with the remote `message`, `stack`,
 *   `cause` (rebuilt recursively), `errors` (AggregateError) and own properties;
 *   any value that is not a serialized error, unchanged.
 */
export function deserializeError(value: unknown): unknown {
  return revive(value, 0);
}

function revive(value: unknown, depth: number): unknown {
  if (!isSerializedError(value)) return value;
  if (depth > MAX_DEPTH) return `[${value.name}: ${value.message}]`;
  const err = construct(value, depth);
  // V8 installs stack, cause and a non-default name as non-enumerable own properties; so do we.
  defineHidden(err, "stack", typeof value.stack === "string" ? value.stack : undefined);
  if (isObject(value.cause) && "value" in value.cause) defineHidden(err, "cause", revive(value.cause.value, depth + 1));
  const props = isObject(value.props) ? value.props : {};
  for (const key of Object.keys(props)) {
    // defineProperty, not assignment: a key such as "__proto__" or a setter on the prototype must not fire.
    Object.defineProperty(err, key, {
      value: revive(props[key], depth + 1),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  if (!Object.hasOwn(props, "name") && typeof value.name === "string" && err.name !== value.name) {
    defineHidden(err, "name", value.name);
  }
  return err;
}

function construct(record: SerializedError, depth: number): Error {
  const message = typeof record.message === "string" ? record.message : "";
  switch (record.ctor) {
    case "AggregateError": {
      const errors = Array.isArray(record.errors) ? record.errors.map((e) => revive(e, depth + 1)) : [];
      return new AggregateError(errors, message);
    }
    case "DOMException":
      // The name picks DOMException's legacy `code` (AbortError → 20), as on the remote side.
      return new DOMException(message, typeof record.name === "string" ? record.name : "Error");
    default:
      return new (CONSTRUCTORS[record.ctor] ?? Error)(message);
  }
}

function serializeErrorObject(err: object, walk: Walk, depth: number): SerializedError | string {
  if (walk.ancestors.has(err)) return `[circular reference to ${describeError(err)}]`;
  if (depth >= MAX_DEPTH || walk.count >= MAX_ERRORS) {
    return `[${describeError(err)}: not sent, errors nested deeper than ${MAX_DEPTH} or more than ${MAX_ERRORS} of them]`;
  }
  walk.count++;
  walk.ancestors.add(err);
  try {
    const { ctor, name } = classify(err);
    const stack = read(err, "stack");
    const record: SerializedError = {
      $unirunError: 1,
      ctor,
      name,
      message: toText(read(err, "message")),
      stack: typeof stack === "string" ? stack : undefined,
      props: serializeProps(err, ctor, walk, depth),
    };
    if (hasOwn(err, "cause")) record.cause = { value: serializeMember(read(err, "cause"), walk, depth + 1) };
    if (ctor === "AggregateError") record.errors = serializeList(read(err, "errors"), walk, depth + 1);
    return record;
  } finally {
    walk.ancestors.delete(err);
  }
}

/** A value nested in an error (cause, prop, AggregateError member): errors recurse, the rest must clone. */
function serializeMember(value: unknown, walk: Walk, depth: number): unknown {
  if (isErrorLike(value)) return serializeErrorObject(value, walk, depth);
  return canCross(value) ? value : `[${safeDescribe(value)}: not sent, it cannot be cloned]`;
}

function serializeList(value: unknown, walk: Walk, depth: number): unknown[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => serializeMember(item, walk, depth));
}

function serializeProps(err: object, ctor: SerializedErrorCtor, walk: Walk, depth: number): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    Object.defineProperty(props, key, { value, writable: true, enumerable: true, configurable: true });
  };
  for (const key of ownKeys(err)) {
    // These have their own fields; anything else enumerable is the user's (Node's `code`, errno, syscall...).
    if (key === "stack" || key === "message" || key === "cause" || (key === "errors" && ctor === "AggregateError")) {
      continue;
    }
    try {
      set(key, serializeMember((err as Record<string, unknown>)[key], walk, depth + 1));
    } catch (error) {
      set(key, `[reading ${key} threw ${safeDescribe(error)}]`);
    }
  }
  // An inherited `code` (a prototype getter, a class field on the prototype) is still the error's code.
  // DOMException's is derived from its name, which the rebuilt DOMException gets back anyway.
  if (!Object.hasOwn(props, "code") && ctor !== "DOMException") {
    const code = read(err, "code");
    if (code !== undefined) set("code", serializeMember(code, walk, depth + 1));
  }
  return props;
}

/**
 * The constructor to rebuild with and the name to show. A built-in class is
 * its own answer; a user class (or Node's internal subclasses) maps to its
 * nearest built-in ancestor, named after the class unless it set a name itself.
 */
function classify(err: object): { ctor: SerializedErrorCtor; name: string } {
  const constructor = read(err, "constructor");
  const nameValue = read(err, "name");
  const name = typeof nameValue === "string" && nameValue !== "" ? nameValue : undefined;
  const own = builtinOf(constructor);
  if (own) return { ctor: own, name: name ?? own };
  const ctor = nearestBuiltin(err) ?? "Error";
  const className = typeof constructor === "function" && typeof constructor.name === "string" ? constructor.name : "";
  // A name equal to the base's is just inherited from it (`class ValidationError extends Error {}`).
  const chosen = name !== undefined && name !== ctor ? name : className || name || ctor;
  return { ctor, name: chosen };
}

function nearestBuiltin(err: object): SerializedErrorCtor | undefined {
  try {
    let proto: object | null = Object.getPrototypeOf(err);
    for (let hops = 0; proto !== null && hops < 64; hops++) {
      const found = builtinOf(Object.getOwnPropertyDescriptor(proto, "constructor")?.value);
      if (found) return found;
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // A Proxy whose getPrototypeOf trap throws: fall back to Error.
  }
  return undefined;
}

/** Our realm's built-ins by identity; another realm's (vm contexts) by name and native code. */
function builtinOf(constructor: unknown): SerializedErrorCtor | undefined {
  const same = BUILTIN_BY_CONSTRUCTOR.get(constructor);
  if (same) return same;
  if (typeof constructor !== "function" || constructor.name === "DOMException") return undefined;
  const name = constructor.name as SerializedErrorCtor;
  if (!Object.hasOwn(CONSTRUCTORS, name)) return undefined;
  try {
    return /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(constructor)) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Errors of this realm, native errors of another realm (`vm`), DOMException. */
function isErrorLike(value: unknown): value is object {
  return value instanceof Error || util.types.isNativeError(value);
}

function isSerializedError(value: unknown): value is SerializedError {
  return isObject(value) && (value as { $unirunError?: unknown }).$unirunError === 1;
}

/**
 * Whether both serializers accept the value: the error record must survive
 * whichever transport carries it. Errors are the rare path, so the real check
 * (a full copy) is affordable here, unlike for arguments.
 */
function canCross(value: unknown): boolean {
  if (typeof value === "symbol" || typeof value === "function") return false;
  if (typeof value !== "object" || value === null) return true;
  try {
    v8().serialize(value);
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function plainRecord(ctor: SerializedErrorCtor, message: string): SerializedError {
  return { $unirunError: 1, ctor, name: ctor, message, stack: undefined, props: {} };
}

function read(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function hasOwn(target: object, key: string): boolean {
  try {
    return Object.hasOwn(target, key);
  } catch {
    return false;
  }
}

function ownKeys(target: object): string[] {
  try {
    return Object.keys(target);
  } catch {
    return [];
  }
}

function defineHidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return String(value);
  } catch {
    return safeDescribe(value);
  }
}

function describeError(err: object): string {
  const name = read(err, "name");
  return `${typeof name === "string" ? name : "Error"}: ${toText(read(err, "message"))}`;
}

function safeDescribe(value: unknown): string {
  try {
    if (isErrorLike(value)) return describeError(value);
    return describe(value);
  } catch {
    return typeof value;
  }
}
