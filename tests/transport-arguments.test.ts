/**
 * SPEC §1.1: an argument that cannot cross to a worker thread (structured
 * clone) or a child process (`v8.serialize`) fails with a TypeError naming its
 * position, before anything is sent — and checking does not copy the data.
 */
import { ChildProcess } from "node:child_process";
import net from "node:net";
import { PassThrough } from "node:stream";
import v8 from "node:v8";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkArguments, cloneFailureMessage, type Transport } from "../src/executors/transport/arguments.js";

const CALLER = "submit(fn, ...args)";
const transports: Transport[] = ["thread", "process"];
const destination = { thread: "a worker thread", process: "a child process" } as const;

/** The error `checkArguments` throws for `args`, or undefined when it accepts them. */
function rejection(args: unknown[], transport: Transport): TypeError | undefined {
  try {
    checkArguments(args, CALLER, transport);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError;
  }
}

/** Whether the transport's real serializer takes the value. */
function reallyCrosses(value: unknown, transport: Transport): boolean {
  try {
    if (transport === "thread") structuredClone(value);
    else v8.serialize(value);
    return true;
  } catch {
    return false;
  }
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

class WithCallback {
  onDone = (): void => {};
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(transports)("checkArguments for a %s", (transport) => {
  const rejected: Array<[string, () => unknown, RegExp]> = [
    ["a function", () => function work() {}, /function work\) .*functions cannot be cloned/],
    ["an arrow function", () => () => 1, /a function\) .*functions cannot be cloned/],
    ["a symbol", () => Symbol("s"), /a symbol\) .*send a string/],
    ["a WeakMap", () => new WeakMap(), /a WeakMap\) .*weak references/],
    ["a WeakSet", () => new WeakSet(), /a WeakSet\) .*weak references/],
    ["a WeakRef", () => new WeakRef({}), /a WeakRef\) .*weak references/],
    ["a Promise", () => Promise.resolve(1), /a Promise\) .*await it first/],
    ["a Proxy", () => new Proxy({}, {}), /a Proxy\) .*proxies cannot be cloned/],
    ["a socket", () => new net.Socket(), /a Socket\) .*live state/],
    ["a child process", () => new ChildProcess(), /a ChildProcess\) .*live state/],
    ["a stream", () => new PassThrough(), /a PassThrough\) .*live state/],
    ["an AbortSignal", () => new AbortController().signal, /an AbortSignal\) .*submitWith\(\{ signal \}\)/],
    ["a class instance holding a function", () => new WithCallback(), /a WithCallback\) .*could not be cloned/],
  ];

  it.each(rejected)("rejects %s, naming its position", (_kind, make, reason) => {
    const value = make();
    const error = rejection([1, value, 3], transport);
    expect(error?.message).toMatch(new RegExp(`^submit\\(fn, \\.\\.\\.args\\): argument 2 \\(args\\[1\\]: `));
    expect(error?.message).toContain(`cannot be sent to ${destination[transport]}`);
    expect(error?.message).toMatch(reason);
    if (value instanceof net.Socket || value instanceof PassThrough) value.destroy();
  });

  it("names the path to a value nested inside an argument", () => {
    const fn = [(): void => {}][0];
    expect(rejection(["x", { a: { "b-c": [0, fn] } }], transport)?.message).toMatch(/argument 2 \(args\[1\]\.a\["b-c"\]\[1\]: a function\)/);
    expect(rejection([new Map([["k", fn]])], transport)?.message).toMatch(/argument 1 \(args\[0\]\[map entry 0\]: a function\)/);
    expect(rejection([new Set([1, Symbol()])], transport)?.message).toMatch(/args\[0\]\[set entry 1\]: a symbol/);
  });

  it("rejects a getter that throws, as the serializer would", () => {
    const value = {
      get broken(): never {
        throw new Error("no");
      },
    };
    expect(rejection([value], transport)?.message).toMatch(/args\[0\]\.broken: a property getter\) .*threw no/);
  });

  const accepted: Array<[string, unknown]> = [
    ["numbers, strings, booleans, bigint, null, undefined", [1, "s", true, 10n, null, undefined, NaN]],
    ["nested plain data", { a: [1, { b: "c", d: [null, { e: 2 }] }], f: {} }],
    ["a null-prototype object", Object.assign(Object.create(null), { a: 1 })],
    ["a cyclic object", (() => { const o: Record<string, unknown> = { a: 1 }; o.self = o; return o; })()],
    ["a Map and a Set", [new Map<unknown, unknown>([["a", 1], [{ k: 1 }, [2]]]), new Set([1, "2", { three: 3 }])]],
    ["a Date and a RegExp", [new Date(0), /ab+c/gi]],
    ["typed arrays, a DataView, a Buffer and an ArrayBuffer", [new Float64Array(4), new DataView(new ArrayBuffer(2)), Buffer.from("hi"), new ArrayBuffer(8)]],
    ["boxed primitives", [Object(1), Object("s"), Object(false)]],
    ["errors", [new Error("e"), new TypeError("t", { cause: "c" })]],
    ["class instances with plain data", [new Point(1, 2), [new Point(3, 4)]]],
  ];

  it.each(accepted)("accepts %s (and so does the real serializer)", (_kind, value) => {
    expect(rejection([value], transport)).toBeUndefined();
    expect(reallyCrosses(value, transport)).toBe(true);
  });

  it("does not copy plain data to check it: a 1e6-element array costs no serialization", () => {
    const clone = vi.spyOn(globalThis, "structuredClone");
    const serialize = vi.spyOn(v8, "serialize");
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    checkArguments([big, { nested: [big.slice(0, 1000), new Float64Array(1000)] }, new Map([[1, "a"]])], CALLER, transport);
    expect(clone).not.toHaveBeenCalled();
    expect(serialize).not.toHaveBeenCalled();
  });

  it("serializes only the one value it cannot classify, not the argument holding it", () => {
    const clone = vi.spyOn(globalThis, "structuredClone");
    const serialize = vi.spyOn(v8, "serialize");
    const point = new Point(1, 2);
    checkArguments([{ data: Array.from({ length: 1000 }, (_, i) => i), point }], CALLER, transport);
    const spy = transport === "thread" ? clone : serialize;
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[0]).toBe(point);
  });

  it("agrees with the real serializer on arbitrary plain data", () => {
    fc.assert(
      fc.property(fc.array(fc.anything({ withMap: true, withSet: true, withDate: true, withTypedArray: true, withNullPrototype: true, withBigInt: true })), (args) => {
        expect(rejection(args, transport)).toBeUndefined();
        expect(args.every((value) => reallyCrosses(value, transport))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("finds a function hidden anywhere in arbitrary plain data", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 4 }), fc.nat(), (args, at) => {
        const index = at % args.length;
        const hidden = { deep: [args[index], () => 1] };
        const withFunction = args.map((value, i) => (i === index ? hidden : value));
        expect(rejection(withFunction, transport)?.message).toContain(`argument ${index + 1} (args[${index}].deep[1]: a function)`);
      }),
      { numRuns: 100 },
    );
  });
});

describe("checkArguments: thread and process differ", () => {
  it("rejects shared memory for a child process, saying why, and accepts it for a thread", () => {
    const shared = new SharedArrayBuffer(16);
    for (const value of [shared, new Int32Array(shared)]) {
      expect(rejection([value], "thread")).toBeUndefined();
      expect(rejection([value], "process")?.message).toMatch(/cannot be sent to a child process: shared memory cannot be shared with a child process.*use worker threads/);
    }
  });

  it("leaves a MessagePort to a thread's transfer list, and rejects it for a process", () => {
    const { port1, port2 } = new MessageChannel();
    try {
      expect(rejection([port1], "thread")).toBeUndefined();
      expect(rejection([port1], "process")?.message).toMatch(/a MessagePort\) .*cannot leave their process/);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it("asks the transport's own serializer about unknown classes (a Blob clones, but not through v8)", () => {
    const blob = new Blob(["data"]);
    expect(rejection([blob], "thread")).toBeUndefined();
    expect(rejection([blob], "process")?.message).toMatch(/a Blob\) cannot be sent to a child process: Unserializable host object/);
  });
});

describe("cloneFailureMessage", () => {
  it("turns a real postMessage DataCloneError into the positional TypeError", () => {
    const { port1, port2 } = new MessageChannel();
    const args = [1, { callback: () => 2 }];
    let failure: unknown;
    try {
      port1.postMessage(args);
    } catch (error) {
      failure = error;
    } finally {
      port1.close();
      port2.close();
    }
    expect(failure).toBeInstanceOf(DOMException);
    const error = cloneFailureMessage(failure, args, CALLER);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^submit\(fn, \.\.\.args\): argument 2 \(args\[1\]\.callback: function callback\) cannot be sent to a worker thread/);
    expect(error.cause).toBe(failure);
  });

  it("turns a v8.serialize failure into the positional TypeError for a child process", () => {
    const args = ["ok", new Blob(["x"])];
    let failure: unknown;
    try {
      v8.serialize(args);
    } catch (error) {
      failure = error;
    }
    const error = cloneFailureMessage(failure, args, "map(fn, ...iterables)");
    expect(error.message).toMatch(/^map\(fn, \.\.\.iterables\): argument 2 \(args\[1\]: a Blob\) cannot be sent to a child process: Unserializable host object/);
  });

  it("is the safety net past the walk's bound: a function at index 999999 of a huge array", () => {
    const big: unknown[] = Array.from({ length: 1_000_000 }, (_, i) => i);
    big[999_999] = () => 1;
    // Beyond MAX_NODES the walk trusts the data rather than copying it...
    expect(rejection([big], "thread")).toBeUndefined();
    // ...and the real send's failure still names the spot.
    let failure: unknown;
    try {
      structuredClone([big]);
    } catch (error) {
      failure = error;
    }
    expect(cloneFailureMessage(failure, [big], CALLER, "thread").message).toMatch(/argument 1 \(args\[0\]\[999999\]: a function\)/);
  });

  it("says so when no single argument is to blame", () => {
    const error = cloneFailureMessage(new Error("envelope broke"), [1, "two"], CALLER, "process");
    expect(error.message).toBe("submit(fn, ...args): the call could not be sent to a child process: envelope broke");
  });
});
