/**
 * Property-based tests (fast-check) for the futures core and the event-loop
 * ThreadPoolExecutor. Random operation sequences must keep these invariants:
 *
 *  1. after shutdown({wait:true}) with everything released, every future is
 *     FINISHED or CANCELLED_AND_NOTIFIED;
 *  2. each done callback runs exactly once, after its future is done, in
 *     registration order;
 *  3. no unhandled promise rejection;
 *  4. a future's outcome agrees with what its function did, unless it was
 *     cancelled before starting (and then the function never ran);
 *  5. never more than maxWorkers calls in flight;
 *  6. wait()'s done/notDone partition its input set; asCompleted yields each
 *     distinct future at most once;
 *  7. submit after shutdown throws `cannot schedule new futures after shutdown`.
 *
 * No assertion depends on timing: timeouts only bound the waits, and
 * `bounded()` turns a hang into a failure.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  InvalidStateError,
  ThreadPoolExecutor,
  asCompleted,
  wait,
  type FutureState,
  type ReturnWhen,
} from "../src/api/futures.js";
import { SHUTDOWN_MESSAGE, bounded, macrotask, programArb, runProgram, taskKindArb } from "./helpers-properties.js";

/** Scale every property's run count, e.g. UNIRUN_PROPERTY_SCALE=50 for a long bug hunt. */
const SCALE = Math.max(1, Number(process.env.UNIRUN_PROPERTY_SCALE) || 1);
/**
 * A hang costs one liveness guard (2 s) per failing run; stop shrinking after a
 * while and report the smallest counterexample found so far.
 */
const SHRINK_BUDGET_MS = 45_000;
const runs = (n: number): { numRuns: number; interruptAfterTimeLimit: number; markInterruptAsFailure: boolean } => ({
  numRuns: n * SCALE,
  interruptAfterTimeLimit: SHRINK_BUDGET_MS * SCALE,
  markInterruptAsFailure: true,
});
// Passing runs take about a second; the budget only matters when shrinking a hang.
const TEST_TIMEOUT_MS = SHRINK_BUDGET_MS * SCALE + 15_000;

let consoleError: MockInstance<typeof console.error>;
beforeEach(() => {
  // Throwing done callbacks are reported with console.error; keep the output clean and count them.
  consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => {
  consoleError.mockRestore();
});

describe("ThreadPoolExecutor under random operation sequences", () => {
  it("keeps invariants 1–7 for submit/cancel/callbacks/shutdown/wait/asCompleted in any order", async () => {
    await fc.assert(
      fc.asyncProperty(programArb, async (program) => {
        consoleError.mockClear();
        const report = await runProgram(program);
        expect(report.problems).toEqual([]);
        // A throwing callback is reported once with console.error and breaks nothing else.
        expect(consoleError.mock.calls.length).toBe(report.throwingCallbacks);
      }),
      runs(200),
    );
  }, TEST_TIMEOUT_MS);

  it("submit after shutdown throws CPython's message, whatever the shutdown options and prior work", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(taskKindArb, { maxLength: 5 }),
        fc.record({ wait: fc.boolean(), cancelFutures: fc.boolean() }),
        fc.boolean(),
        async (maxWorkers, kinds, options, awaitShutdown) => {
          const ex = new ThreadPoolExecutor({ maxWorkers });
          const futures = kinds.map((kind) =>
            ex.submit(async () => {
              await Promise.resolve();
              if (/throw/i.test(kind)) throw new Error(kind);
              return kind;
            }),
          );
          const shutdown = ex.shutdown(options);
          if (awaitShutdown) await bounded(shutdown, "shutdown()");
          for (const submit of [
            () => ex.submit(() => 1),
            () => ex.submit(async () => 1),
            () => ex.submitWith({}, () => 1),
          ]) {
            expect(submit).toThrow(Error);
            expect(submit).toThrow(SHUTDOWN_MESSAGE);
          }
          await bounded(shutdown, "shutdown()");
          await bounded(ex.shutdown({ wait: true }), "second shutdown()");
          for (const f of futures) expect(["FINISHED", "CANCELLED_AND_NOTIFIED"]).toContain(f.state);
          // Failed futures nobody read must not surface as unhandled rejections (Vitest fails the file on one).
          await macrotask();
        },
      ),
      runs(100),
    );
  }, TEST_TIMEOUT_MS);
});

// ─────────── wait / asCompleted / callbacks against an exact model, with hand-driven futures ───────────

type Action = "cancel" | "setRunningOrNotifyCancel" | "setResult" | "setException" | "addDoneCallback";
const COMPLETE: readonly FutureState[] = ["FINISHED", "CANCELLED_AND_NOTIFIED"];

interface ModelFuture {
  state: FutureState;
  raised: boolean;
  /** Done callbacks registered so far. */
  callbacks: number;
}

/** CPython's Future state machine: the expected outcome of one action, or "InvalidState". */
function modelStep(m: ModelFuture, action: Action): { returns?: boolean; invalid?: true } {
  switch (action) {
    case "addDoneCallback":
      m.callbacks++;
      return {};
    case "cancel":
      if (m.state === "RUNNING" || m.state === "FINISHED") return { returns: false };
      if (m.state === "PENDING") m.state = "CANCELLED";
      return { returns: true };
    case "setRunningOrNotifyCancel":
      if (m.state === "PENDING") {
        m.state = "RUNNING";
        return { returns: true };
      }
      if (m.state === "CANCELLED") {
        m.state = "CANCELLED_AND_NOTIFIED";
        return { returns: false };
      }
      return { invalid: true };
    case "setResult":
    case "setException":
      if (m.state !== "PENDING" && m.state !== "RUNNING") return { invalid: true };
      m.state = "FINISHED";
      m.raised = action === "setException";
      return {};
  }
}

/** Done callbacks bump this counter for their future; they must only ever run on a done future. */
const callbackRuns = new WeakMap<Future<unknown>, number>();
const countingCallback = (f: Future<unknown>): void => {
  if (!f.done()) throw new Error(`a done callback ran on a ${f.state} future`);
  callbackRuns.set(f, (callbackRuns.get(f) ?? 0) + 1);
};

function apply(f: Future<unknown>, action: Action): { returns?: boolean; invalid?: true } {
  try {
    switch (action) {
      case "addDoneCallback":
        f.addDoneCallback(countingCallback);
        return {};
      case "cancel":
        return { returns: f.cancel() };
      case "setRunningOrNotifyCancel":
        return { returns: f.setRunningOrNotifyCancel() };
      case "setResult":
        f.setResult("ok");
        return {};
      case "setException":
        f.setException(new Error("raised"));
        return {};
    }
  } catch (error) {
    if (error instanceof InvalidStateError) return { invalid: true };
    throw error;
  }
}

const actionArb = fc.constantFrom<Action>(
  "cancel",
  "setRunningOrNotifyCancel",
  "setResult",
  "setException",
  "addDoneCallback",
);

describe("wait and asCompleted against a model", () => {
  it("resolve exactly when returnWhen is met, partition correctly, yield in completion order, run callbacks once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 8 }),
        fc.constantFrom<ReturnWhen>(FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED),
        fc.array(fc.record({ target: fc.nat({ max: 20 }), action: actionArb }), { maxLength: 20 }),
        async (n, inputIdx, returnWhen, steps) => {
          consoleError.mockClear();
          const unhandled: unknown[] = [];
          const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
          process.on("unhandledRejection", onUnhandled);
          try {
            const futures = Array.from({ length: n }, () => new Future<unknown>());
            const models: ModelFuture[] = futures.map(() => ({ state: "PENDING", raised: false, callbacks: 0 }));
            const input = inputIdx.map((i) => futures[i % n]);
            const distinct = [...new Set(input)];
            const complete = (i: number): boolean => COMPLETE.includes(models[i].state);
            const completeInput = (): Set<Future<unknown>> =>
              new Set(distinct.filter((f) => complete(futures.indexOf(f))));
            const satisfied = (): boolean => {
              const done = distinct.map((f) => futures.indexOf(f)).filter(complete);
              if (done.length === distinct.length) return true;
              if (returnWhen === FIRST_COMPLETED) return done.length > 0;
              if (returnWhen === FIRST_EXCEPTION) return done.some((i) => models[i].raised);
              return false;
            };

            // Done callbacks: each exactly once, when its future first becomes done
            // (CANCELLED counts), or at once when added to a done future.
            futures.forEach((f, i) => expect(apply(f, "addDoneCallback")).toEqual(modelStep(models[i], "addDoneCallback")));

            // A wait() without timeout, watched step by step.
            let waited: { done: Set<Future<unknown>>; notDone: Set<Future<unknown>> } | null = null;
            const waiting = wait(input, { returnWhen }).then((r) => {
              waited = r;
            });
            // An asCompleted() consumer, recording what it yields.
            const yielded: Future<unknown>[] = [];
            const consuming = (async () => {
              for await (const f of asCompleted(input)) yielded.push(f);
            })();
            const expectedYield: Future<unknown>[] = [];

            let resolvedWith: Set<Future<unknown>> | null = null;
            const check = async (): Promise<void> => {
              await macrotask();
              if (resolvedWith === null) {
                if (waited !== null) {
                  const w: { done: Set<Future<unknown>>; notDone: Set<Future<unknown>> } = waited;
                  // It resolved during the last step: that step must have met returnWhen.
                  expect(satisfied()).toBe(true);
                  expect(w.done).toEqual(completeInput());
                  expect(new Set([...w.done, ...w.notDone])).toEqual(new Set(distinct));
                  expect([...w.done].some((f) => w.notDone.has(f))).toBe(false);
                  resolvedWith = w.done;
                } else {
                  expect(satisfied()).toBe(false);
                }
              }
              for (const f of distinct) {
                if (complete(futures.indexOf(f)) && !expectedYield.includes(f)) expectedYield.push(f);
              }
              expect(yielded).toEqual(expectedYield);
              // countingCallback throws on a not-done future; Future reports that with console.error.
              expect(consoleError).not.toHaveBeenCalled();
              futures.forEach((f, i) => {
                expect(f.state).toBe(models[i].state);
                expect(callbackRuns.get(f) ?? 0).toBe(f.done() ? models[i].callbacks : 0);
              });
            };

            await check();
            for (const { target, action } of steps) {
              const i = target % n;
              expect(apply(futures[i], action)).toEqual(modelStep(models[i], action));
              // A callback added to a done future runs synchronously, inside addDoneCallback.
              if (action === "addDoneCallback" && futures[i].done()) {
                expect(callbackRuns.get(futures[i])).toBe(models[i].callbacks);
              }
              await check();
            }
            // Complete everything, one step at a time, so both consumers end.
            for (const [i, f] of futures.entries()) {
              const state = models[i].state;
              if (COMPLETE.includes(state)) continue;
              const action: Action = state === "CANCELLED" ? "setRunningOrNotifyCancel" : "setResult";
              expect(apply(f, action)).toEqual(modelStep(models[i], action));
              await check();
            }
            await bounded(waiting, "wait()");
            await bounded(consuming, "asCompleted()");
            expect(yielded.length).toBe(distinct.length);
            expect(new Set(yielded).size).toBe(distinct.length);
            await macrotask();
          } finally {
            process.off("unhandledRejection", onUnhandled);
          }
          expect(unhandled).toEqual([]);
        },
      ),
      runs(200),
    );
  }, TEST_TIMEOUT_MS);
});
