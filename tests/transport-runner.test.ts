/**
 * The compact transport (SPEC §1.1, §2): call specs memoized per function,
 * requests columnar (each function once per message), replies compact, the
 * worker side synchronous when nothing must be awaited, and a child process
 * told each function once, then only its number. Everything here is
 * structural: shapes and identities, never timings.
 */
import { describe, expect, it } from "vitest";
import { runMessage } from "../src/executors/child-backend.js";
import { toCallSpec } from "../src/executors/transport/call-spec.js";
import { callsOf, handleRequest, type WorkerConfig, type WorkerReply } from "../src/executors/transport/runner.js";
import { task } from "../src/executors/transport/task.js";
import type { CallSpec } from "../src/executors/transport/types.js";
import type * as MathModule from "./fixtures/task-math.js";

const MATH = new URL("./fixtures/task-math.ts", import.meta.url);
const config: WorkerConfig = { transport: "thread", initializer: null, initargs: [] };
const double = (x: number): number => x * 2;

describe("toCallSpec memoizes", () => {
  it("one frozen spec per task reference, shared by references to the same export", () => {
    const fib = task<typeof MathModule, "fib">(MATH, "fib");
    const spec = toCallSpec(fib, "submit(fn, ...args)");
    expect(spec).toEqual({ kind: "ref", url: MATH.href, name: "fib" });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(toCallSpec(fib, "submit(fn, ...args)")).toBe(spec);
    expect(toCallSpec(task<typeof MathModule, "fib">(MATH, "fib"), "map(fn, ...iterables)")).toBe(spec);
    expect(toCallSpec(task<typeof MathModule, "add">(MATH, "add"), "submit(fn, ...args)")).not.toBe(spec);
  });

  it("one spec per function source, even for a new function object on every turn of a loop", () => {
    const specs = [1, 2, 3].map(() => toCallSpec((x: number) => x + 1, "submit(fn, ...args)"));
    expect(specs[0]).toMatchObject({ kind: "source" });
    expect(new Set(specs).size).toBe(1);
    expect(toCallSpec(double, "submit(fn, ...args)")).toBe(toCallSpec(double, "submit(fn, ...args)"));
  });

  it("still refuses a closure every time, naming the caller", () => {
    const base = 3;
    const closure = (x: number): number => x + base;
    expect(() => toCallSpec(closure, "submit(fn, ...args)")).toThrow(/submit\(fn, \.\.\.args\).*base/s);
    expect(() => toCallSpec(closure, "map(fn, ...iterables)")).toThrow(/map\(fn, \.\.\.iterables\).*base/s);
  });
});

describe("handleRequest (the worker side)", () => {
  const source = (fn: Function): CallSpec => toCallSpec(fn, "submit(fn, ...args)");

  it("answers synchronously, with a compact reply, when every call returns a plain value", () => {
    const reply = handleRequest([[source(double)], 0, [[1], [2], [3]]], config);
    expect(reply).not.toBeInstanceOf(Promise);
    const [values, failed, ms] = reply as Exclude<WorkerReply, { initFailed: unknown }>;
    expect(values).toEqual([2, 4, 6]);
    expect(failed).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(0);
  });

  it("a failure inside a batch fails only its own item; several functions share one message", async () => {
    const half = (x: number): number => {
      if (x % 2) throw new RangeError(`odd ${x}`);
      return x / 2;
    };
    const later = async (x: number): Promise<number> => x + 100;
    const request = [[source(double), source(half), source(later)], [0, 1, 1, 2, 1], [[1], [2], [3], [4], [5]]] as const;
    const reply = await handleRequest(request as never, config);
    const [values, failed] = reply as Exclude<WorkerReply, { initFailed: unknown }>;
    expect(failed).toEqual([2, 4]);
    expect(values.slice(0, 2)).toEqual([2, 1]);
    expect(values[3]).toBe(104);
    expect(values[2]).toMatchObject({ $unirunError: 1, ctor: "RangeError", message: "odd 3" });
    expect(callsOf(request as never).map((call) => call.args[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it("a missing export fails each of its calls with the error naming module and export", async () => {
    const missing: CallSpec = { kind: "ref", url: MATH.href, name: "nope" };
    const reply = await handleRequest([[missing, source(double)], [0, 1, 0], [[1], [2], [3]]], config);
    const [values, failed] = reply as Exclude<WorkerReply, { initFailed: unknown }>;
    expect(failed).toEqual([0, 2]);
    expect(values[1]).toBe(4);
    expect((values[0] as { message: string }).message).toMatch(/has no export "nope"/);
  });

  it("a task reference, once its module is loaded, is answered without waiting", async () => {
    const add: CallSpec = { kind: "ref", url: MATH.href, name: "add" };
    await handleRequest([[add], 0, [[1, 1]]], config);
    const reply = handleRequest([[add], 0, [[2, 3]]], config);
    expect(reply).not.toBeInstanceOf(Promise);
    expect((reply as Exclude<WorkerReply, { initFailed: unknown }>)[0]).toEqual([5]);
  });
});

describe("runMessage (the child-process wire)", () => {
  const a = toCallSpec(double, "submit(fn, ...args)");
  const b = toCallSpec(task<typeof MathModule, "add">(MATH, "add"), "submit(fn, ...args)");

  it("sends each function to a child once, then only its number", () => {
    const child = { known: new Map<CallSpec, number>(), nextId: 0 };
    expect(runMessage(child, [[a], 0, [[1]]])).toEqual([[0], 0, [[1]], [[0, a]]]);
    expect(runMessage(child, [[a], 0, [[2]]])).toEqual([[0], 0, [[2]], 0]);
    expect(runMessage(child, [[b, a], [0, 1], [[1, 2], [3]]])).toEqual([[1, 0], [0, 1], [[1, 2], [3]], [[1, b]]]);
  });

  it("keeps a bounded set per child, and never reuses a number within one message", () => {
    const child = { known: new Map<CallSpec, number>(), nextId: 0 };
    const many = Array.from({ length: 1_500 }, (_, i): CallSpec => ({ kind: "source", source: `(x) => x + ${i}` }));
    for (const spec of many.slice(0, 1_020)) runMessage(child, [[spec], 0, [[0]]]);
    const fns = many.slice(1_020, 1_030);
    const [ids, , , defs] = runMessage(child, [fns, fns.map((_, i) => i), fns.map(() => [0])]);
    expect(new Set(ids).size).toBe(10);
    expect(defs).toHaveLength(10);
    expect(child.known.size).toBe(10);
    expect(Math.max(...ids)).toBeLessThan(1_024);
  });
});
