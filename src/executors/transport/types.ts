/**
 * What crosses to a worker thread or child process, shared by both backends.
 * Everything here must survive structured clone (threads) and Node's advanced
 * serializer (processes).
 */

/** How a worker rebuilds the function to call (SPEC §1.1). */
export type CallSpec =
  /** A task reference: an export of a module, imported by the worker itself. */
  | { kind: "ref"; url: string; name: string }
  /** A self-contained function, sent as source that evaluates (alone) to the function. */
  | { kind: "source"; source: string };

/** One call of a request, decoded (see `WorkerRequest` in runner.ts for the wire shape). */
export interface CallMessage {
  call: CallSpec;
  args: unknown[];
}

/**
 * An error as it crosses a boundary: enough to rebuild it on the other side
 * with the same built-in class (or an Error named after a user class),
 * message, stack, cause (recursively), `errors` (AggregateError), `code` and
 * every other own enumerable property.
 */
export interface SerializedError {
  $unirunError: 1;
  /**
   * Built-in constructor to rebuild with: the error's own class when it is a
   * built-in, otherwise its nearest built-in ancestor (a user class extending
   * `Error` arrives as `Error`, one extending `TypeError` as `TypeError`), named
   * after the user class by `name`.
   */
  ctor: SerializedErrorCtor;
  /** The remote `name`: the class name for user classes, unless they set their own. */
  name: string;
  message: string;
  /** The remote stack exactly as thrown (`undefined` when it had none). */
  stack: string | undefined;
  /** Present only when the remote error had an own `cause` (even `undefined`). */
  cause?: { value: unknown };
  /** AggregateError's errors, each serialized like a thrown value. */
  errors?: unknown[];
  /**
   * Own enumerable properties, plus `code` when inherited (DOMException, getters):
   * errors among the values are serialized recursively, values that cannot be
   * cloned are replaced by a short description string.
   */
  props: Record<string, unknown>;
}

/** The constructors an error is rebuilt with (DOMException keeps AbortError & co. intact). */
export type SerializedErrorCtor =
  | "Error"
  | "TypeError"
  | "RangeError"
  | "SyntaxError"
  | "ReferenceError"
  | "EvalError"
  | "URIError"
  | "AggregateError"
  | "DOMException";
