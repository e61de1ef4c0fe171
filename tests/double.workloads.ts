/**
 * The workloads every `*.double.test.ts` runs on its executor, native and
 * managed: submit, map (with chunksize), errors, cancellation, shutdown,
 * wait/asCompleted. Each test asserts the two sides agree, and what they
 * agree on.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ALL_COMPLETED, asCompleted, CancelledError, FIRST_EXCEPTION, type Future, wait } from "../src/api/futures.js";
import {
  type AnyExecutor,
  double,
  drain,
  type ExecutorName,
  type Executors,
  gateDir,
  open,
  outcome,
  ref,
  states,
  summarize,
  until,
} from "./double.helpers.js";

/** Whether the executor runs closures (only the thread pool; the others take transferable tasks). */
const RUNS_CLOSURES: Record<ExecutorName, boolean> = {
  ThreadPoolExecutor: true,
  InterpreterPoolExecutor: false,
  ProcessPoolExecutor: false,
};

export function describeDoubles(name: ExecutorName): void {
  const gate = gateDir();
  const make = (executors: Executors, maxWorkers = 2): AnyExecutor => new executors[name]({ maxWorkers });
  // One long-lived executor per side for the workloads that do not shut down:
  // its workers start once per file, not once per test.
  const kept = new Map<Executors, AnyExecutor>();
  const keep = (executors: Executors): AnyExecutor => {
    let ex = kept.get(executors);
    if (ex === undefined) kept.set(executors, (ex = make(executors, 2)));
    return ex;
  };
  afterAll(async () => {
    await Promise.all([...kept.values()].map((ex) => ex.shutdown()));
  });
  const add = ref("add");
  const square = ref("square");
  const fail = ref("fail");
  const waitForFile = ref("waitForFile");
  const doubleUnless = ref("doubleUnless");

  // Each workload runs twice (native, managed) and may start workers or children: a generous bound.
  describe(`${name}: native and managed agree`, { timeout: 60_000 }, () => {
    it("submit: task references, self-contained functions (sync and async), awaited or via result()", async () => {
      const out = await double(async (executors) => {
        const ex = keep(executors);
        const futures = [
          ex.submit(add, 2, 3),
          ex.submit((a: number, b: number) => a * b, 6, 7),
          ex.submit(async (s: string) => s.toUpperCase(), "abc"),
          ex.submit(() => ({ nested: [1, { two: 2 }], at: new Date(0), big: 10n })),
        ];
        return [await futures[0], await futures[1]!.result(5), await futures[2], await futures[3]];
      });
      expect(out).toEqual([5, 42, "ABC", { nested: [1, { two: 2 }], at: new Date(0), big: 10n }]);
    });

    it("map: input order with chunksize, several iterables, async iterables, empty input", async () => {
      const out = await double(async (executors) => {
        const ex = keep(executors);
        const range = Array.from({ length: 23 }, (_, i) => i);
        async function* letters() {
          yield "a";
          yield "b";
        }
        return {
          chunked: await ex.map(square, range, { chunksize: 4 }).toArray(),
          one: await ex.map(square, range, { chunksize: 1 }).toArray(),
          pairs: await ex.map(add, [1, 2, 3], [10, 20, 30, 40]).toArray(),
          fn: await ex.map((s: string) => s.repeat(2), letters()).toArray(),
          empty: await ex.map(square, [], { chunksize: 3 }).toArray(),
        };
      });
      expect(out.chunked).toEqual(Array.from({ length: 23 }, (_, i) => i * i));
      expect(out.pairs).toEqual([11, 22, 33]);
      expect(out.fn).toEqual(["aa", "bb"]);
    });

    it("map: the first failure is raised at its index, with the same error", async () => {
      const out = await double(async (executors) => {
        const ex = keep(executors);
        const items = Array.from({ length: 10 }, (_, i) => i);
        return {
          chunked: await drain(ex.map(doubleUnless, items, items.map(() => 6), { chunksize: 3 })),
          single: await drain(ex.map(doubleUnless, items, items.map(() => 2))),
        };
      });
      expect(out.chunked.values).toEqual([0, 2, 4, 6, 8, 10]);
      expect(out.chunked.error).toMatchObject({ ctor: "RangeError", message: "item 6 is bad", code: "E_BAD" });
    });

    it("errors: class, name, message, code, own properties, cause and AggregateError's errors", async () => {
      const out = await double(async (executors) => {
        const ex = keep(executors);
        const kinds = ["Error", "TypeError", "RangeError", "Aggregate", "Custom", "string"] as const;
        const failures = [];
        for (const kind of kinds) failures.push(await outcome(() => ex.submit(fail, kind)));
        failures.push(await outcome(() => ex.submit(() => JSON.parse("{"))));
        return failures;
      });
      expect(out[1]).toEqual({
        failed: {
          ctor: "TypeError",
          name: "TypeError",
          message: "bad type",
          code: "E_TYPE",
          own: { detail: 7 },
          cause: { ctor: "Error", name: "Error", message: "root cause", code: undefined, own: {} },
        },
      });
      expect(out[4]).toMatchObject({ failed: { ctor: "Error", name: "QuotaExceeded", code: "E_QUOTA" } });
      expect(out[6]).toMatchObject({ failed: { ctor: "SyntaxError" } });
    });

    it("errors raised by submit itself: not callable, untransferable, after shutdown, bad options", async () => {
      const out = await double(async (executors) => {
        const ex = make(executors, 1);
        const offset = 1;
        const results = [
          await outcome(() => ex.submit(42 as never)),
          await outcome(() => ex.submit((x: number) => x + offset, 1)),
          await outcome(() => ex.submit((x: unknown) => x, Symbol.for("not sendable"))),
          await outcome(() => ex.submitWith({ bogus: true } as never, add, 1, 2)),
          await outcome(() => ex.map(square, [1], { chunksize: 0 })),
          await outcome(() => ex.map(square, [1], { nope: 1 } as never)),
        ];
        await ex.shutdown();
        results.push(await outcome(() => ex.submit(add, 1, 2)));
        // With an initializer (managed: a dedicated native pool), a call queued behind a running one.
        const withInit = new executors[name]({ maxWorkers: 1, initializer: ref("remember"), initargs: ["errors", 0] });
        const first = withInit.submit(add, 1, 1);
        results.push(await outcome(() => withInit.submit((x: number) => x + offset, 1)));
        results.push(await outcome(() => first));
        await withInit.shutdown();
        return results;
      });
      expect(out[0]).toMatchObject({ sync: { ctor: "TypeError" } });
      if (RUNS_CLOSURES[name]) {
        expect(out[1]).toEqual({ value: 2 });
      } else {
        expect(out[1]).toMatchObject({ sync: { ctor: "TypeError" } });
        expect((out[1] as { sync: { message: string } }).sync.message).toMatch(/^submit\(fn, \.\.\.args\): fn captures `offset`/);
        expect(out[2]).toMatchObject({ sync: { ctor: "TypeError" } });
      }
      expect(out[6]).toMatchObject({ sync: { ctor: "Error", message: "cannot schedule new futures after shutdown" } });
      expect(out[7]).toEqual(RUNS_CLOSURES[name] ? { value: 2 } : out[1]);
      expect(out[8]).toEqual({ value: 2 });
    });

    it("constructor options are validated alike", async () => {
      const out = await double(async (executors) => {
        const results = [];
        for (const options of [{ maxWorkers: 0 }, { maxWorkers: -1 }, { maxWorkers: 1.5 }, { maxWorkers: "2" }, { initializer: 1 }]) {
          try {
            const ex = new executors[name](options as never);
            await ex.shutdown();
            results.push("constructed");
          } catch (error) {
            results.push(summarize(error));
          }
        }
        return results;
      });
      expect(out[0]).toMatchObject({ ctor: "RangeError", message: `${name}(maxWorkers): max_workers must be greater than 0; got 0` });
    });

    it("cancellation: pending calls cancel, a running one does not, a signal cancels a pending call", async () => {
      const out = await double(async (executors) => {
        const ex = make(executors, 1);
        const file = gate();
        try {
          const controller = new AbortController();
          const running = ex.submit(waitForFile, file, 10);
          const cancelled = ex.submit(add, 1, 1);
          const aborted = ex.submitWith({ signal: controller.signal }, add, 2, 2);
          const later = ex.submit(add, 3, 3);
          const first = { cancelled: cancelled.cancel(), again: cancelled.cancel(), state: cancelled.state };
          controller.abort();
          await until(() => running.running(), "the first call to start");
          const whileRunning = { cancel: running.cancel(), running: running.running(), aborted: aborted.cancelled() };
          await open(file, "released");
          const cancelledError = await cancelled.result().then(() => null, (error: unknown) => error);
          return {
            first,
            whileRunning,
            results: [await running, await later],
            cancelledError: cancelledError instanceof CancelledError,
            states: states([running, cancelled, aborted, later]),
          };
        } finally {
          await open(file);
          await ex.shutdown();
        }
      });
      expect(out).toEqual({
        first: { cancelled: true, again: true, state: expect.stringMatching(/^CANCELLED/) },
        whileRunning: { cancel: false, running: true, aborted: true },
        results: ["released", 6],
        cancelledError: true,
        states: ["FINISHED", "CANCELLED_AND_NOTIFIED", "CANCELLED_AND_NOTIFIED", "FINISHED"],
      });
    });

    it("shutdown: wait (and asyncDispose) drains every call; cancelFutures cancels the pending ones; twice is harmless", async () => {
      const out = await double(async (executors) => {
        const drained = make(executors, 1);
        const all = [1, 2, 3, 4, 5].map((i) => drained.submit(square, i));
        await drained[Symbol.asyncDispose]();
        const afterWait = { done: all.map((f) => f.done()), results: await Promise.all(all) };
        await drained.shutdown({ wait: true });
        await drained.shutdown({ wait: false });

        const ex = make(executors, 1);
        const file = gate();
        const blocker = ex.submit(waitForFile, file, 10);
        const pending = [ex.submit(add, 1, 2), ex.submit(add, 3, 4)];
        await until(() => blocker.running(), "the blocker to start");
        const stopping = ex.shutdown({ wait: true, cancelFutures: true });
        const whileStopping = states(pending);
        const refused = await outcome(() => ex.submit(add, 0, 0));
        await open(file, "done");
        await stopping;
        return { afterWait, whileStopping, refused, blocker: await blocker, states: states([blocker, ...pending]) };
      });
      expect(out.afterWait).toEqual({ done: [true, true, true, true, true], results: [1, 4, 9, 16, 25] });
      expect(out.whileStopping).toEqual(["CANCELLED_AND_NOTIFIED", "CANCELLED_AND_NOTIFIED"]);
      expect(out.blocker).toBe("done");
    });

    it("wait and asCompleted: ALL_COMPLETED, FIRST_EXCEPTION, timeouts with CPython's message", async () => {
      const out = await double(async (executors) => {
        const ex = keep(executors);
        const file = gate();
        try {
          const quick = [ex.submit(add, 1, 1), ex.submit(add, 2, 2)];
          const all = await wait([...quick, quick[0]!], { returnWhen: ALL_COMPLETED, timeout: 20 });
          const failing = ex.submit(fail, "RangeError");
          const blocker = ex.submit(waitForFile, file, 10);
          const first = await wait([failing, blocker], { returnWhen: FIRST_EXCEPTION, timeout: 20 });
          const yielded: Future<unknown>[] = [];
          let timeout: unknown = null;
          try {
            for await (const f of asCompleted([blocker, ...quick], { timeout: 0.05 })) yielded.push(f);
          } catch (error) {
            timeout = summarize(error);
          }
          const timedWait = await wait([blocker, quick[0]!], { timeout: 0.01 });
          await open(file, "late");
          const rest: unknown[] = [];
          for await (const f of asCompleted([blocker, failing], { timeout: 20 })) rest.push(f === blocker ? await f : "failing");
          return {
            all: { done: all.done.size, notDone: all.notDone.size },
            first: { failing: first.done.has(failing), blocker: first.notDone.has(blocker) },
            yieldedTheFutures: yielded.length === 2 && yielded.every((f) => (quick as Future<unknown>[]).includes(f)),
            timeout,
            timedWait: { done: [...timedWait.done].map((f) => f === quick[0]), notDone: [...timedWait.notDone].map((f) => f === blocker) },
            rest: rest.sort(),
          };
        } finally {
          await open(file);
        }
      });
      expect(out).toMatchObject({
        all: { done: 2, notDone: 0 },
        first: { failing: true, blocker: true },
        yieldedTheFutures: true,
        timeout: { ctor: "TimeoutError", message: "1 (of 3) futures unfinished" },
        timedWait: { done: [true], notDone: [true] },
        rest: ["failing", "late"],
      });
    });
  });
}
