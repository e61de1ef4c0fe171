/**
 * The error classes of `concurrent.futures`, with CPython 3.14's hierarchy:
 *
 * ```
 * Error
 * ├── CancelledError
 * ├── TimeoutError
 * ├── InvalidStateError
 * └── BrokenExecutor
 *     ├── BrokenThreadPool
 *     │   └── BrokenInterpreterPool
 *     └── BrokenProcessPool
 * ```
 *
 * Every class's `name` is its class name, set on the prototype (as the built-in
 * errors do) so that it survives minification and is not an own enumerable key.
 */

/** @internal Give an Error class its `name` on the prototype; other layers' error classes use it too. */
export function named<T extends abstract new (...args: never[]) => Error>(cls: T, name: string): T {
  Object.defineProperty(cls.prototype, "name", {
    value: name,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  return cls;
}

/** The future was cancelled (`Future.cancel()`, `shutdown({ cancelFutures: true })`). */
export class CancelledError extends Error {}
named(CancelledError, "CancelledError");

/**
 * A timeout (in seconds) ran out before the operation finished. Shared by
 * `unirun/futures` and `unirun/asyncio`. It shadows the global `TimeoutError`
 * DOMException only inside modules that import it.
 */
export class TimeoutError extends Error {}
named(TimeoutError, "TimeoutError");

/** An operation was attempted on a future in a state that does not allow it. */
export class InvalidStateError extends Error {}
named(InvalidStateError, "InvalidStateError");

/** The executor is broken: a worker died or an initializer failed; it accepts no more work. */
export class BrokenExecutor extends Error {}
named(BrokenExecutor, "BrokenExecutor");

/** A `ThreadPoolExecutor` is broken (its `initializer` failed). */
export class BrokenThreadPool extends BrokenExecutor {}
named(BrokenThreadPool, "BrokenThreadPool");

/** An `InterpreterPoolExecutor` is broken (a worker thread died or its `initializer` failed). */
export class BrokenInterpreterPool extends BrokenThreadPool {}
named(BrokenInterpreterPool, "BrokenInterpreterPool");

/** A `ProcessPoolExecutor` is broken (a child process died or its `initializer` failed). */
export class BrokenProcessPool extends BrokenExecutor {}
named(BrokenProcessPool, "BrokenProcessPool");
