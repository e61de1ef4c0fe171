/**
 * InterpreterPoolExecutor under load, with real worker threads (SPEC §2): a
 * million-item map in bounded memory, a hundred thousand tasks with injected
 * failures, and the batching of queued calls — a flood travels in far fewer
 * messages than tasks, a call to a pool with a free worker is sent alone at
 * once, and calls with a signal or a transfer list are never batched.
 *
 * Message counts come from wrapping the live backend's `run` (kPoolBackend).
 * The assertions are structural (counts, results), never timings; waits are
 * bounded generously for a loaded 2-core machine.
 */
import { describe, expect, it } from "vitest";
import { InterpreterPoolExecutor, task, type InterpreterPoolExecutorOptions } from "../src/api/futures.js";
import { warmPool as warmPoolOf, type SentMessage } from "./fixtures/pool-helpers.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import { range, stoppedAfterEach, turns, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const failSome = task<typeof Pool, "failSome">(POOL, "failSome");
const slowAdd = task<typeof Pool, "slowAdd">(POOL, "slowAdd");

const pool = stoppedAfterEach((options?: InterpreterPoolExecutorOptions) => new InterpreterPoolExecutor(options));

const warmPool = () => warmPoolOf(pool);

// One function object for every call: the executor analyses each function object once.
const identity = <T>(x: T): T => x;
const byteLength = (buffer: ArrayBuffer): number => buffer.byteLength;

const callsIn = (sent: SentMessage[]): number => sent.reduce((n, message) => n + message.calls.length, 0);

describe("load", () => {
  it("maps 1,000,000 items with buffersize 20,000: every result matches a sequential computation", async () => {
    const ex = pool({ maxWorkers: 2 });
    const n = 1_000_000;
    function* inputs(): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    }
    let count = 0;
    let sum = 0;
    let weighted = 0; // order-sensitive: Σ i·result(i), modulo 2^31 - 1
    const spots = new Map<number, number>([[0, -1], [1, -1], [4_567, -1], [500_000, -1], [n - 1, -1]]);
    const results = ex.map((x: number) => x * 2 + 1, inputs(), { buffersize: 20_000 });
    for await (const value of results) {
      sum += value;
      weighted = (weighted + ((count % 65_536) * (value % 65_536))) % 2_147_483_647;
      if (spots.has(count)) spots.set(count, value);
      count++;
    }
    let expectedSum = 0;
    let expectedWeighted = 0;
    for (let i = 0; i < n; i++) {
      const value = i * 2 + 1;
      expectedSum += value;
      expectedWeighted = (expectedWeighted + ((i % 65_536) * (value % 65_536))) % 2_147_483_647;
    }
    expect(count).toBe(n);
    expect(sum).toBe(expectedSum);
    expect(weighted).toBe(expectedWeighted);
    for (const [i, value] of spots) expect(value).toBe(i * 2 + 1);
  }, 60_000);

  it("100,000 tasks with 1% injected failures: exactly those fail, with their message; all others succeed", async () => {
    const ex = pool({ maxWorkers: 2 });
    const n = 100_000;
    const futures = range(n).map((i) => ex.submit(failSome, i));
    const outcomes = await within(
      Promise.all(futures.map((future) => future.then((value) => ({ value }), (error: unknown) => ({ error })))),
      "100,000 tasks",
      60,
    );
    const failed: number[] = [];
    outcomes.forEach((outcome, i) => {
      if ("error" in outcome) {
        failed.push(i);
        expect((outcome.error as Error).message).toBe(`item ${i} failed`);
      } else if (outcome.value !== i * 2) {
        throw new Error(`task ${i} returned ${String(outcome.value)}, not ${i * 2}`);
      }
    });
    expect(failed).toEqual(range(n).filter((i) => i % 100 === 37));
    expect(failed).toHaveLength(1_000);
    expect(await within(ex.submit(add, 1, 2), "a later task")).toBe(3);
  }, 60_000);
});

describe("batching", () => {
  it("a flood of 20,000 submitted calls gets every result right in far fewer messages than calls", async () => {
    const { ex, sent } = await warmPool();
    const n = 20_000;
    const futures = range(n).map((i) => ex.submit(identity, i));
    const results = await within(Promise.all(futures), "flood", 30);
    expect(results).toEqual(range(n));
    expect(callsIn(sent)).toBe(n);
    expect(sent.length).toBeLessThan(n / 4);
    expect(Math.max(...sent.map((message) => message.calls.length))).toBeGreaterThan(1);
  });

  it("a batch carries each function once (columnar), however many of its calls it holds", async () => {
    const { ex, sent } = await warmPool();
    const n = 6_000;
    // Two functions interleaved, each a new function object per call (the same source): one spec each.
    const futures = range(n).map((i) => (i % 3 === 0 ? ex.submit(add, i, 1) : ex.submit((x: number) => -x, i)));
    const results = await within(Promise.all(futures), "mixed flood", 30);
    expect(results).toEqual(range(n).map((i) => (i % 3 === 0 ? i + 1 : -i)));
    expect(callsIn(sent)).toBe(n);
    const batches = sent.filter((message) => message.calls.length > 1);
    expect(batches.length).toBeGreaterThan(0);
    for (const { request: [fns, which, args] } of sent) {
      expect(new Set(fns).size).toBe(fns.length);
      expect(fns.length).toBeLessThanOrEqual(2);
      expect(which).not.toBe(-1); // the one-argument column is map's only
      expect(typeof which === "number" ? fns.length : which.length).toBe(typeof which === "number" ? 1 : args.length);
    }
  });

  it("a call submitted to an idle pool is sent alone, at once", async () => {
    const { ex, sent } = await warmPool();
    const future = ex.submit(add, 1, 2);
    expect(sent).toHaveLength(0); // never inside submit()
    // The dispatch was queued as a microtask by submit(): one microtask turn
    // later the call is sent, before any reply could arrive.
    await Promise.resolve();
    expect(future.running()).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.calls).toHaveLength(1);
    expect(await within(future, "the call")).toBe(3);
    // As many calls as free workers: each goes alone, none waits for another.
    const pair = [ex.submit(add, 1, 1), ex.submit(add, 2, 2)];
    await Promise.resolve();
    expect(pair.every((f) => f.running())).toBe(true);
    expect(sent.slice(1).map((message) => message.calls.length)).toEqual([1, 1]);
    expect(await within(Promise.all(pair), "the pair")).toEqual([2, 4]);
  });

  it("calls with a signal or a transfer list are never batched, even in a flood", async () => {
    const { ex, sent } = await warmPool();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    // Saturate, so that batching is on for what queues behind.
    const blockers = [ex.submit(slowAdd, 0, 0, 50), ex.submit(slowAdd, 0, 0, 50)];
    const controller = new AbortController();
    const futures: PromiseLike<unknown>[] = [];
    const special = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      if (i % 100 === 10) {
        const tag = `signal-${i}`;
        special.add(tag);
        futures.push(ex.submitWith({ signal: controller.signal }, identity, tag));
      } else if (i % 100 === 60) {
        const buffer = new ArrayBuffer(16);
        futures.push(ex.submitWith({ transferList: [buffer] }, byteLength, buffer));
      } else {
        futures.push(ex.submit(identity, i));
      }
    }
    await within(Promise.all([...blockers, ...futures]), "flood with signals and transfer lists", 30);
    await turns();
    process.off("warning", onWarning);
    // Thirty calls share one signal: still no listener-leak warning.
    expect(warnings.map((warning) => warning.name)).not.toContain("MaxListenersExceededWarning");
    const isSpecial = (args: unknown[]): boolean =>
      args[0] instanceof ArrayBuffer || (typeof args[0] === "string" && special.has(args[0]));
    const withOptions = sent.filter((message) => message.signal || message.transfer);
    expect(withOptions).toHaveLength(60);
    for (const message of withOptions) expect(message.calls).toHaveLength(1);
    for (const message of sent) {
      if (message.calls.length > 1) expect(message.calls.some((call) => isSpecial(call.args))).toBe(false);
    }
    expect(sent.filter((message) => message.calls.length > 1).length).toBeGreaterThan(0);
  });
});
