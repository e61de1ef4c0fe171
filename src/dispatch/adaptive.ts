/**
 * Adaptive backend choice (opt-in, `UnifiedDispatcher({ adaptive: true })`):
 * for each function, measure the time per item on the event loop and on
 * worker threads, then send its items to the faster one from then on.
 *
 * What is remembered lives in a `WeakMap` keyed by the function object, so it
 * goes with the function (keep a task reference in a constant to reuse what
 * was learnt). Exploring takes `1 + EXPLORE_SAMPLES` items per backend: one
 * warm-up call (module loading, worker start-up), then a batch submitted
 * together, whose wall time over its size is the time per item — the
 * throughput a map sees. The verdict is published as a decision whose
 * `detail` says why.
 */
import { ExecutionContext } from "../run/context.js";
import { type Decision, type DecisionBackend, publishDecision } from "../run/decisions.js";
import { notTransferable } from "../run/routing.js";
import type { Executor } from "../futures/executor.js";
import type { ItemRun } from "./item-run.js";

/** The two backends adaptive mode chooses between. */
export type AdaptiveBackend = "event-loop" | "worker-threads";

/** Measurements of one function on one backend. */
export interface AdaptiveSample {
  /** Items measured (warm-up calls excluded). */
  items: number;
  /** Wall time of the measured batches, in milliseconds. */
  ms: number;
  /** Whether the warm-up call ran. */
  warmed: boolean;
}

/** What adaptive mode knows about one function. */
export interface AdaptiveRecord {
  readonly samples: Record<AdaptiveBackend, AdaptiveSample>;
  /** The faster backend, once both were measured; `null` while exploring. */
  choice: AdaptiveBackend | null;
  /** Why `choice` was made, e.g. `adaptive fib: worker-threads 3.1x faster per item after 8 samples (...)`. */
  reason: string | null;
  /** The decision published for the choice. */
  decision: Decision | null;
}

/** How a dispatcher lends its two backends to adaptive mode. */
export interface AdaptiveBackends {
  /** The executor serving `backend` (made on first use). */
  executor(backend: AdaptiveBackend): Executor & { readonly decision: Decision; readonly maxWorkers: number };
  /** The dispatcher's name, for decisions. */
  readonly name: string | null;
}

/** Items measured per backend before deciding (after one warm-up call each). */
export const EXPLORE_SAMPLES = 4;

const ORDER: readonly AdaptiveBackend[] = ["event-loop", "worker-threads"];

let records = new WeakMap<Function, AdaptiveRecord>();

/** @internal What adaptive mode has learnt about `fn`, if anything (tests, diagnostics). */
export function adaptiveRecord(fn: Function): AdaptiveRecord | undefined {
  return records.get(fn);
}

/** @internal Forget everything learnt (tests). */
export function forgetAdaptive(): void {
  records = new WeakMap();
}

/**
 * Submit every item of `run`: explore while `fn` has no verdict, then send the
 * rest to the chosen backend. Items that cannot cross to a worker thread (their
 * arguments) run on the event loop. Never rejects.
 */
export async function driveAdaptive(run: ItemRun, fn: Function, backends: AdaptiveBackends): Promise<void> {
  let chosen = presetChoice(fn, backends);
  let next = 0;
  if (chosen === null) {
    const record = recordOf(fn);
    next = await explore(run, fn, record, backends);
    // Items left with no verdict only when another call is still exploring: the event loop serves them.
    chosen = record.choice ?? "event-loop";
  }
  const executor = backends.executor(chosen);
  const fallback = chosen === "worker-threads" ? backends.executor("event-loop") : null;
  for (; next < run.size && !run.stopped; next++) run.submit(next, executor, fallback);
}

/** A backend known without measuring: a verdict from before, or the event loop when workers cannot serve `fn`. */
function presetChoice(fn: Function, backends: AdaptiveBackends): AdaptiveBackend | null {
  const known = records.get(fn)?.choice ?? null;
  if (known !== null) return known;
  const problem = notTransferable(fn, [], "thread");
  if (problem !== null) {
    // A function's source does not change: remember it.
    const record = recordOf(fn);
    record.choice = "event-loop";
    record.reason = `adaptive ${label(fn)}: event-loop, without exploring: it cannot run on worker threads (${problem})`;
    record.decision = publish("event-loop", record.reason, backends);
    return "event-loop";
  }
  const workers = backends.executor("worker-threads").decision;
  if (workers.resolved !== "worker-threads") {
    // The scheduler keeps worker threads from this process (permission model, UNIRUN_FORCE_THREADS):
    // decided per call, since that can change at reset().
    publish("event-loop", `adaptive ${label(fn)}: event-loop, without exploring: worker threads resolve to ` +
      `${workers.resolved} here (${workers.reason}${workers.detail ? `; ${workers.detail}` : ""})`, backends);
    return "event-loop";
  }
  return null;
}

/**
 * Run the warm-up and measured batches `record` still lacks, deciding as soon
 * as both backends are measured; returns the next unsubmitted index.
 */
async function explore(run: ItemRun, fn: Function, record: AdaptiveRecord, backends: AdaptiveBackends): Promise<number> {
  let next = 0;
  for (const backend of ORDER) {
    if (record.choice !== null) break; // another call finished exploring meanwhile
    const sample = record.samples[backend];
    const executor = backends.executor(backend);
    const fallback = backend === "worker-threads" ? backends.executor("event-loop") : null;
    if (!sample.warmed && next < run.size) {
      await new Promise<void>((resolve) =>
        run.submit(next++, executor, fallback, () => {
          if (!run.failed) sample.warmed = true;
          resolve();
        })
      );
      if (run.failed) return next;
    }
    if (sample.items >= EXPLORE_SAMPLES || next >= run.size) continue;
    const size = Math.min(EXPLORE_SAMPLES, run.size - next);
    const start = performance.now();
    let left = size;
    await new Promise<void>((resolve) => {
      // Recorded in the last item's callback, before the caller sees the results.
      const answered = (): void => {
        if (--left > 0) return;
        if (!run.failed) {
          sample.ms += performance.now() - start;
          sample.items += size;
          if (record.choice === null && measured(record)) decide(record, fn, backends);
        }
        resolve();
      };
      for (let i = 0; i < size; i++) run.submit(next++, executor, fallback, answered);
    });
    if (run.failed) return next;
  }
  return next;
}

function measured(record: AdaptiveRecord): boolean {
  return ORDER.every((backend) => record.samples[backend].items >= EXPLORE_SAMPLES);
}

function decide(record: AdaptiveRecord, fn: Function, backends: AdaptiveBackends): void {
  const perItem = (backend: AdaptiveBackend): number => record.samples[backend].ms / record.samples[backend].items;
  const loop = perItem("event-loop");
  const workers = perItem("worker-threads");
  const winner: AdaptiveBackend = workers < loop ? "worker-threads" : "event-loop";
  const ratio = Math.max(loop, workers) / Math.max(Math.min(loop, workers), 1e-6);
  const samples = record.samples["event-loop"].items + record.samples["worker-threads"].items;
  record.choice = winner;
  record.reason = `adaptive ${label(fn)}: ${winner} ${ratio.toFixed(1)}x faster per item after ${samples} samples ` +
    `(event-loop ${loop.toFixed(3)} ms, worker-threads ${workers.toFixed(3)} ms per item)`;
  record.decision = publish(winner, record.reason, backends);
}

function publish(backend: AdaptiveBackend, detail: string, backends: AdaptiveBackends): Decision {
  const resolved: DecisionBackend = backend;
  return publishDecision({
    requested: "adaptive",
    resolved,
    // A measured workload hint: the strongest rule adaptive mode can claim.
    reason: "hint",
    poolSize: backends.executor(backend).maxWorkers,
    name: backends.name,
    component: ExecutionContext.current()?.component ?? null,
    scope: "task",
    detail,
  });
}

function recordOf(fn: Function): AdaptiveRecord {
  let record = records.get(fn);
  if (record === undefined) {
    record = {
      samples: {
        "event-loop": { items: 0, ms: 0, warmed: false },
        "worker-threads": { items: 0, ms: 0, warmed: false },
      },
      choice: null,
      reason: null,
      decision: null,
    };
    records.set(fn, record);
  }
  return record;
}

function label(fn: Function): string {
  return fn.name || "(anonymous)";
}
