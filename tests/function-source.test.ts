/**
 * Self-contained functions (SPEC §1.1): what crosses by source, what is
 * refused and how the refusal reads.
 */
import { readFile } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { evaluateFunctionSource, functionSource } from "../src/executors/transport/function-source.js";
import { root, runNode } from "./run-node.js";

/** The function a worker would rebuild from `fn`. */
function roundTrip<F extends Function>(fn: F): F {
  return evaluateFunctionSource(functionSource(fn)) as F;
}

/** A function compiled from text, as a bundler or another module would have emitted it. */
function compiled(text: string): Function {
  return new Function(`return (${text})`)() as Function;
}

function rejection(fn: Function, caller?: string): string {
  try {
    functionSource(fn, caller);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error("functionSource accepted the function");
}

describe("accepted shapes round-trip", () => {
  it("function declarations, expressions and arrows", () => {
    function add(a: number, b: number) {
      return a + b;
    }
    const twice = function (x: number) {
      return 2 * x;
    };
    expect(roundTrip(add)(2, 3)).toBe(5);
    expect(roundTrip(twice)(21)).toBe(42);
    expect(roundTrip((x: number) => x * x)(7)).toBe(49);
    expect(roundTrip(() => ({ ok: true }))()).toEqual({ ok: true });
  });

  it("async functions, generators and async generators", async () => {
    const slowDouble = async (x: number) => {
      await null;
      return 2 * x;
    };
    function* range(n: number) {
      for (let i = 0; i < n; i++) yield i;
    }
    async function* countdown(n: number) {
      while (n > 0) yield n--;
    }
    expect(await roundTrip(slowDouble)(4)).toBe(8);
    expect([...roundTrip(range)(4)]).toEqual([0, 1, 2, 3]);
    const seen: number[] = [];
    for await (const n of roundTrip(countdown)(3)) seen.push(n);
    expect(seen).toEqual([3, 2, 1]);
  });

  it("object-method shorthand, wrapped so it evaluates", async () => {
    const methods = {
      double(x: number) {
        return 2 * x;
      },
      async later(x: number) {
        return x + 1;
      },
      *pair(x: number) {
        yield x;
        yield x;
      },
      async *stream(x: number) {
        yield x;
      },
      "kebab-case"(x: number) {
        return -x;
      },
    };
    expect(functionSource(methods.double)).toMatch(/^\(\{double\(x\)/);
    expect(roundTrip(methods.double)(5)).toBe(10);
    expect(roundTrip(methods.double).name).toBe("double");
    expect(await roundTrip(methods.later)(1)).toBe(2);
    expect([...roundTrip(methods.pair)(3)]).toEqual([3, 3]);
    const streamed: number[] = [];
    for await (const x of roundTrip(methods.stream)(9)) streamed.push(x);
    expect(streamed).toEqual([9]);
    expect(roundTrip(methods["kebab-case"])(4)).toBe(-4);
  });

  it("default parameters, destructuring, nested functions and recursion", () => {
    const withDefaults = (a: number, b = a * 10, { c = b + 1 } = {}) => [a, b, c];
    const destructure = ({ x, ...rest }: { x: number; y: number; z: number }, [first, , third]: number[]) =>
      ({ x, rest, first, third });
    function outer(n: number) {
      const square = (v: number) => v * v;
      function inner(v: number): number {
        return square(v) + 1;
      }
      return inner(n);
    }
    const fib = function fibonacci(n: number): number {
      return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
    };
    expect(roundTrip(withDefaults)(2)).toEqual([2, 20, 21]);
    expect(roundTrip(destructure)({ x: 1, y: 2, z: 3 }, [4, 5, 6])).toEqual({ x: 1, rest: { y: 2, z: 3 }, first: 4, third: 6 });
    expect(roundTrip(outer)(3)).toBe(10);
    expect(roundTrip(fib)(10)).toBe(55);
  });

  it("this, arguments, new.target, labels and local names are not free", () => {
    function count(this: unknown) {
      let total = 0;
      outer: for (const a of arguments as unknown as number[]) {
        for (;;) {
          total += a;
          if (total > 100) break outer;
          break;
        }
      }
      return [total, this === undefined, new.target === undefined];
    }
    expect((roundTrip(count) as (...args: number[]) => unknown)(1, 2, 3)).toEqual([6, true, true]);
  });

  it("__name-wrapped code as tsx/esbuild keepNames emits it", () => {
    // What esbuild emits with keepNames (tsx) for nested named functions.
    const tsxShaped = compiled(`function outer(n) {
      const inner = /* @__PURE__ */ __name((x) => x * 2, "inner");
      function deep() { return inner.name; }
      __name(deep, "deep");
      return [inner(n), deep()];
    }`);
    // compiled() has no __name in scope; the worker provides it.
    expect(() => (tsxShaped as (n: number) => unknown)(1)).toThrow(ReferenceError);
    expect(roundTrip(tsxShaped as (n: number) => unknown)(4)).toEqual([8, "inner"]);
  });

  it("globals of a fresh worker are accepted", async () => {
    const usesGlobals = async () => {
      const bytes = Buffer.from(JSON.stringify({ n: Math.max(1, 2) }));
      const copy = structuredClone({ url: new URL("https://example.org/a").pathname });
      await new Promise((resolve) => setTimeout(resolve, 0));
      const controller = new AbortController();
      return [
        bytes.toString(),
        copy.url,
        typeof process.pid,
        controller.signal.aborted,
        new TextDecoder().decode(new TextEncoder().encode("é")),
        typeof crypto.randomUUID(),
        typeof performance.now(),
        typeof fetch,
        typeof Blob,
        atob(btoa("hi")),
        typeof queueMicrotask,
        typeof setImmediate,
      ];
    };
    expect(await roundTrip(usesGlobals)()).toEqual([
      '{"n":2}', "/a", "number", false, "é", "string", "number", "function", "function", "hi", "function", "function",
    ]);
  });

  it("accepts Node's worker globals that the caller's types may not declare", () => {
    const names = ["WebAssembly", "BroadcastChannel", "MessageChannel", "Blob", "Intl", "SharedArrayBuffer", "Atomics", "global", "globalThis"];
    const probe = compiled(`() => [${names.map((n) => `typeof ${n}`).join(", ")}]`);
    expect(roundTrip(probe as () => string[])()).toEqual(names.map(() => expect.stringMatching(/^(object|function)$/)));
  });

  it("dynamic import() is syntax, and vitest's rewrite of it is undone", () => {
    const loadEol = async () => (await import("node:os")).EOL;
    const source = functionSource(loadEol);
    expect(source).toContain('import("node:os")');
    expect(source).not.toContain("__vite_ssr");
    // Calling it needs Node's dynamic-import hook, which vitest's module
    // runner does not give eval'd code: the worker test below calls one.
    expect(evaluateFunctionSource(source)).toBeTypeOf("function");
  });
});

describe("closures are rejected, naming what they capture", () => {
  it("names every captured identifier and shows the task-reference fix", () => {
    const factor = 3;
    const offset = 1;
    const scale = (x: number) => x * factor + offset + factor;
    const message = rejection(scale);
    expect(message).toMatch(/^submit\(fn\): fn captures `factor`, `offset` — /);
    expect(message).toContain("must be self-contained");
    expect(message).toContain('submit task(new URL("./tasks.js", import.meta.url), "scale")');
  });

  it("uses the caller's name for the call", () => {
    const limit = 10;
    expect(rejection((x: number) => x < limit, "map(fn)")).toMatch(/^map\(fn\): fn captures `limit`/);
  });

  it("names a binding vitest imported as the import, not by its mangled name", () => {
    const reads = (path: string) => readFile(path, () => {});
    expect(reads.toString()).toMatch(/__vite_ssr_import_\d+__|__vi_import_\d+__/);
    const message = rejection(reads);
    expect(message).toContain("captures `readFile` (imported)");
    expect(message).not.toMatch(/__vi/);
  });

  it("names an esbuild CJS import as the import, with its module", () => {
    const bundled = compiled(
      "(p) => (0, import_node_fs.readFile)(p) + import_node_os.default.EOL + import_tasks.fib(1) + import_node_http22.get + import_node_fs2.stat",
    );
    const message = rejection(bundled);
    expect(message).toContain(
      "captures `readFile` (imported from node:fs), a default import (imported from node:os), " +
        "`fib` (imported from a module bundled as import_tasks), `get` (imported from node:http2), `stat` (imported from node:fs)",
    );
  });

  it("rejects the test runner's globals and the caller's own globals", () => {
    (globalThis as Record<string, unknown>).programGlobal = 1;
    try {
      expect(rejection(compiled("() => expect(1).toBe(1)"))).toContain("captures `expect`");
      expect(rejection(compiled("() => { describe('x', () => vi.fn()) }"))).toContain("captures `describe`, `vi`");
      expect(rejection(compiled("() => programGlobal + 1"))).toContain("captures `programGlobal`");
      // vitest's own expect, imported in this file, is an import.
      expect(rejection(() => expect(1).toBe(1))).toContain("captures `expect` (imported)");
    } finally {
      delete (globalThis as Record<string, unknown>).programGlobal;
    }
  });

  it("treats CommonJS module scope as captured", () => {
    const message = rejection(compiled("() => require('node:fs').readFileSync(__filename) + module.id + __dirname + exports.x"));
    for (const name of ["require", "__filename", "module", "__dirname", "exports"]) expect(message).toContain(`\`${name}\``);
    expect(message).toContain("await import(...)");
  });

  it("reports import.meta as such", () => {
    const whereAmI = () => import.meta.url;
    expect(rejection(whereAmI)).toContain("captures `import.meta`");
  });
});

describe("functions that cannot cross by source", () => {
  it("rejects bound and built-in functions", () => {
    function plain() {
      return 1;
    }
    expect(rejection(plain.bind(null))).toMatch(/bound function; bound and built-in functions cannot be sent.*task reference/);
    expect(rejection(Math.max)).toMatch(/built-in function; bound and built-in functions cannot be sent.*task reference/);
    expect(rejection([].push)).toContain("bound and built-in functions cannot be sent");
  });

  it("rejects classes", () => {
    class Point {}
    expect(rejection(Point)).toContain("class constructors cannot be sent to a worker");
  });

  it("rejects getters, setters and computed method keys", () => {
    const key = "computed";
    const holder = {
      get value() {
        return 1;
      },
      set value(_v: number) {},
      [key](x: number) {
        return x;
      },
    };
    const descriptor = Object.getOwnPropertyDescriptor(holder, "value")!;
    expect(rejection(descriptor.get!)).toContain("getters and setters cannot be sent");
    expect(rejection(descriptor.set!)).toContain("getters and setters cannot be sent");
    expect(rejection(holder.computed)).toContain("computed key");
  });

  it("rejects source that does not evaluate alone: private names, sloppy-mode syntax", () => {
    class Child {
      #secret() {
        return 2;
      }
      viaPrivate() {
        return this.#secret();
      }
    }
    expect(rejection(Child.prototype.viaPrivate)).toContain("does not evaluate on its own");
    expect(rejection(Child.prototype.viaPrivate)).toContain("Private field '#secret' must be declared in an enclosing class");
    expect(rejection(compiled("function () { with (Math) return max(1, 2) }"))).toContain("'with' in strict mode");
  });

  it("rejects down-levelling helpers with the exact fix", () => {
    const phrase = "compile for ES2022 or later, or use a task reference";
    for (const text of [
      "(_a) => { var r = __rest(_a, ['a']); return r }",
      "() => __awaiter(this, void 0, void 0, function* () {})",
      "function () { return _asyncToGenerator(function* () {})() }",
      "() => { class A { constructor() { __publicField(this, 'x', 1) } } }",
      "(x) => _defineProperty2({}, 'x', x)",
    ]) {
      const message = rejection(compiled(text));
      expect(message).toContain(phrase);
      expect(message).toMatch(/^submit\(fn\): fn uses the compiler helper `_/);
    }
  });

  it("rejects what is not a function", () => {
    expect(rejection(42 as unknown as Function)).toContain("expected a function");
  });
});

describe("caching", () => {
  it("analyses each function once and compiles each source once", () => {
    const fn = (x: number) => x + 1;
    const source = functionSource(fn);
    expect(functionSource(fn)).toBe(source);
    expect(evaluateFunctionSource(source)).toBe(evaluateFunctionSource(source));
    const captured = 1;
    const closure = () => captured;
    expect(rejection(closure, "a(fn)")).toMatch(/^a\(fn\): /);
    expect(rejection(closure, "b(fn)")).toMatch(/^b\(fn\): fn captures `captured`/);
  });

  it("keeps at most 1,000 compiled functions, dropping the least recently used", () => {
    const first = "(x) => x + 100000";
    const kept = "(x) => x + 100001";
    const a = evaluateFunctionSource(first);
    const b = evaluateFunctionSource(kept);
    for (let i = 0; i < 1_000; i++) {
      evaluateFunctionSource(`(x) => x + ${i}`);
      if (i % 100 === 0) evaluateFunctionSource(kept); // recently used: stays
    }
    expect(evaluateFunctionSource(kept)).toBe(b);
    const recompiled = evaluateFunctionSource(first);
    expect(recompiled).not.toBe(a);
    expect(recompiled(1)).toBe(100001);
  });

  it("loads no parser until a function is analysed", async () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(${JSON.stringify(root)});
      const loaded = () => Object.keys(require.cache).filter((p) => /[\\\\/](acorn|eslint-scope)[\\\\/]/.test(p)).length;
      const m = await import("./src/executors/transport/function-source.ts");
      const before = loaded();
      m.evaluateFunctionSource("(x) => x");
      const afterEvaluate = loaded();
      m.functionSource((x) => x);
      console.log(JSON.stringify([before, afterEvaluate, loaded() > 0]));
    `;
    const run = await runNode(["--import", "tsx", "--input-type=module", "-e", script]);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual([0, 0, true]);
  });
});

describe("in a real worker thread", () => {
  it("runs an accepted function rebuilt from its source", async () => {
    const summarize = async (values: number[], { scale = 2 } = {}) => {
      const label = /* nested */ (n: number) => `n=${n}`;
      await new Promise((resolve) => setImmediate(resolve));
      return { total: values.reduce((a, b) => a + b, 0) * scale, label: label(values.length), threadId: (await import("node:worker_threads")).threadId };
    };
    const worker = new Worker(new URL("./fixtures/function-source-worker.mjs", import.meta.url), {
      workerData: { source: functionSource(summarize), args: [[1, 2, 3], { scale: 10 }] },
    });
    try {
      const reply = await new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      expect(reply).toEqual({ ok: true, value: { total: 60, label: "n=3", threadId: worker.threadId }, name: "" });
    } finally {
      await worker.terminate();
    }
  });
});
