/**
 * What the scheduler reads from the caller's async context (SPEC §5, §7): the
 * `ExecutionContext` a piece of work belongs to, and the `Run` scope it runs
 * in. Both travel with `AsyncLocalStorage`, so they follow `await`, timers and
 * event-loop tasks without being passed by hand.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { describe } from "../futures/timeouts.js";

/** Options of {@link ExecutionContext}. */
export interface ExecutionContextOptions {
  /** A label shown in the scheduler's decisions (`component parser`). */
  component?: string | null;
  /**
   * Whether the work waits on I/O (`true`) or keeps a CPU busy (`false`); the
   * scheduler's hint. `undefined`/`null`: no hint.
   */
  ioHeavy?: boolean | null;
}

const contexts = new AsyncLocalStorage<ExecutionContext>();

/**
 * A label and a workload hint for the work started inside `context.run(fn)`:
 * `new ExecutionContext({ component: "ingest", ioHeavy: false }).run(() => ex.submit(...))`.
 * The scheduler reads it when work is submitted (not when an executor is
 * built): `ioHeavy: false` sends transferable thread-pool tasks to worker
 * threads under `UNIRUN_THREAD_MODE=auto`, and `component` appears in the
 * decisions. Contexts nest; the innermost wins.
 */
export class ExecutionContext {
  /** The label shown in decisions, or `null`. */
  readonly component: string | null;
  /** The workload hint, or `null` for none. */
  readonly ioHeavy: boolean | null;

  /**
   * @throws TypeError for an unknown option or a value of the wrong type.
   */
  constructor(options: ExecutionContextOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`ExecutionContext(options): must be an object; got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (key !== "component" && key !== "ioHeavy") {
        throw new TypeError(`ExecutionContext(options): unknown option "${key}"; accepted options are component, ioHeavy`);
      }
    }
    const { component = null, ioHeavy = null } = options;
    if (component !== null && typeof component !== "string") {
      throw new TypeError(`ExecutionContext(component): must be a string; got ${describe(component)}`);
    }
    if (ioHeavy !== null && typeof ioHeavy !== "boolean") {
      throw new TypeError(`ExecutionContext(ioHeavy): must be a boolean; got ${describe(ioHeavy)}`);
    }
    this.component = component;
    this.ioHeavy = ioHeavy;
    Object.freeze(this);
  }

  /** Run `fn` (and everything it starts) inside this context; returns what `fn` returns. */
  run<R>(fn: () => R): R {
    if (typeof fn !== "function") {
      throw new TypeError(`ExecutionContext.run(fn): fn must be a function; got ${describe(fn)}`);
    }
    return contexts.run(this, fn);
  }

  /** The innermost context of the calling async context, or `null`. */
  static current(): ExecutionContext | null {
    return contexts.getStore() ?? null;
  }
}

/**
 * @internal Run `fn` outside every `ExecutionContext`: for objects made on
 * first use and kept for the whole process (the scheduler's default
 * executor), which must not keep the hint of whichever call came first.
 */
export function outsideContexts<R>(fn: () => R): R {
  return contexts.exit(fn);
}

/** @internal The `Run` scopes entered through `Run.scope`, innermost first via the store. */
export const scopes = new AsyncLocalStorage<object>();
