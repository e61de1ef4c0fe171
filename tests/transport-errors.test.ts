/**
 * SPEC §1.2: an error thrown on a worker thread or in a child process arrives
 * with its built-in class (or an Error named after its user class), message,
 * stack, code, own properties, cause chain and AggregateError members.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { deserializeError, serializeError } from "../src/executors/transport/errors.js";
import type { SerializedError } from "../src/executors/transport/types.js";

const FIXTURE = new URL("./fixtures/transport-errors-worker.mjs", import.meta.url);

const crossings = [
  ["structuredClone", (value: unknown) => deserializeError(structuredClone(serializeError(value)))],
  ["v8.serialize", (value: unknown) => deserializeError(v8.deserialize(v8.serialize(serializeError(value))))],
] as const;

/** What arrived must be an Error of `ctor` carrying `original`'s name, message, stack and own props. */
function expectRebuilt(arrived: unknown, original: Error, ctor: ErrorConstructor | typeof AggregateError = Error): Error {
  expect(arrived).toBeInstanceOf(ctor);
  const error = arrived as Error;
  expect(error.constructor).toBe(ctor);
  expect(error.name).toBe(original.name);
  expect(error.message).toBe(original.message);
  expect(error.stack).toBe(original.stack);
  expect(Object.keys(error).sort()).toEqual(Object.keys(original).sort());
  for (const key of Object.keys(original)) {
    expect((error as unknown as Record<string, unknown>)[key]).toEqual((original as unknown as Record<string, unknown>)[key]);
  }
  return error;
}

class ValidationError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

describe.each(crossings)("errors through %s", (_label, cross) => {
  it.each([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((C) => [C.name, C] as const))(
    "a %s keeps its class, name, message, stack, code and own properties",
    (_name, Ctor) => {
      const original = Object.assign(new Ctor("went wrong"), { code: "E_CODE", detail: { attempts: [1, 2] } });
      expectRebuilt(cross(original), original, Ctor);
    },
  );

  it("an AggregateError keeps its errors, rebuilt", () => {
    const inner = Object.assign(new RangeError("inner"), { code: "E_INNER" });
    const original = new AggregateError([inner, "not an error", 7], "several failed");
    const arrived = expectRebuilt(cross(original), original, AggregateError) as AggregateError;
    expect(arrived.errors).toHaveLength(3);
    expectRebuilt(arrived.errors[0], inner, RangeError);
    expect((arrived.errors[0] as { code: string }).code).toBe("E_INNER");
    expect(arrived.errors.slice(1)).toEqual(["not an error", 7]);
  });

  it("carries the cause chain recursively, error → error → string", () => {
    const middle = Object.assign(new TypeError("middle", { cause: "root cause" }), { code: "E_MIDDLE" });
    const original = new Error("outer", { cause: middle });
    const arrived = expectRebuilt(cross(original), original);
    expect(Object.getOwnPropertyDescriptor(arrived, "cause")?.enumerable).toBe(false);
    const cause = expectRebuilt(arrived.cause, middle, TypeError);
    expect(cause.cause).toBe("root cause");
  });

  it("keeps an explicit undefined cause, and adds none where there was none", () => {
    expect(Object.hasOwn(cross(new Error("x", { cause: undefined })) as Error, "cause")).toBe(true);
    expect(Object.hasOwn(cross(new Error("x")) as Error, "cause")).toBe(false);
  });

  it("a user class arrives as an Error named after the class, with its fields", () => {
    const original = new ValidationError("bad input", "email");
    const arrived = cross(original) as Error & { field: string };
    expect(arrived.constructor).toBe(Error);
    expect(arrived.name).toBe("ValidationError");
    expect(arrived.message).toBe("bad input");
    expect(arrived.field).toBe("email");
    expect(arrived.stack).toBe(original.stack);
  });

  it("a user class keeps the name it set itself, and its nearest built-in ancestor", () => {
    class HttpError extends TypeError {
      override name = "HttpFailure";
      get code(): string {
        return "E_HTTP";
      }
    }
    const arrived = cross(new HttpError("404")) as TypeError & { code: string };
    expect(arrived).toBeInstanceOf(TypeError);
    expect(arrived.name).toBe("HttpFailure");
    expect(arrived.code).toBe("E_HTTP");
  });

  it("a DOMException (AbortError) keeps its name, message and code", () => {
    const original = AbortSignal.abort().reason as DOMException;
    const arrived = cross(original) as DOMException;
    expect(arrived).toBeInstanceOf(DOMException);
    expect(arrived).toBeInstanceOf(Error);
    expect([arrived.name, arrived.message, arrived.code]).toEqual(["AbortError", original.message, 20]);
    expect(arrived.stack).toBe(original.stack);
  });

  it("a Node system error keeps errno, code, syscall and path", () => {
    let original: Error | undefined;
    try {
      fs.readFileSync("/nonexistent/unirun");
    } catch (error) {
      original = error as Error;
    }
    const arrived = expectRebuilt(cross(original), original!) as NodeJS.ErrnoException;
    expect(arrived.code).toBe("ENOENT");
    expect(arrived.syscall).toBe("open");
  });

  it("a Node internal error keeps its class and code", () => {
    let original: Error | undefined;
    try {
      new URL("not a url");
    } catch (error) {
      original = error as Error;
    }
    const arrived = cross(original) as TypeError & { code: string };
    expect(arrived.constructor).toBe(TypeError);
    expect(arrived.code).toBe("ERR_INVALID_URL");
    expect(arrived.stack).toBe(original!.stack);
  });

  it("an error from another realm (vm) is rebuilt with this realm's class", () => {
    const original = vm.runInNewContext("const e = new RangeError('far'); e.code = 'E_FAR'; e") as Error;
    const arrived = cross(original) as RangeError & { code: string };
    expect(arrived).toBeInstanceOf(RangeError);
    expect([arrived.message, arrived.code, arrived.stack]).toEqual(["far", "E_FAR", original.stack]);
  });

  it("an error among the properties is rebuilt too", () => {
    const original = Object.assign(new Error("outer"), { previous: Object.assign(new SyntaxError("old"), { code: "E_OLD" }) });
    const arrived = cross(original) as Error & { previous: SyntaxError & { code: string } };
    expect(arrived.previous).toBeInstanceOf(SyntaxError);
    expect(arrived.previous.code).toBe("E_OLD");
  });

  it.each([["a string", "boom"], ["a number", 42], ["a plain object", { reason: "nope", list: [1, 2] }], ["undefined", undefined], ["null", null]])(
    "a thrown non-error (%s) arrives as itself",
    (_kind, value) => {
      expect(cross(value)).toEqual(value);
    },
  );

  it("a thrown value that cannot be cloned arrives as an Error describing it", () => {
    const arrived = cross(function handler() {}) as Error;
    expect(arrived).toBeInstanceOf(Error);
    expect(arrived.message).toMatch(/cannot be sent back.*function handler/);
    expect(cross(Symbol("s"))).toBeInstanceOf(Error);
  });

  it("a property that cannot be cloned becomes a short description; the rest arrives", () => {
    const original = Object.assign(new Error("with handles"), { code: "E_H", onDone: () => 1, cache: new WeakMap(), ok: 1 });
    const arrived = cross(original) as Error & Record<string, unknown>;
    expect(arrived.code).toBe("E_H");
    expect(arrived.ok).toBe(1);
    expect(arrived.onDone).toMatch(/function onDone.*cannot be cloned/);
    expect(arrived.cache).toMatch(/WeakMap.*cannot be cloned/);
  });

  it("a non-cloneable cause value becomes a description", () => {
    expect((cross(new Error("x", { cause: () => 1 })) as Error).cause).toMatch(/cannot be cloned/);
  });

  it("a throwing getter does not break serialization", () => {
    const original = new Error("getter");
    // V8 formats the stack on first read, reading `message`: read it before that getter exists.
    const stack = original.stack;
    Object.defineProperty(original, "secret", {
      enumerable: true,
      get() {
        throw new Error("no access");
      },
    });
    Object.defineProperty(original, "message", {
      get() {
        throw new Error("no message either");
      },
    });
    const arrived = cross(original) as Error & { secret: string };
    expect(arrived.secret).toMatch(/reading secret threw.*no access/);
    expect(arrived.message).toBe("");
    expect(arrived.stack).toBe(stack);
  });

  it("a Proxy whose every trap throws still serializes", () => {
    const hostile = new Proxy(new Error("hidden"), {
      get() {
        throw new Error("trap");
      },
      ownKeys() {
        throw new Error("trap");
      },
      getOwnPropertyDescriptor() {
        throw new Error("trap");
      },
      getPrototypeOf() {
        throw new Error("trap");
      },
    });
    expect(cross(hostile)).toBeInstanceOf(Error);
  });

  it("a cyclic cause chain ends in a description instead of hanging", () => {
    const first = new Error("first");
    const second = new TypeError("second", { cause: first });
    first.cause = second;
    const arrived = cross(first) as Error;
    expect(arrived.cause).toBeInstanceOf(TypeError);
    expect((arrived.cause as Error).cause).toBe("[circular reference to Error: first]");
    const self = new Error("self");
    self.cause = self;
    expect((cross(self) as Error).cause).toMatch(/circular/);
  });

  it("a cause chain deeper than 32 is cut, not followed", () => {
    let error = new Error("level 0");
    for (let level = 1; level <= 100; level++) error = new Error(`level ${level}`, { cause: error });
    let arrived = cross(error) as Error;
    let depth = 0;
    while (arrived.cause instanceof Error) {
      arrived = arrived.cause;
      depth++;
    }
    expect(depth).toBe(31);
    expect(arrived.cause).toMatch(/level 68.*deeper than 32/);
  });
});

describe("serializeError / deserializeError", () => {
  it("the record holds only plain data", () => {
    const record = serializeError(Object.assign(new TypeError("t"), { code: "E" })) as SerializedError;
    expect(record).toMatchObject({ $unirunError: 1, ctor: "TypeError", name: "TypeError", message: "t", props: { code: "E" } });
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });

  it("a __proto__ own property crosses as data and does not change the prototype", () => {
    const original = new Error("proto");
    Object.defineProperty(original, "__proto__", { value: { polluted: true }, enumerable: true });
    const arrived = deserializeError(structuredClone(serializeError(original))) as Error;
    expect(Object.getPrototypeOf(arrived)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(arrived, "__proto__")?.value).toEqual({ polluted: true });
  });

  it("deserializeError leaves anything else alone", () => {
    const value = { some: "data" };
    expect(deserializeError(value)).toBe(value);
    expect(deserializeError("text")).toBe("text");
  });
});

/**
 * The real boundary. The fixture throws errors in a worker thread (then in a
 * child process) and serializes them there with the real `serializeError`,
 * loaded from source through tsx; the message crosses by the transport's own
 * serializer (postMessage's structured clone / the advanced IPC serializer)
 * and is rebuilt here. So classes, stacks and prototypes are genuinely
 * another realm's, and nothing on either side is a copy of the logic.
 */
describe.each([
  ["worker thread", () => new Worker(FIXTURE)],
  ["child process", () => fork(FIXTURE, { serialization: "advanced", stdio: "inherit" })],
])("errors thrown in a real %s", (_label, start) => {
  async function receive(): Promise<{ serialized: Record<string, unknown>; raw: Error }> {
    const peer = start();
    const timer = setTimeout(() => peer.emit("error", new Error("no message from the fixture within 15 s")), 15_000);
    try {
      const [message] = await once(peer, "message");
      return message;
    } finally {
      clearTimeout(timer);
      // Both exit by themselves once the message is out; this only matters when the fixture got stuck.
      if (peer instanceof Worker) void peer.terminate();
      else peer.kill();
    }
  }

  it("arrive with class, name, message, stack, code, props, cause and errors", async () => {
    const { serialized, raw } = await receive();
    // Why this module exists: the transport's own serializer drops `code`.
    expect(raw.message).toBe("raw");
    expect((raw as Error & { code?: string }).code).toBeUndefined();

    const got = Object.fromEntries(Object.entries(serialized).map(([label, value]) => [label, deserializeError(value)])) as Record<string, any>;
    for (const ctor of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) {
      expect(got[ctor.name].constructor).toBe(ctor);
      expect(got[ctor.name].name).toBe(ctor.name);
      expect(got[ctor.name].stack).toMatch(/transport-errors-worker\.mjs/);
    }
    expect(got.Error.code).toBe("E_PLAIN");
    expect(got.EvalError.code).toBe("E_EVAL");
    expect(got.ReferenceError.message).toMatch(/undefinedVariable/);
    expect(got.AggregateError).toBeInstanceOf(AggregateError);
    expect(got.AggregateError.errors[0]).toBeInstanceOf(RangeError);
    expect(got.AggregateError.errors[0].code).toBe("E_INNER");
    expect(got.AggregateError.errors[1]).toBe("loose");
    expect([got.ValidationError.constructor, got.ValidationError.name, got.ValidationError.field]).toEqual([Error, "ValidationError", "email"]);
    expect(got.causeChain.cause).toBeInstanceOf(TypeError);
    expect(got.causeChain.cause.cause).toBe("root");
    expect(got.AbortError).toBeInstanceOf(DOMException);
    expect([got.AbortError.name, got.AbortError.code]).toEqual(["AbortError", 20]);
    expect([got.systemError.code, got.systemError.syscall, got.systemError.errno]).toEqual(["ENOENT", "open", -2]);
    expect([got.nodeError.constructor, got.nodeError.code]).toEqual([TypeError, "ERR_INVALID_URL"]);
    expect(got.cyclic.cause.cause).toMatch(/circular reference to Error: cyclic/);
    expect([got.string, got.number, got.object]).toEqual(["a string", 42, { reason: "plain object" }]);
  });
});
