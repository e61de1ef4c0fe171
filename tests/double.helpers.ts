/**
 * Shared by the `*.double.test.ts` files (STYLE.md): one workload runs through
 * the native executors of `unirun/futures` (what compat re-exports in
 * passthrough mode) and through the managed ones (what compat exports in
 * managed mode, under whatever `UNIRUN_THREAD_MODE` this run has), and the two
 * outcomes must be equal. Outcomes are plain data: results, and errors
 * reduced to what crosses a boundary (class, name, message, code, cause).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import * as native from "../src/api/futures.js";
import type { Future } from "../src/api/futures.js";
import * as managed from "../src/run/managed-executors.js";
import { reset } from "../src/run/scheduler.js";
import { readUntilRaised } from "./thread-pool.helpers.js";
import type * as Tasks from "./fixtures/compat-tasks.js";

/** The executor classes a workload gets: the native or the managed ones, typed alike. */
export type Executors = Pick<typeof native, "ThreadPoolExecutor" | "InterpreterPoolExecutor" | "ProcessPoolExecutor">;
export type ExecutorName = keyof Executors;
export type AnyExecutor = InstanceType<Executors[ExecutorName]>;

export const NATIVE: Executors = native;
// The managed classes take the same options and are Executors; compat casts them the same way.
export const MANAGED = managed as unknown as Executors;

export const tasksUrl = new URL("./fixtures/compat-tasks.ts", import.meta.url);

/** A task reference to an export of tests/fixtures/compat-tasks.ts. */
export function ref<K extends keyof typeof Tasks & string>(name: K): (typeof Tasks)[K] {
  return native.task(tasksUrl, name as never) as unknown as (typeof Tasks)[K];
}

/**
 * Run `workload` natively, then managed, and assert both outcomes are equal.
 * The workload must release everything it starts (shut its executor down).
 *
 * @returns the native outcome, for further assertions.
 */
export async function double<T>(workload: (executors: Executors, side: "native" | "managed") => Promise<T>): Promise<T> {
  const nativeOutcome = await workload(NATIVE, "native");
  const managedOutcome = await workload(MANAGED, "managed");
  expect(managedOutcome).toEqual(nativeOutcome);
  return nativeOutcome;
}

/** An error as it can be compared across sides (the stack is where it ran, so it is left out). */
export interface ErrorSummary {
  ctor: string;
  name: string;
  message: string;
  code: unknown;
  own: Record<string, unknown>;
  cause?: ErrorSummary | string;
  errors?: (ErrorSummary | string)[];
}

const BUILT_IN = new Set<Function>([
  ...[Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError],
  ...[native.CancelledError, native.TimeoutError, native.InvalidStateError, native.BrokenExecutor],
  ...[native.BrokenThreadPool, native.BrokenInterpreterPool, native.BrokenProcessPool],
]);

/**
 * `error` as it looks once it has crossed a boundary (SPEC §1.2): a built-in
 * class is kept; a user-defined class becomes an `Error` whose `name` is the
 * class name. So the summary is the same whether the call ran on the event
 * loop (the thread pool, natively) or in a worker (the same pool, managed,
 * under `UNIRUN_THREAD_MODE=nogil`).
 */
export function summarize(error: unknown): ErrorSummary | string {
  if (!(error instanceof Error)) return `thrown: ${String(error)}`;
  const builtIn = BUILT_IN.has(error.constructor);
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key !== "code" && key !== "cause" && key !== "errors") own[key] = (error as unknown as Record<string, unknown>)[key];
  }
  const summary: ErrorSummary = {
    ctor: builtIn ? error.constructor.name : "Error",
    name: builtIn || error.name !== "Error" ? error.name : error.constructor.name,
    message: error.message,
    code: (error as { code?: unknown }).code,
    own,
  };
  if (error.cause !== undefined) summary.cause = summarize(error.cause);
  if (error instanceof AggregateError) summary.errors = error.errors.map(summarize);
  return summary;
}

/** The outcome of a call that may throw synchronously (`sync:`), or fail its future. */
export async function outcome(call: () => unknown): Promise<unknown> {
  let pending: unknown;
  try {
    pending = call();
  } catch (error) {
    return { sync: summarize(error) };
  }
  try {
    return { value: await pending };
  } catch (error) {
    return { failed: summarize(error) };
  }
}

/** Drain a map's results in order, stopping at the first failure. */
export async function drain(results: AsyncIterable<unknown>): Promise<{ values: unknown[]; error?: unknown }> {
  const read = await readUntilRaised(results);
  return "error" in read ? { values: read.seen, error: summarize(read.error) } : { values: read.seen };
}

/** A directory for the release files of `waitForFile` tasks, removed after the file's tests. */
export function gateDir(): () => string {
  let dir = "";
  let count = 0;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "unirun-double-"));
  });
  afterAll(async () => {
    await reset();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return () => path.join(dir, `gate-${++count}`);
}

/** Let every `waitForFile(file)` task go (the file appears whole: written aside, then renamed). */
export async function open(file: string, contents = "open"): Promise<void> {
  if (await fs.stat(file).then(() => true, () => false)) return;
  await fs.writeFile(`${file}.tmp`, contents);
  await fs.rename(`${file}.tmp`, file);
}

/** Resolve once `check()` holds; fail after `seconds` (bounded polling of a state with no event). */
export async function until(check: () => boolean, what: string, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The future's state, as `Future.state` reports it. */
export function states(futures: readonly Future<unknown>[]): string[] {
  return futures.map((f) => f.state);
}
