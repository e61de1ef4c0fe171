/**
 * `checkResult` (transport/runner.ts): whether a task's result can cross back
 * to the caller, and the TypeError that says so — naming the result (not an
 * "argument"), the task, where inside the result the culprit sits, and what
 * to return instead.
 */
import { describe, expect, it } from "vitest";
import type { Transport } from "../src/executors/transport/arguments.js";
import { checkResult } from "../src/executors/transport/runner.js";
import type { CallSpec } from "../src/executors/transport/types.js";

const REF: CallSpec = { kind: "ref", url: "file:///app/tasks/fib.ts", name: "fib" };
const NAMED: CallSpec = { kind: "source", source: "function summarize(rows) { return rows; }" };
const ARROW: CallSpec = { kind: "source", source: "(rows) => rows" };
const transports: Transport[] = ["thread", "process"];
const from = { thread: "a worker thread", process: "a child process" } as const;

/** `{ next: { next: ... leaf } }`, `depth` levels down: past the bounded walk at 80. */
function nested(depth: number, leaf: unknown): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

describe.each(transports)("checkResult for a %s", (transport) => {
  it.each([
    ["a number", 42],
    ["undefined", undefined],
    ["plain data", { rows: [1, 2, 3], when: new Date(0), tags: new Set(["a"]), bytes: new Uint8Array(4) }],
    ["an Error", new RangeError("kept")],
    ["plain data nested past the bounded walk", nested(80, { ok: true })],
  ])("accepts %s", (_what, value) => {
    expect(checkResult(value, REF, transport)).toBeNull();
  });

  it("refuses a function with a TypeError about the result of the task, not an argument", () => {
    const error = checkResult(() => 1, REF, transport)!;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      `the result of task fib (fib.ts) cannot be sent back from ${from[transport]} (return value: a function): ` +
        "functions cannot be cloned; return plain data (objects, arrays, strings, numbers, typed arrays) " +
        "and rebuild anything richer on the calling side",
    );
    expect(error.message).not.toMatch(/argument/);
  });

  it("names where inside the result the culprit sits, and the function that returned it", () => {
    const error = checkResult({ rows: [1, { onDone: () => 0 }] }, NAMED, transport)!;
    expect(error.message).toMatch(/^the result of function summarize cannot be sent back/);
    expect(error.message).toContain("(return value.rows[1].onDone: function onDone)");
    const symbol = checkResult(new Map([["k", Symbol("s")]]), ARROW, transport)!;
    expect(symbol.message).toMatch(/^the result of a self-contained function cannot be sent back/);
    expect(symbol.message).toContain("(return value[map entry 0]: a symbol): symbols are unique to the realm that made them;");
  });

  it("keeps the reason and drops the advice meant for arguments", () => {
    const error = checkResult({ signal: new AbortController().signal }, REF, transport)!;
    expect(error.message).toContain("(return value.signal: an AbortSignal): an AbortSignal cannot be sent; return plain data");
    expect(error.message).not.toMatch(/submitWith/);
  });
});

describe("past the bounded walk", () => {
  it("a worker thread asks the real serializer, and names the spot", () => {
    const error = checkResult(nested(80, { fn: () => 0 }), REF, "thread")!;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^the result of task fib \(fib\.ts\) cannot be sent back from a worker thread \(return value\.next.*\.fn: function fn\)/);
  });

  it("a child process leaves it to its own net around the send (child-entry.ts)", () => {
    expect(checkResult(nested(80, { fn: () => 0 }), REF, "process")).toBeNull();
  });

  it("a SharedArrayBuffer is refused only on its way to another process", () => {
    expect(checkResult(new SharedArrayBuffer(8), REF, "thread")).toBeNull();
    expect(checkResult(new SharedArrayBuffer(8), REF, "process")!.message).toMatch(/\(return value: a SharedArrayBuffer\): shared memory/);
  });
});
