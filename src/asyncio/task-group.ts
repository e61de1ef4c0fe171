/**
 * `TaskGroup`: asyncio.TaskGroup, structured concurrency over AbortSignals.
 *
 * Every task receives the group's `AbortSignal`. The first task to fail
 * aborts it (asyncio cancels the siblings), the group waits for every task to
 * settle, and then rethrows: the one error itself when one task failed, or an
 * `AggregateError` of all of them, in the order they failed, when several did
 * (asyncio raises an `ExceptionGroup`). A task that rejects because it was
 * cancelled — a `CancelledError`, the group's abort reason, or an
 * `AbortError` once the group aborted — is not a failure.
 *
 * JavaScript cannot interrupt running code: a task stops when it honours its
 * signal, and the group's body is not cancelled either — it can watch
 * `tg.signal`.
 */
import { CancelledError, InvalidStateError } from "../futures/errors.js";
import { checkOptions, checkSignal, describe, isAwaitable, isCancellation, markHandled, onAbort } from "./checks.js";

/** Options of {@link TaskGroup}. */
export interface TaskGroupOptions {
  /**
   * An outer signal (a `timeout()` scope's, a request's): when it aborts, the
   * group aborts its tasks with the same reason and, unless a task failed,
   * rejects with that reason.
   */
  signal?: AbortSignal | null;
}

/** A task of a {@link TaskGroup}: called with the group's signal. */
export type TaskFunction<T> = (signal: AbortSignal) => T | PromiseLike<T>;

type State = "open" | "exiting" | "finished";

/**
 * A group of concurrent tasks that succeed together or fail together.
 *
 * ```ts
 * const [user, posts] = await TaskGroup.run(async (tg) => {
 *   const user = tg.createTask((signal) => fetchUser(id, { signal }));
 *   const posts = tg.createTask((signal) => fetchPosts(id, { signal }));
 *   return [await user, await posts];
 * });
 * ```
 *
 * or, where `await using` is available (TypeScript 5.2+, Node 24+):
 * `await using tg = new TaskGroup(); tg.createTask(...)`.
 */
export class TaskGroup implements AsyncDisposable {
  readonly #controller = new AbortController();
  readonly #tasks = new Set<Promise<void>>();
  readonly #errors: unknown[] = [];
  readonly #outer: AbortSignal | null;
  readonly #stopListening: () => void;
  #state: State = "open";
  #exit: Promise<void> | null = null;
  #idle: (() => void) | null = null;

  /**
   * Open a group (asyncio's `async with TaskGroup()`); close it with
   * `[Symbol.asyncDispose]()` — `await using` does — or use {@link TaskGroup.run}.
   *
   * @param options.signal an outer signal; see {@link TaskGroupOptions.signal}.
   * @throws TypeError for a bad option.
   */
  constructor(options?: TaskGroupOptions) {
    const opts = checkOptions<TaskGroupOptions>("new TaskGroup(options)", options, ["signal"]);
    const outer = checkSignal("new TaskGroup(options)", opts.signal);
    this.#outer = outer;
    if (outer?.aborted) this.#controller.abort(outer.reason);
    this.#stopListening = outer?.aborted ? () => undefined : onAbort(outer, () => this.#abort(outer!.reason));
  }

  /**
   * Open a group, run `body(tg)`, then wait for every task the group holds.
   * When the body throws, the tasks are aborted (as asyncio does) and its
   * error joins the tasks' errors.
   *
   * @param body creates tasks with `tg.createTask`; may await them.
   * @param options.signal an outer signal; see {@link TaskGroupOptions.signal}.
   * @returns what `body` returns, once every task has succeeded.
   * @throws TypeError (synchronously) when `body` is not a function, or for a bad option.
   */
  static run<T>(body: (tg: TaskGroup) => T | PromiseLike<T>, options?: TaskGroupOptions): Promise<Awaited<T>> {
    if (typeof body !== "function") {
      throw new TypeError(`TaskGroup.run(body): body must be a function (tg) => ...; got ${describe(body)}`);
    }
    const tg = new TaskGroup(options);
    let outcome: Promise<T>;
    try {
      outcome = Promise.resolve(body(tg));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    return outcome.then(
      (value) => tg.#close(null).then(() => value as Awaited<T>),
      // #close always rejects when given the body's error: with the group's errors, or that error.
      (error: unknown) => tg.#close({ error }) as Promise<never>,
    );
  }

  /** Aborted when a task fails, when the body of `run` throws, or when the outer signal aborts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Start a task in the group (asyncio's `tg.create_task`). A function is
   * called on a later microtask, in the caller's AsyncLocalStorage context,
   * with the group's signal; a Promise or other thenable is already running
   * and is awaited with the others.
   *
   * Once the group has aborted, a function is not called at all: its promise
   * rejects with `CancelledError` (asyncio closes the coroutine).
   *
   * @returns a Promise of the task's result. Its rejection is reported by the
   *   group, so it is never unhandled when left unawaited.
   * @throws InvalidStateError once the group has finished (after `run` or
   *   the disposal resolved); TypeError when `work` is neither a function
   *   nor awaitable.
   */
  createTask<T>(work: TaskFunction<T> | PromiseLike<T>): Promise<Awaited<T>> {
    if (this.#state === "finished") {
      throw new InvalidStateError(
        "TaskGroup is finished: create tasks inside TaskGroup.run(body), or before the group is disposed",
      );
    }
    const promise = this.#start(work);
    markHandled(promise);
    const tracked: Promise<void> = promise.then(
      () => this.#forget(tracked),
      (error: unknown) => {
        this.#fail(error);
        this.#forget(tracked);
      },
    );
    this.#tasks.add(tracked);
    return promise;
  }

  /**
   * Close the group (asyncio's `__aexit__` with no exception): wait for every
   * task, then throw as the class describes. `await using` calls it; calling
   * it again returns the same promise.
   *
   * With `await using`, an error thrown by the block itself does not reach
   * the group, so it does not abort the tasks: prefer {@link TaskGroup.run}.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#close(null);
  }

  #start<T>(work: TaskFunction<T> | PromiseLike<T>): Promise<Awaited<T>> {
    if (isAwaitable(work)) return Promise.resolve(work) as Promise<Awaited<T>>;
    if (typeof work !== "function") {
      throw new TypeError(
        `TaskGroup.createTask(work): work must be a function (signal) => ... or a Promise; got ${describe(work)}`,
      );
    }
    return new Promise<Awaited<T>>((resolve, reject) => {
      queueMicrotask(() => {
        const signal = this.#controller.signal;
        if (signal.aborted) {
          reject(new CancelledError("the TaskGroup was aborted before this task started", { cause: signal.reason }));
          return;
        }
        try {
          resolve(work(signal) as Awaited<T>);
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  #fail(error: unknown): void {
    if (isCancellation(error, this.#controller.signal)) return;
    if (this.#errors.includes(error)) return;
    this.#errors.push(error);
    this.#abort(new CancelledError("a sibling task of the TaskGroup failed", { cause: error }));
  }

  #abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  #forget(task: Promise<void>): void {
    this.#tasks.delete(task);
    if (this.#tasks.size === 0) this.#idle?.();
  }

  /** Wait for the tasks, then throw what the group's outcome calls for. */
  #close(body: { error: unknown } | null): Promise<void> {
    if (this.#exit !== null) return this.#exit;
    this.#state = "exiting";
    if (body !== null) {
      this.#fail(body.error);
      this.#abort(body.error); // asyncio aborts the tasks whatever the body raised, cancellation included
    }
    const idle = new Promise<void>((resolve) => {
      this.#idle = () => {
        this.#state = "finished";
        resolve();
      };
    });
    if (this.#tasks.size === 0) this.#idle!();
    this.#exit = idle.then(() => {
      this.#stopListening();
      this.#throwOutcome(body);
    });
    return this.#exit;
  }

  #throwOutcome(body: { error: unknown } | null): void {
    const errors = this.#errors;
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `unhandled errors in a TaskGroup (${errors.length} sub-exceptions)`);
    }
    if (this.#outer?.aborted) throw this.#outer.reason;
    if (body !== null) throw body.error; // a cancelled body: its CancelledError propagates
  }
}
