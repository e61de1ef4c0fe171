/**
 * Scheduler decisions (SPEC §5): which backend serves an executor or a task,
 * and why. Every decision is frozen, kept as {@link lastDecision}, and
 * published on the `diagnostics_channel` named `unirun:decision` — the Node
 * mechanism, so APM tools and other copies of unirun (ESM and CJS builds) see
 * the same stream. {@link observeDecisions} is a thin layer over that channel.
 */
import type { Channel } from "node:diagnostics_channel";
import { diagnosticsChannel } from "../builtins.js";
import { Fifo } from "../futures/fifo.js";

/** The `diagnostics_channel` name decisions are published on. */
export const DECISION_CHANNEL = "unirun:decision";

/** Where work runs. `inline` is a caller-supplied executor used as it is. */
export type DecisionBackend = "event-loop" | "worker-threads" | "child-processes" | "inline";

/**
 * Why the scheduler chose a backend. The first five are the rules of SPEC §5,
 * strongest first (explicit executor > force env > pinned mode > hints >
 * thread mode > default); `downgrade` marks a fallback from what those rules
 * chose.
 *
 * - `explicit-executor`: the caller handed over an executor (`Run({ executor })`).
 * - `force-env`: `UNIRUN_FORCE_THREADS` / `UNIRUN_FORCE_PROCESS` overrode an `auto` decision.
 * - `pinned-mode`: a flavor fixed by the caller or `UNIRUN_MODE` (`threads`, `processes`, …).
 * - `hint`: a workload hint — `task(..., { cpuBound: true })`, `ExecutionContext({ ioHeavy })`.
 * - `thread-mode`: `UNIRUN_THREAD_MODE` (`gil`, `nogil`, `auto`) routed a thread-pool task.
 * - `default`: no rule applied; the flavor's default backend.
 * - `downgrade`: the chosen backend was unavailable or unsuitable (permission
 *   model, a closure under `nogil`, …) and a weaker one serves instead; a
 *   `DowngradeWarning` accompanies it.
 */
export type ReasonCode =
  | "explicit-executor"
  | "force-env"
  | "pinned-mode"
  | "hint"
  | "thread-mode"
  | "default"
  | "downgrade";

/** One scheduling decision, frozen once published. */
export interface Decision {
  /** The flavor or surface asked for: `"auto"`, `"processes"`, `"ThreadPoolExecutor"`. */
  requested: string;
  /** The backend that serves the work. */
  resolved: DecisionBackend;
  /** The rule that decided (see {@link ReasonCode}). */
  reason: ReasonCode;
  /** Workers of the pool serving the work (the executor's own limit on a shared pool). */
  poolSize: number;
  /** The executor's or Run's `name`, if it has one. */
  name: string | null;
  /** The component the work belongs to (an `ExecutionContext` label), if any. */
  component: string | null;
  /** `executor`: made at construction; `task`: per-task routing. */
  scope: "executor" | "task";
  /** Free text for a human: what was downgraded, which variable forced it. */
  detail?: string;
  /** When, in `performance.now()` milliseconds. */
  at: number;
}

/** What {@link publishDecision} takes: a decision whose `at` defaults to now. */
export type DecisionInput = Omit<Decision, "at"> & { at?: number };

/** Stops an observer; also `using`-disposable. Calling it twice is harmless. */
export interface Unsubscribe extends Disposable {
  (): void;
}

/**
 * The stream returned by `observeDecisions()`: decisions published after the
 * call, in order, buffered until pulled. `return()` (a `break` out of
 * `for await`) or `await using` disposal unsubscribes and drops the buffer.
 */
export interface DecisionStream extends AsyncIterableIterator<Decision>, AsyncDisposable {}

// Made on first use, then held strongly: older Node versions may collect a channel nothing references.
let channel: Channel | null = null;
const decisionChannel = (): Channel => (channel ??= diagnosticsChannel().channel(DECISION_CHANNEL));

let last: Decision | null = null;

/**
 * Freeze `decision` (stamping `at` with `performance.now()` when absent), make
 * it the {@link lastDecision}, and publish it on `unirun:decision` when anyone
 * subscribes — which is how {@link observeDecisions} observers receive it.
 *
 * A subscriber that throws does not fail this call: `diagnostics_channel`
 * rethrows its error as an uncaught exception on the next tick.
 *
 * @returns the frozen decision.
 */
export function publishDecision(decision: DecisionInput): Decision {
  const frozen: Decision = Object.freeze({ ...decision, at: decision.at ?? performance.now() });
  last = frozen;
  const published = decisionChannel();
  if (published.hasSubscribers) published.publish(frozen);
  return frozen;
}

/** The most recently published decision in this copy of unirun, or `null`. */
export function lastDecision(): Decision | null {
  return last;
}

/** Forget the last decision (for tests and `reset()`); observers stay subscribed. */
export function resetDecisions(): void {
  last = null;
}

/**
 * Observe decisions as they are published.
 *
 * With a `listener`: it is called synchronously with every decision; returns
 * an {@link Unsubscribe} function (`using stop = observeDecisions(fn)` works).
 *
 * Without one: returns a {@link DecisionStream} of the decisions published
 * after this call, buffered without loss until pulled. Leave it with `break`,
 * `return()` or `await using`; a stream never iterated nor closed stays
 * subscribed and keeps buffering.
 */
export function observeDecisions(listener: (decision: Decision) => void): Unsubscribe;
export function observeDecisions(): DecisionStream;
export function observeDecisions(
  listener?: (decision: Decision) => void,
): Unsubscribe | DecisionStream {
  return listener === undefined ? decisionStream() : subscribe(listener);
}

function subscribe(listener: (decision: Decision) => void): Unsubscribe {
  // A fresh wrapper per call: the same listener observed twice is two
  // subscriptions, and stopping one leaves the other.
  const onMessage = (message: unknown): void => listener(message as Decision);
  diagnosticsChannel().subscribe(DECISION_CHANNEL, onMessage);
  let active = true;
  const stop = (): void => {
    if (!active) return;
    active = false;
    diagnosticsChannel().unsubscribe(DECISION_CHANNEL, onMessage);
  };
  return Object.assign(stop, { [Symbol.dispose]: stop });
}

function decisionStream(): DecisionStream {
  const buffer = new Fifo<Decision>();
  const waiting = new Fifo<(result: IteratorResult<Decision>) => void>();
  let closed = false;

  const stop = subscribe((decision) => {
    const take = waiting.shift();
    if (take === undefined) buffer.push(decision);
    else take({ value: decision, done: false });
  });

  const close = (): IteratorResult<Decision> => {
    const end: IteratorResult<Decision> = { value: undefined, done: true };
    if (closed) return end;
    closed = true;
    stop();
    while (buffer.shift() !== undefined);
    for (let take = waiting.shift(); take !== undefined; take = waiting.shift()) take(end);
    return end;
  };

  const stream: DecisionStream = {
    next(): Promise<IteratorResult<Decision>> {
      const decision = buffer.shift();
      if (decision !== undefined) return Promise.resolve({ value: decision, done: false });
      if (closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return(): Promise<IteratorResult<Decision>> {
      return Promise.resolve(close());
    },
    throw(error?: unknown): Promise<IteratorResult<Decision>> {
      close();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator](): DecisionStream {
      return stream;
    },
    [Symbol.asyncDispose](): Promise<void> {
      close();
      return Promise.resolve();
    },
  };
  return stream;
}

/**
 * One line for a human reading a trace, e.g.
 * `unirun: ThreadPoolExecutor → event-loop (thread-mode; 8 workers)`, or with
 * a name, per-task scope, component and detail:
 * `unirun: auto "ingest" → worker-threads (hint; 4 workers; per task; component parser; cpuBound task)`.
 */
export function formatDecision(d: Decision): string {
  const subject = d.name === null ? d.requested : `${d.requested} ${JSON.stringify(d.name)}`;
  const notes: string[] = [d.reason, `${d.poolSize} ${d.poolSize === 1 ? "worker" : "workers"}`];
  if (d.scope === "task") notes.push("per task");
  if (d.component !== null) notes.push(`component ${d.component}`);
  if (d.detail) notes.push(d.detail);
  return `unirun: ${subject} → ${d.resolved} (${notes.join("; ")})`;
}
