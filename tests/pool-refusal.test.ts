/**
 * A message the serializer refuses is the call's fault, not a crash (SPEC
 * §1.1, §2): with real worker threads and child processes, an argument whose
 * unclonable part lies past the bounded pre-send check, or a result that
 * cannot cross back, fails only its own future with a TypeError naming the
 * position (or the result); the pool stays usable.
 *
 * Waits are bounded; no timing is asserted.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  BrokenExecutor,
  InterpreterPoolExecutor,
  ProcessPoolExecutor,
  task,
} from "../src/api/futures.js";
import type * as Exits from "./fixtures/pool-exits.js";
import type * as Pool from "./fixtures/pool-tasks.js";
import { recordMessages } from "./fixtures/pool-helpers.js";
import { range, readUntilRaised, within } from "./thread-pool.helpers.js";

const POOL = new URL("./fixtures/pool-tasks.ts", import.meta.url);
const EXITS = new URL("./fixtures/pool-exits.ts", import.meta.url);
const add = task<typeof Pool, "add">(POOL, "add");
const returnsFunction = task<typeof Pool, "returnsFunction">(POOL, "returnsFunction");
const deepFunction = task<typeof Exits, "deepFunction">(EXITS, "deepFunction");
const deepSymbol = task<typeof Exits, "deepSymbol">(EXITS, "deepSymbol");
const depthOf = task<typeof Exits, "depthOf">(EXITS, "depthOf");

type Pool = InterpreterPoolExecutor | ProcessPoolExecutor;
const made: Pool[] = [];
afterEach(async () => {
  for (const ex of made.splice(0)) await within(ex.killWorkers(), "cleanup killWorkers", 10);
});

const kinds = [
  { kind: "worker thread", make: (maxWorkers: number) => new InterpreterPoolExecutor({ maxWorkers }) },
  { kind: "child process", make: (maxWorkers: number) => new ProcessPoolExecutor({ maxWorkers }) },
] as const;

/** Nested `depth` levels down to a function: the pre-send walk stops at 64 levels. */
function deepArgument(depth: number): unknown {
  let value: unknown = { fn: () => 0 };
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

describe.each(kinds)("a $kind pool", ({ kind, make }) => {
  function pool(maxWorkers = 1): Pool {
    const ex = make(maxWorkers);
    made.push(ex);
    return ex;
  }

  it("an argument unclonable past the bounded check fails its own future with a positional TypeError; the next call works", async () => {
    const ex = pool();
    const future = ex.submit((_first: number, _second: unknown) => 0, 1, deepArgument(80));
    const error = (await within(future.exception(), "refused argument")) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(BrokenExecutor);
    expect(error.message).toMatch(
      new RegExp(`^submit\\(fn, \\.\\.\\.args\\): argument 2 \\(args\\[1\\]\\.next.*\\.fn: function fn\\) cannot be sent to a ${kind}`),
    );
    expect(error.cause).toBeDefined();
    expect(await within(ex.submit(add, 2, 3), "the next call")).toBe(5);
    // The walk's own limit is no limit on what may be sent: plain deep data crosses.
    let plain: unknown = {};
    for (let i = 0; i < 80; i++) plain = { next: plain };
    expect(await within(ex.submit(depthOf, plain), "plain nested data")).toBe(80);
  });

  it("among many queued calls (which a busy pool may batch), only the refused one fails", async () => {
    const ex = pool(2);
    const bad = deepArgument(80);
    const many = range(30).map((i) => ex.submit((v: unknown) => (typeof v === "number" ? v : -1), i === 11 ? bad : i));
    const outcomes = await within(Promise.all(many.map((f) => f.exception())), "queued calls");
    expect(outcomes.map((e) => e instanceof TypeError)).toEqual(range(30).map((i) => i === 11));
    expect((outcomes[11] as Error).message).toMatch(/argument 1 \(args\[0\]/);
    expect(await Promise.all(many.filter((_, i) => i !== 11))).toEqual(range(30).filter((i) => i !== 11));
    expect(await within(ex.submit(add, 1, 1), "a later call")).toBe(2);
  });

  it("in a map chunk, only the refused argument's call fails (at its index); the chunk's other calls are sent again", async () => {
    const ex = pool(2);
    await within(ex.submit(add, 0, 0), "warm-up");
    const sent = recordMessages(ex);
    const bad = deepArgument(80);
    const inputs: unknown[] = range(300).map((i) => (i === 150 ? bad : i));
    const { seen, error } = await readUntilRaised<unknown>(ex.map((v: unknown) => (typeof v === "number" ? v * 2 : -1), inputs));
    expect(seen).toEqual(range(150).map((i) => i * 2));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(new RegExp(`^map\\(fn, \\.\\.\\.iterables\\): argument 1 \\(args\\[0\\]\\.next.*cannot be sent to a ${kind}`));
    // The refused message held the bad argument among others; the very next message of that chunk holds the others.
    const refused = sent.findIndex((message) => message.calls.some((call) => call.args[0] === bad));
    const others = sent[refused]!.calls.filter((call) => call.args[0] !== bad).map((call) => call.args[0]);
    expect(others.length).toBeGreaterThan(0);
    const again = sent.slice(refused + 1).find((message) => message.calls[0]!.args[0] === others[0]);
    expect(again?.calls.map((call) => call.args[0])).toEqual(others);
    expect(await within(ex.submit(add, 1, 1), "a later call")).toBe(2);
  });

  it("a task returning a function fails its own future with a TypeError about the result; the next call works", async () => {
    const ex = pool();
    const error = (await within(ex.submit(returnsFunction).exception(), "unsendable result")) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(
      new RegExp(`^the result of task returnsFunction \\(pool-tasks\\.ts\\) cannot be sent back from a ${kind} \\(return value: a function\\)`),
    );
    expect(error.message).toMatch(/return plain data/);
    expect(await within(ex.submit(add, 1, 2), "the next call")).toBe(3);
  });

  it.each([
    ["a function", deepFunction],
    ["a symbol", deepSymbol],
  ] as const)("a result with %s nested past the bounded check fails its own future; the pool lives on", async (_what, fn) => {
    const ex = pool();
    const error = (await within(ex.submit(fn, 80).exception(), "deep unsendable result")) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(BrokenExecutor);
    expect(error.message).toMatch(new RegExp(`^the result of task ${fn.name} \\(pool-exits\\.ts\\) cannot be sent back from a ${kind}`));
    expect(await within(ex.submit(add, 2, 2), "the next call")).toBe(4);
    expect(await within(ex.submit(fn, 3).exception(), "a shallow one, caught by the walk")).toBeInstanceOf(TypeError);
  });
});

describe("a worker thread pool and its transfer list", () => {
  it("a transfer list postMessage refuses fails that call with a TypeError; the pool lives on", async () => {
    const ex = new InterpreterPoolExecutor({ maxWorkers: 1 });
    made.push(ex);
    const future = ex.submitWith({ transferList: [{} as ArrayBuffer] }, add, 1, 2);
    const error = (await within(future.exception(), "refused transfer list")) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^submitWith\(options, fn, \.\.\.args\): the call could not be sent to a worker thread: .*transferList/);
    expect(await within(ex.submit(add, 3, 4), "the next call")).toBe(7);
  });
});
