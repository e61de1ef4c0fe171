/**
 * `Run` scopes (SPEC §5): a managed executor with a lifetime.
 *
 * ```ts
 * const out = await Run.scope({ flavor: "processes" }, async (ex) => ex.submit(work, 1));
 * await using ex = new Run({ flavor: "auto" });
 * ```
 *
 * A Run is an Executor whose `decision` is made at construction. Its pools
 * are released when the scope ends — also when the body throws — while an
 * `executor` handed in is used and never shut down. Scopes nested through
 * `Run.scope` reuse the parent when flavor and overrides (`maxWorkers`,
 * `config`, `executor`) match; the nested call's `name` and `trace` are then
 * the parent's. A Run is entered once: make a new Run per scope.
 */
import { checkMaxWorkers } from "../executors/options.js";
import { Executor } from "../futures/executor.js";
import { describe } from "../futures/timeouts.js";
import { FLAVORS, type Flavor, RuntimeConfig } from "./config.js";
import { scopes } from "./context.js";
import { type Decision, formatDecision } from "./decisions.js";
import { ManagedExecutor } from "./managed.js";
import { currentConfig } from "./scheduler.js";

/** Options of `new Run(...)` and `Run.scope(...)`. */
export interface RunOptions {
  /**
   * `auto` (default: `UNIRUN_MODE`, else the scheduler decides), `threads`
   * (ThreadPoolExecutor semantics on the event loop), `interpreters` (worker
   * threads), `processes` (child processes), `none` (a plain native
   * ThreadPoolExecutor, no automation).
   */
  flavor?: Flavor;
  /**
   * Tasks of this Run in flight at most; always wins over automatic sizing
   * (and turns off `map`'s XCS sizing).
   */
  maxWorkers?: number | null;
  /** Shown in decisions. */
  name?: string | null;
  /** Settings to decide with, instead of the environment's. */
  config?: RuntimeConfig;
  /** `true`: print each decision to stderr; a function: receive each decision. */
  trace?: boolean | ((decision: Decision) => void);
  /** An executor to run on, as it is: never shut down by the Run. */
  executor?: Executor | null;
}

const OPTION_KEYS = ["flavor", "maxWorkers", "name", "config", "trace", "executor"] as const;

export class Run extends ManagedExecutor {
  /** The flavor asked for (`null`: the default). */
  readonly flavor: Flavor | null;
  readonly #options: RunOptions;
  #entered = false;

  /**
   * @throws RangeError for an unknown flavor (the message lists them) or `maxWorkers <= 0`.
   * @throws TypeError for an unknown option or a value of the wrong type.
   * @throws DowngradeError under `UNIRUN_WARNINGS=error` when the Run cannot get what it asks for.
   */
  constructor(options: RunOptions = {}) {
    checkRunOptions(options);
    const trace = options.trace === true
      ? (d: Decision) => process.stderr.write(`${formatDecision(d)}\n`)
      : typeof options.trace === "function"
      ? options.trace
      : null;
    super({
      surface: "Run",
      flavor: options.flavor ?? null,
      implied: false,
      maxWorkers: options.maxWorkers === undefined || options.maxWorkers === null
        ? null
        : checkMaxWorkers("Run", options.maxWorkers, 1),
      name: options.name ?? null,
      config: options.config ?? currentConfig(),
      executor: options.executor ?? null,
      dedicated: null,
      shape: {},
      trace,
    });
    this.flavor = options.flavor ?? null;
    this.#options = { ...options };
  }

  /**
   * Run `body` with a Run made from `options`, then shut it down (waiting for
   * its calls). When `body` throws, pending calls are cancelled, running ones
   * awaited, and the error rethrown. Inside another `Run.scope` with the same
   * flavor and overrides, `body` gets the parent Run, which stays open.
   *
   * @returns what `body` returns.
   */
  static scope<R>(options: RunOptions, body: (executor: Run) => R | Promise<R>): Promise<Awaited<R>> {
    if (typeof body !== "function") {
      return Promise.reject(new TypeError(`Run.scope(options, body): body must be a function; got ${describe(body)}`));
    }
    let run: Run;
    try {
      options = options === undefined ? {} : options;
      checkRunOptions(options);
      const parent = scopes.getStore();
      if (parent instanceof Run && !parent.isShutdown && parent.#matches(options)) {
        return Promise.resolve().then(() => body(parent)) as Promise<Awaited<R>>;
      }
      run = new Run(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return run.scope(body);
  }

  /**
   * Enter this Run: `body` runs inside it (nested `Run.scope` calls see it),
   * and it is shut down when `body` settles, as in {@link Run.scope}.
   *
   * @throws Error when this Run was already entered or shut down: make a new Run per scope.
   */
  scope<R>(body: (executor: Run) => R | Promise<R>): Promise<Awaited<R>> {
    if (typeof body !== "function") {
      return Promise.reject(new TypeError(`Run.scope(body): body must be a function; got ${describe(body)}`));
    }
    if (this.#entered || this.isShutdown) {
      const why = this.#entered ? "was already entered" : "was shut down";
      return Promise.reject(new Error(`Run: this Run ${why}; create a new Run for each scope`));
    }
    this.#entered = true;
    return scopes.run(this, async (): Promise<Awaited<R>> => {
      let value: Awaited<R>;
      try {
        value = await body(this);
      } catch (error) {
        await this.shutdown({ wait: true, cancelFutures: true });
        throw error;
      }
      await this.shutdown({ wait: true });
      return value;
    });
  }

  override [Symbol.asyncDispose](): Promise<void> {
    this.#entered = true;
    return this.shutdown({ wait: true });
  }

  #matches(options: RunOptions): boolean {
    const mine = this.#options;
    return (options.flavor ?? null) === (mine.flavor ?? null)
      && (options.maxWorkers ?? null) === (mine.maxWorkers ?? null)
      && (options.config ?? null) === (mine.config ?? null)
      && (options.executor ?? null) === (mine.executor ?? null);
  }
}

function checkRunOptions(options: RunOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Run(options): must be an object; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`Run(options): unknown option "${key}"; accepted options are ${OPTION_KEYS.join(", ")}`);
    }
  }
  const { flavor, name, config, trace, executor, maxWorkers } = options;
  if (maxWorkers !== undefined && maxWorkers !== null) checkMaxWorkers("Run", maxWorkers, 1);
  if (flavor !== undefined && !FLAVORS.includes(flavor)) {
    throw new RangeError(`Run(flavor): unknown flavor ${JSON.stringify(flavor)}; accepted flavors are ${FLAVORS.join(", ")}`);
  }
  if (name !== undefined && name !== null && typeof name !== "string") {
    throw new TypeError(`Run(name): must be a string; got ${describe(name)}`);
  }
  if (config !== undefined && !(config instanceof RuntimeConfig)) {
    throw new TypeError(`Run(config): must be a RuntimeConfig (RuntimeConfig.fromEnv() or new RuntimeConfig({...})); got ${describe(config)}`);
  }
  if (trace !== undefined && typeof trace !== "boolean" && typeof trace !== "function") {
    throw new TypeError(`Run(trace): must be a boolean or a function receiving each decision; got ${describe(trace)}`);
  }
  if (executor !== undefined && executor !== null && !(executor instanceof Executor)) {
    throw new TypeError(`Run(executor): must be an Executor (from unirun/futures or unirun/compat); got ${describe(executor)}`);
  }
}
