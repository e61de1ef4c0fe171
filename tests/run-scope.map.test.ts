/**
 * Map sizing in managed mode (SPEC §5, the XCS rule) when the caller gives no
 * chunksize and the executor no explicit maxWorkers, over inputs of known
 * size: calls that stay on the event loop (I/O-bound) keep up to min(n, 100)
 * in flight; calls sent to worker threads or child processes (CPU-bound) use
 * one worker per core and chunksize = max(1, floor(n / (workers * 4))).
 *
 * Checked structurally: the most calls ever in flight (event-loop tasks the
 * test holds), and the messages sent to the pool (chunks). No timing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BrokenInterpreterPool, CancelledError, type InterpreterPoolExecutor } from "../src/api/futures.js";
import { reset, Run, RuntimeConfig } from "../src/index.js";
import { capabilities } from "../src/run/capabilities.js";
import { lease } from "../src/run/pools.js";
import { recordMessages, type SentMessage } from "./fixtures/pool-helpers.js";
import { until } from "./fixtures/proc-helpers.js";
import { square } from "./fixtures/sched-helpers.js";
import { deferred, range, readUntilRaised, turns, within } from "./thread-pool.helpers.js";

const DEFAULTS = new RuntimeConfig({ warnings: "ignore" });
afterEach(async () => {
  await within(reset(), "reset()", 10);
});

/** An I/O-shaped call the test holds: counts what is in flight and the most ever. */
function heldCalls() {
  const gate = deferred();
  const state = { active: 0, max: 0 };
  const fn = async (i: number): Promise<number> => {
    state.active++;
    state.max = Math.max(state.max, state.active);
    await gate.promise;
    state.active--;
    return i * 2;
  };
  return { fn, state, release: () => gate.resolve() };
}

/** Map `n` held calls, wait until `expected` are in flight, let the loop turn, then release them all. */
async function mostInFlight(run: Run, input: Iterable<number>, n: number, expected: number, options?: object): Promise<number> {
  const { fn, state, release } = heldCalls();
  const results = options === undefined ? run.map(fn, input) : run.map(fn, input, options);
  await until(() => state.active >= expected, `${expected} calls in flight`);
  await turns(5);
  release();
  expect(await within(results.toArray(), "the map's results")).toEqual(range(n).map((i) => i * 2));
  return state.max;
}

describe("I/O-bound maps (calls on the event loop)", () => {
  it("keep min(n, 100) in flight: 100 of 150", async () => {
    const run = new Run({ config: DEFAULTS });
    expect(await mostInFlight(run, range(150), 150, 100)).toBe(100);
  });

  it("keep all n in flight when n < 100, above the executor's own size", async () => {
    const run = new Run({ config: DEFAULTS });
    expect(run.maxWorkers).toBeLessThan(30);
    expect(await mostInFlight(run, range(30), 30, 30)).toBe(30);
    expect(await mostInFlight(run, new Set(range(30)), 30, 30)).toBe(30);
  });

  it("UNIRUN_MAX_WORKERS caps them", async () => {
    const run = new Run({ config: new RuntimeConfig({ maxWorkers: 7, warnings: "ignore" }) });
    expect(await mostInFlight(run, range(50), 50, 7)).toBe(7);
  });

  it("are not sized with an explicit maxWorkers, a caller's chunksize, or an input of unknown size", async () => {
    const explicit = new Run({ maxWorkers: 4, config: DEFAULTS });
    expect(await mostInFlight(explicit, range(50), 50, 4)).toBe(4);
    const run = new Run({ config: DEFAULTS });
    expect(await mostInFlight(run, range(50), 50, run.maxWorkers, { chunksize: 5 })).toBe(run.maxWorkers);
    function* numbers(): Generator<number> {
      for (let i = 0; i < 50; i++) yield i;
    }
    expect(await mostInFlight(run, numbers(), 50, run.maxWorkers)).toBe(run.maxWorkers);
  });
});

/** Record the messages the scheduler's shared pool for `backend` and `size` sends, once it has a worker. */
async function recordPool(run: Run, backend: "worker-threads" | "child-processes", size: number): Promise<SentMessage[] & { done(): Promise<void> }> {
  expect(await within(run.submit(square, 2), "warm-up call", 10)).toBe(4);
  const held = lease(backend, size);
  const sent = recordMessages(held.executor as InterpreterPoolExecutor);
  return Object.assign(sent, { done: () => held.release() });
}

async function chunksOf(run: Run, backend: "worker-threads" | "child-processes", size: number, n: number, options?: object) {
  const sent = await recordPool(run, backend, size);
  try {
    const results = options === undefined ? run.map(square, range(n)) : run.map(square, range(n), options);
    expect(await within(results.toArray(), "the map's results", 15)).toEqual(range(n).map((i) => i * i));
    return sent.map((message) => message.calls.length);
  } finally {
    await sent.done();
  }
}

describe("CPU-bound maps (calls on worker threads or child processes)", () => {
  it("chunksize = max(1, floor(n / (workers * 4))): 40 items on 1 worker travel as 4 chunks of 10", async () => {
    const run = new Run({ flavor: "interpreters", config: new RuntimeConfig({ maxWorkers: 1 }) });
    expect(await chunksOf(run, "worker-threads", 1, 40)).toEqual([10, 10, 10, 10]);
  });

  it("one worker per core: the chunk size follows the cores", async () => {
    const workers = Math.min(40, capabilities().suggested.cpu);
    const chunk = Math.max(1, Math.floor(40 / (workers * 4)));
    const run = new Run({ flavor: "interpreters", config: DEFAULTS });
    expect(run.maxWorkers).toBe(capabilities().suggested.cpu);
    const sizes = await chunksOf(run, "worker-threads", run.maxWorkers, 40);
    expect(sizes.every((size) => size === chunk)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
  });

  it("child processes too", async () => {
    const run = new Run({ flavor: "processes", config: new RuntimeConfig({ maxWorkers: 1 }) });
    expect(await chunksOf(run, "child-processes", 1, 12)).toEqual([3, 3, 3, 3]);
  });

  it("a thread-pool Run whose tasks go to worker threads (nogil) maps them as CPU-bound work", async () => {
    const run = new Run({ flavor: "threads", config: new RuntimeConfig({ threadMode: "nogil", maxWorkers: 1 }) });
    expect(await chunksOf(run, "worker-threads", 1, 40)).toEqual([10, 10, 10, 10]);
  });

  it("a caller's chunksize is honoured", async () => {
    const run = new Run({ flavor: "interpreters", config: new RuntimeConfig({ maxWorkers: 1 }) });
    expect(await chunksOf(run, "worker-threads", 1, 40, { chunksize: 8 })).toEqual([8, 8, 8, 8, 8]);
  });

  it("no XCS sizing with an explicit maxWorkers: the pool's own chunks, one call per message at first", async () => {
    const run = new Run({ flavor: "interpreters", maxWorkers: 1, config: DEFAULTS });
    const sizes = await chunksOf(run, "worker-threads", 1, 3_000);
    expect(sizes.slice(0, 2)).toEqual([1, 1]);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(sizes.length).toBeLessThan(100);
  });
});

describe("a managed map on a pool, a chunk at a time", () => {
  const double = (x: number): number => x * 2;

  it("a map begun before shutdown() delivers every result; later calls are refused", async () => {
    const run = new Run({ flavor: "interpreters", config: DEFAULTS });
    const results = run.map(double, range(20_000));
    const stopped = run.shutdown();
    expect(() => run.submit(double, 1)).toThrow("cannot schedule new futures after shutdown");
    expect(await within(results.toArray(), "the map begun before shutdown", 30)).toEqual(range(20_000).map((i) => i * 2));
    await within(stopped, "shutdown", 15);
  });

  it("shutdown({ cancelFutures: true }) cancels what the map has not handed over: CancelledError, no hang", async () => {
    const run = new Run({ flavor: "interpreters", maxWorkers: 1, config: DEFAULTS });
    const slow = (x: number): number => {
      const end = Date.now() + 5;
      while (Date.now() < end);
      return x * 2;
    };
    const results = run.map(slow, range(300));
    await within(run.shutdown({ cancelFutures: true }), "shutdown with cancelFutures", 15);
    const { seen, error } = await readUntilRaised<number>(results);
    expect(error).toBeInstanceOf(CancelledError);
    expect(seen.length).toBeLessThan(300);
    expect(seen).toEqual(range(seen.length).map((i) => i * 2));
  });

  it("a worker that dies inside a chunk: the map raises BrokenInterpreterPool at that chunk, and the executor is broken", async () => {
    const run = new Run({ flavor: "interpreters", maxWorkers: 1, config: DEFAULTS });
    const dies = (x: number): number => {
      if (x === 40) process.exit(7);
      return x;
    };
    const { seen, error } = await readUntilRaised<number>(run.map(dies, range(100)));
    expect(error).toBeInstanceOf(BrokenInterpreterPool);
    expect(seen).toEqual(range(seen.length));
    expect(seen.length).toBeLessThanOrEqual(40);
    expect(() => run.submit(double, 1)).toThrow(BrokenInterpreterPool);
  });

  it("closures on an auto executor still go one by one (each call routed): results in order", async () => {
    const run = new Run({ config: DEFAULTS });
    const offset = 3;
    expect(await within(run.map((x: number) => x + offset, range(50)).toArray(), "closure map")).toEqual(range(50).map((i) => i + 3));
  });
});
