/**
 * `map` with no chunksize on a pool executor goes a chunk at a time, with no
 * Future per call: chunks start at one call (slow calls spread over every
 * worker) and grow while calls are short. Structural checks only: messages
 * and calls per message, never timing.
 */
import { describe, expect, it } from "vitest";
import { CancelledError, InterpreterPoolExecutor, task, type InterpreterPoolExecutorOptions } from "../src/api/futures.js";
import { warmPool as warmPoolOf, type SentMessage } from "./fixtures/pool-helpers.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import { range, readUntilRaised, stoppedAfterEach, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const failSome = task<typeof Pool, "failSome">(POOL, "failSome");
const slowAdd = task<typeof Pool, "slowAdd">(POOL, "slowAdd");

const pool = stoppedAfterEach((options?: InterpreterPoolExecutorOptions) => new InterpreterPoolExecutor(options));

const warmPool = () => warmPoolOf(pool);

const sizes = (sent: SentMessage[]): number[] => sent.map((message) => message.calls.length);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe("map without chunksize on a pool: adaptive chunks", () => {
  it("sends many tiny calls in far fewer messages than calls, capped at 4,096 calls", async () => {
    const { ex, sent } = await warmPool();
    const n = 50_000;
    const out = await within(ex.map(add, range(n), range(n)).toArray(), "map", 30);
    expect(out).toEqual(range(n).map((i) => 2 * i));
    const counts = sizes(sent);
    expect(sum(counts)).toBe(n);
    expect(counts.length).toBeLessThan(n / 20);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4_096);
  });

  it("a one-input map's chunk crosses as a flat column of its arguments; a two-input map's as argument lists", async () => {
    const { ex, sent } = await warmPool();
    const double = (x: number): number => x * 2;
    expect(await within(ex.map(double, range(3_000)).toArray(), "one-input map", 30)).toEqual(range(3_000).map((i) => i * 2));
    expect(sent.length).toBeGreaterThan(4);
    for (const { request: [fns, which, args] } of sent) {
      expect(fns).toHaveLength(1);
      expect(which).toBe(-1);
      expect(args.every((x) => typeof x === "number")).toBe(true);
    }
    expect(sent.flatMap((message) => message.request[2])).toEqual(range(3_000));
    sent.length = 0;
    await within(ex.map(add, range(100), range(100)).toArray(), "two-input map", 30);
    for (const { request: [, which, args] } of sent) {
      expect(which).toBe(0);
      expect(args.every((x) => Array.isArray(x) && x.length === 2)).toBe(true);
    }
  });

  it("reads an array input when map() is called (later changes do not count), through its iterator when it has its own", async () => {
    const { ex } = await warmPool();
    const double = (x: number): number => x * 2;
    const input = range(2_000);
    const results = ex.map(double, input);
    input.fill(-1);
    input.push(5);
    expect(await within(results.toArray(), "snapshot map", 30)).toEqual(range(2_000).map((i) => i * 2));
    class Reversed extends Array<number> {
      override *[Symbol.iterator](): ArrayIterator<number> {
        for (let i = this.length - 1; i >= 0; i--) yield this[i]!;
      }
    }
    const reversed = Reversed.from([1, 2, 3]);
    expect(await within(ex.map(double, reversed).toArray(), "own iterator", 30)).toEqual([6, 4, 2]);
  });

  it("refuses an argument that cannot cross at map() time, naming its position; objects cross; toArray raises a call's failure", async () => {
    const { ex } = await warmPool();
    const double = (x: number): number => x * 2;
    expect(() => ex.map(double, [1, 2, () => 3])).toThrow(/^map\(fn, \.\.\.iterables\): argument 1 \(args\[0\]: a function/);
    expect(() => ex.map(double, new Set([1, Symbol("s")]))).toThrow(/argument 1 \(args\[0\]: a symbol/);
    await expect(within(ex.map(failSome, range(3_000)).toArray(), "failing map", 30)).rejects.toThrow("item 37 failed");
    // Objects are walked as submit's arguments are, and cross.
    expect(await within(ex.map((o: { a: number }) => o.a, [{ a: 1 }, { a: 2 }]).toArray(), "objects", 30)).toEqual([1, 2]);
  });

  it("a map started before shutdown() sends every call (Python's map submits them all at once); later calls are refused", async () => {
    const { ex } = await warmPool();
    const double = (x: number): number => x * 2;
    const results = ex.map(double, range(20_000));
    const stopped = ex.shutdown();
    expect(() => ex.submit(add, 1, 1)).toThrow("cannot schedule new futures after shutdown");
    expect(() => ex.map(double, [1])).toThrow("cannot schedule new futures after shutdown");
    expect(await within(results.toArray(), "the map begun before shutdown", 30)).toEqual(range(20_000).map((i) => i * 2));
    await within(stopped, "shutdown");
  });

  it("shutdown({ cancelFutures: true }) cancels a map's calls not sent: CancelledError at the first, no hang", async () => {
    const { ex, sent } = await warmPool();
    const results = ex.map(slowAdd, range(200), range(200), Array(200).fill(5));
    await within(ex.shutdown({ cancelFutures: true }), "shutdown with cancelFutures");
    const { seen, error } = await readUntilRaised<number>(results);
    expect(error).toBeInstanceOf(CancelledError);
    expect(seen).toEqual(range(seen.length).map((i) => 2 * i));
    expect(sum(sizes(sent))).toBeLessThan(200);
  });

  it("starts with one call per message: the first chunks fill every worker one call each", async () => {
    const { ex, sent } = await warmPool();
    await within(ex.map(add, range(1_000), range(1_000)).toArray(), "map", 30);
    // Before any reply comes back, the window (two chunks per worker) goes out one call each.
    expect(sizes(sent).slice(0, 4)).toEqual([1, 1, 1, 1]);
  });

  it("keeps slow calls one to a message, spread over the workers", async () => {
    const { ex, sent } = await warmPool();
    const out = await within(ex.map(slowAdd, range(8), range(8), Array(8).fill(20)).toArray(), "map", 30);
    expect(out).toEqual(range(8).map((i) => 2 * i));
    expect(sizes(sent)).toEqual(Array(8).fill(1));
  });

  it("fails only the failing call inside a chunk, and raises the first failure at its index", async () => {
    const { ex, sent } = await warmPool();
    const { seen, error } = await readUntilRaised<number>(ex.map(failSome, range(5_000)));
    expect((error as Error).message).toBe("item 37 failed");
    expect(seen).toEqual(range(37).map((i) => i * 2));
    expect(sent.length).toBeGreaterThan(0);
  });

  it("with buffersize, never has more than buffersize calls sent ahead of consumption", async () => {
    const { ex, sent } = await warmPool();
    let consumed = 0;
    for await (const value of ex.map(add, range(2_000), range(2_000), { buffersize: 50 })) {
      expect(value).toBe(2 * consumed);
      consumed++;
      expect(sum(sizes(sent))).toBeLessThanOrEqual(consumed + 50);
    }
    expect(consumed).toBe(2_000);
  });

  it("leaving early sends nothing more", async () => {
    const { ex, sent } = await warmPool();
    const results = ex.map(slowAdd, range(100), range(100), Array(100).fill(5));
    for await (const value of results) {
      expect(value).toBe(0);
      break;
    }
    const after = sent.length;
    await within(ex.shutdown(), "shutdown");
    expect(sent.length).toBe(after);
    expect(sum(sizes(sent))).toBeLessThan(100);
  });

  it("reads an async source lazily with buffersize, in chunks, results in order", async () => {
    const { ex, sent } = await warmPool();
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 3_000; i++) yield i;
    }
    const out = await within(ex.map(add, source(), range(3_000), { buffersize: 100 }).toArray(), "map", 30);
    expect(out).toEqual(range(3_000).map((i) => 2 * i));
    expect(sum(sizes(sent))).toBe(3_000);
    expect(sent.length).toBeLessThan(3_000);
  });

  it("an explicit chunksize keeps fixed chunks", async () => {
    const { ex, sent } = await warmPool();
    await within(ex.map(add, range(1_000), range(1_000), { chunksize: 100 }).toArray(), "map", 30);
    expect(sizes(sent)).toEqual(Array(10).fill(100));
  });
});
