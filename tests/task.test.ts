// Task references (SPEC §1.1): made by task(), run on the calling thread, in a
// real worker thread and in a child process, with the errors a user sees.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { ThreadPoolExecutor } from "../src/executors/event-loop.js";
import { importTaskModule, workerExecArgv } from "../src/executors/transport/load-module.js";
import { callSpecOf, isTaskRef, task, type TaskRef } from "../src/executors/transport/task.js";
import { add, fib } from "./fixtures/task-math.js";
import { runNode } from "./run-node.js";

type MathModule = typeof import("./fixtures/task-math.js");

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const MATH = fixture("task-math.ts");
const TSX_NAMESPACE = "tsx-namespace=unirun";

describe("task() on the calling thread", () => {
  it("imports the module and calls the export, sync or async", async () => {
    await expect(task<MathModule, "fib">(MATH, "fib")(10)).resolves.toBe(55);
    await expect(task<MathModule, "add">(MATH, "add")(2, 3)).resolves.toBe(5);
    await expect(task<MathModule, "double">(MATH, "double")(21)).resolves.toBe(42);
    await expect(task<MathModule, "default">(MATH, "default")()).resolves.toBe("default");
  });

  it("rejects with the export's own error", async () => {
    const fail = task<MathModule, "fail">(MATH, "fail");
    await expect(fail("boom")).rejects.toThrow(new RangeError("boom"));
  });

  it("takes name and type from a one-key object", async () => {
    const ref = task(MATH, { fib });
    expect(ref.exportName).toBe("fib");
    await expect(ref(12)).resolves.toBe(144);
  });

  it("rejects a shorthand object without exactly one function", () => {
    expect(() => task(MATH, { fib, add } as never)).toThrow(/exactly one export, got 2 \(fib, add\)/);
    expect(() => task(MATH, {} as never)).toThrow(/exactly one export, got 0/);
    expect(() => task(MATH, { answer: 42 } as never)).toThrow(/answer is not a function \(it is a number\)/);
  });

  it("carries its module, export and cpuBound, and is branded, not duck-typed", () => {
    const ref = task(MATH, "fib", { cpuBound: true });
    expect(ref).toBeTypeOf("function");
    expect(ref.name).toBe("fib");
    expect({ ...ref }).toEqual({ moduleUrl: MATH.href, exportName: "fib", cpuBound: true });
    expect(task(MATH, "add").cpuBound).toBe(false);
    expect(Object.isFrozen(ref)).toBe(true);
    expect(isTaskRef(ref)).toBe(true);
    const lookalike = Object.assign(async () => 0, { moduleUrl: MATH.href, exportName: "fib", cpuBound: false });
    expect(isTaskRef(lookalike)).toBe(false);
    expect(isTaskRef({ ...ref })).toBe(false);
    expect(callSpecOf(ref)).toEqual({ kind: "ref", url: MATH.href, name: "fib" });
    expect(() => callSpecOf(lookalike as never)).toThrow(TypeError);
  });

  it("accepts a file URL, its string, an absolute path and node: builtins", async () => {
    const fromPath = task(fileURLToPath(MATH), "fib");
    expect(fromPath.moduleUrl).toBe(MATH.href);
    expect(task(MATH.href, "fib").moduleUrl).toBe(MATH.href);
    await expect(fromPath(7)).resolves.toBe(13);
    await expect(task("node:path", "basename")("/a/b.txt")).resolves.toBe("b.txt");
  });

  it("rejects relative paths and package names with the fix", () => {
    expect(() => task("./fixtures/task-math.js", "fib")).toThrow(
      new TypeError(
        'task module "./fixtures/task-math.js" is not a file URL or an absolute path: a worker would resolve it '
          + 'from its own location, not yours; pass new URL("./fixtures/task-math.js", import.meta.url)',
      ),
    );
    expect(() => task("lodash", "chunk")).toThrow(/import\.meta\.resolve\("lodash"\)/);
    expect(() => task("https://example.com/x.js", "f")).toThrow(/is not a file: URL/);
    expect(() => task(new URL("data:text/javascript,export const f = 1"), "f")).toThrow(/is not a file: URL/);
    expect(() => task(42 as never, "f")).toThrow(/must be a URL or a string, not a number/);
    expect(() => task(MATH, "")).toThrow(/name must not be empty/);
    expect(() => task(MATH, "fib", { cpuBound: "yes" } as never)).toThrow(/cpuBound must be a boolean/);
  });

  it("fails a missing export with module and export named", async () => {
    await expect(task(MATH, "fibb")(1)).rejects.toThrow(
      new TypeError(
        `task module ${MATH.href} has no export "fibb" (exports: add, answer, default, double, fail, fib, loadedFrom)`,
      ),
    );
  });

  it("fails a non-function export with module and export named", async () => {
    await expect(task(MATH, "answer")()).rejects.toThrow(
      new TypeError(`export "answer" of ${MATH.href} is not a function (it is a number)`),
    );
  });

  it("fails the future when submitted to the event-loop ThreadPoolExecutor", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      expect(await executor.submit(task(MATH, { fib }), 15).result(5)).toBe(610);
      const missing = executor.submit(task(MATH, "nope"));
      await expect(missing.result(5)).rejects.toThrow(TypeError);
      expect(((await missing.exception(5)) as Error).message).toContain(`no export "nope"`);
    } finally {
      await executor.shutdown();
    }
  });

  it("imports a module once per thread", async () => {
    const loads = task(fixture("task-counter.ts"), "loads");
    const first = importTaskModule(fixture("task-counter.ts").href);
    expect(importTaskModule(fixture("task-counter.ts").href)).toBe(first);
    expect(await Promise.all([loads(), loads(), loads()])).toEqual([1, 1, 1]);
  });

  it("loads JavaScript modules, full TypeScript, and x.ts for an x.js URL (the tsc spelling)", async () => {
    await expect(task(fixture("task-plain.mjs"), "greet")("js")).resolves.toBe("hello, js");
    await expect(task(fixture("task-enum.ts"), "describeShape")("circle")).resolves.toBe("<circle>");
    const viaJs = task<MathModule, "fib">(fixture("task-math.js"), "fib");
    expect(viaJs.moduleUrl).toBe(fixture("task-math.js").href);
    await expect(viaJs(9)).resolves.toBe(34);
  });

  it("fails a missing module with an error naming it", async () => {
    const url = fixture("task-does-not-exist.js").href;
    const error = await task(url, "f")().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(`cannot load task module ${url}`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("fails a module that throws while loading, keeping the original as cause, and retries", async () => {
    const url = fixture("task-broken.ts").href;
    for (let i = 0; i < 2; i++) {
      const error = await task(url, "never")().catch((e: unknown) => e as Error);
      expect(error.message).toBe(`cannot load task module ${url}: task-broken failed to initialise`);
      expect((error.cause as Error).message).toBe("task-broken failed to initialise");
    }
  });
});

describe("task() types", () => {
  it("types a reference from the module type and one of its function exports", () => {
    const exact = task<MathModule, "fib">(MATH, "fib");
    expectTypeOf(exact).parameters.toEqualTypeOf<[n: number]>();
    expectTypeOf(exact).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(exact.moduleUrl).toEqualTypeOf<string>();
    expectTypeOf(task<MathModule, "double">(MATH, "double")).returns.toEqualTypeOf<Promise<number>>();
    // With only M given, K is every function export: the reference accepts any of their signatures.
    expectTypeOf(task<MathModule>(MATH, "fib")).returns.resolves.toEqualTypeOf<number | string>();
    // @ts-expect-error not an export of the module
    task<MathModule>(MATH, "fibb");
    // @ts-expect-error an export, but not a function
    task<MathModule>(MATH, "answer");
  });

  it("types the shorthand exactly, and an untyped reference loosely", () => {
    expectTypeOf(task(MATH, { add })).toEqualTypeOf<TaskRef<typeof add>>();
    expectTypeOf(task(MATH, { add })).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(task(MATH, "anything")).returns.toEqualTypeOf<Promise<any>>();
    // @ts-expect-error wrong argument type
    void task(MATH, { fib })("10").catch(() => {});
  });
});

describe("task modules in a worker thread", () => {
  let pool: Piscina;

  beforeAll(() => {
    pool = new Piscina({ filename: fixture("task-worker.ts").href, execArgv: workerExecArgv(), maxThreads: 1 });
  });
  afterAll(async () => {
    await pool.destroy();
  });

  const run = (url: URL, name: string, ...args: unknown[]): Promise<unknown> =>
    pool.run({ url: url.href, name, args });

  it("loads a TypeScript task module in its own thread and returns the result", async () => {
    expect(await run(MATH, "fib", 20)).toBe(6765);
    expect(await run(MATH, "double", 4)).toBe(8);
    const loadedFrom = (await run(MATH, "loadedFrom")) as string;
    expect(loadedFrom.startsWith(MATH.href)).toBe(true);
    // Node 20's tsx registers no ESM hooks in workers: unirun falls back to tsx's API.
    if (process.versions.node.startsWith("20.")) expect(loadedFrom).toContain(TSX_NAMESPACE);
  });

  it("loads what type stripping cannot (enums, .js imports of .ts files, .cts), .mjs, and x.ts for x.js", async () => {
    expect(await run(fixture("task-enum.ts"), "describeShape", "circle")).toBe("<circle>");
    expect(await run(fixture("task-legacy.cts"), "wrap", "cts")).toBe("<cts>");
    expect(await run(fixture("task-plain.mjs"), "greet", "worker")).toBe("hello, worker");
    expect(await run(fixture("task-math.js"), "add", 1, 2)).toBe(3);
  });

  it("imports a module once per thread", async () => {
    const counter = fixture("task-counter.ts");
    expect([await run(counter, "loads"), await run(counter, "loads")]).toEqual([1, 1]);
  });

  it("fails missing exports and missing modules with clear errors", async () => {
    await expect(run(MATH, "fibb")).rejects.toThrow(`task module ${MATH.href} has no export "fibb"`);
    await expect(run(MATH, "answer")).rejects.toThrow("is not a function (it is a number)");
    const missing = fixture("task-nowhere.ts");
    await expect(run(missing, "f")).rejects.toThrow(`cannot load task module ${missing.href}`);
  });
});

describe("task modules in a child process", () => {
  it("loads a TypeScript task module with workerExecArgv()", async () => {
    const child = fork(fixture("task-child.ts"), [], { execArgv: workerExecArgv(), stdio: "pipe" });
    const answer = new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
    });
    child.send({ url: fixture("task-enum.ts").href, name: "describeShape", args: ["square"] });
    expect(await answer).toEqual({ ok: true, value: "<square>" });
  });
});

describe("workerExecArgv()", () => {
  const saved = { execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS };
  afterEach(() => {
    process.execArgv = saved.execArgv;
    if (saved.nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved.nodeOptions;
  });
  const loader = pathToFileURL(path.resolve("node_modules/tsx/dist/loader.mjs")).href;

  it("adds tsx's loader, as an absolute URL, while unirun runs from TypeScript", () => {
    delete process.env.NODE_OPTIONS;
    process.execArgv = ["--enable-source-maps"];
    expect(workerExecArgv()).toEqual(["--enable-source-maps", "--import", loader]);
  });

  it("drops debugger and eval flags and replaces the tsx command's flags by one --import", () => {
    delete process.env.NODE_OPTIONS;
    process.execArgv = [
      "--inspect-brk=9229", "--inspect-port", "0", "--debug-port=1", "-e", "code()", "--max-old-space-size=64",
      "--require", "/p/node_modules/tsx/dist/preflight.cjs", "--import", "file:///p/node_modules/tsx/dist/loader.mjs",
      "--loader=tsx", "--conditions=dev",
    ];
    expect(workerExecArgv()).toEqual(["--max-old-space-size=64", "--conditions=dev", "--import", loader]);
  });

  it("leaves tsx to NODE_OPTIONS, which workers and children inherit", () => {
    process.env.NODE_OPTIONS = '--no-warnings --import "tsx"';
    process.execArgv = ["--import", "tsx", "--inspect"];
    expect(workerExecArgv()).toEqual([]);
  });
});

describe("loading TypeScript without tsx", () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails with a TypeError naming the module and the fix (or strips types natively)", async () => {
    // A copy of load-module.js outside the project, where tsx cannot be resolved.
    dir = mkdtempSync(path.join(os.tmpdir(), "unirun-task-"));
    const source = readFileSync(new URL("../src/executors/transport/load-module.ts", import.meta.url), "utf8");
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    writeFileSync(path.join(dir, "load-module.mjs"), js.outputText);
    writeFileSync(path.join(dir, "mod.ts"), "export const f = (n: number): number => n + 1;\n");
    const script = `import { loadTaskExport } from ${JSON.stringify(pathToFileURL(path.join(dir, "load-module.mjs")).href)};
      loadTaskExport(${JSON.stringify(pathToFileURL(path.join(dir, "mod.ts")).href)}, "f")
        .then((f) => console.log(JSON.stringify({ value: f(1) })), (e) => console.log(JSON.stringify({ name: e.name, message: e.message })));`;
    const run = await runNode(["--no-warnings", "--input-type=module", "-e", script]);
    const outcome = JSON.parse(run.stdout);
    if ((process.features as { typescript?: unknown }).typescript) {
      expect(outcome).toEqual({ value: 2 });
    } else {
      expect(outcome.name).toBe("TypeError");
      expect(outcome.message).toBe(
        `cannot load TypeScript task module ${pathToFileURL(path.join(dir, "mod.ts")).href}: Node ${process.version} `
          + "cannot import it natively and tsx is not installed; install tsx (npm i -D tsx), run on Node >= 22.18, "
          + "or point the task at the built .js file",
      );
    }
  });
});
