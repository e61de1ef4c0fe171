// The built package, as a user installs it: every subpath of the exports map
// resolves from ESM and CommonJS, the futures API is whole in both, unfinished
// entry points export nothing rather than pretending, and the bin answers.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root, runNode } from "./run-node.js";

const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const SUBPATHS = ["", "/futures", "/asyncio", "/compat", "/compat/futures", "/compat/asyncio", "/workloads"];
const FUTURES_NAMES = [
  "ALL_COMPLETED", "BrokenExecutor", "BrokenInterpreterPool", "BrokenProcessPool", "BrokenThreadPool",
  "CancelledError", "Executor", "FIRST_COMPLETED", "FIRST_EXCEPTION", "Future", "InterpreterPoolExecutor",
  "InvalidStateError", "ProcessPoolExecutor", "ThreadPoolExecutor", "TimeoutError", "asCompleted", "task", "wait",
];
const ASYNCIO_NAMES = [
  "BoundedSemaphore", "CancelledError", "Semaphore", "TaskGroup", "TimeoutError", "asCompleted", "gather",
  "runInExecutor", "sleep", "timeout", "toProcess", "toThread", "waitFor", "wrapFuture",
];
// Every public name of each entry point, sorted as Object.keys().sort() gives them.
const EXPORTS: Record<string, string[]> = {
  "": [
    "BorrowedExecutor", "DECISION_CHANNEL", "DOWNGRADE_CODE", "DispatchError", "DowngradeError", "DowngradeWarning",
    "EXECUTOR_ALIASES", "ExecutionContext", "Run", "RuntimeConfig", "SequentialExecutor", "UnifiedDispatcher",
    "capabilities", "formatDecision", "lastDecision", "map", "observeDecisions", "parallelMap", "reset",
    "resolveExecutor", "submit",
  ],
  "/futures": FUTURES_NAMES,
  "/asyncio": ASYNCIO_NAMES,
  "/compat/futures": FUTURES_NAMES,
  "/compat/asyncio": ASYNCIO_NAMES,
  // compat/futures plus the asyncio names that do not clash (asCompleted is the futures one).
  "/compat": [...new Set([...FUTURES_NAMES, ...ASYNCIO_NAMES])].sort(),
  "/workloads": [
    "countPrimes", "countPrimesTask", "hashChain", "hashChainTask", "mixedWorkload", "mixedWorkloadTask", "noop",
    "noopBatch", "noopBatchTask", "noopTask", "simulateAsyncIo", "simulateAsyncIoTask", "simulateBlockingIo",
    "simulateBlockingIoTask",
  ],
};

const keysScript = (kind: "esm" | "cjs", spec: string): string[] =>
  kind === "esm"
    ? ["--input-type=module", "-e", `const m = await import(${JSON.stringify(spec)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "default").sort()))`]
    : ["-e", `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(spec)})).sort()))`];

describe("package.json", () => {
  it("is ESM-first with CJS and types for every subpath, Node >= 20, and a bin", () => {
    expect(pkg.type).toBe("module");
    expect(pkg.engines.node).toBe(">=20");
    expect(pkg.bin.unirun).toBe("./dist/cli.js");
    expect(Object.keys(pkg.exports).filter((k) => k !== "./package.json")).toEqual(SUBPATHS.map((s) => `.${s}`));
    for (const entry of Object.values(pkg.exports).filter((v) => typeof v === "object") as any[]) {
      expect(entry.import.types).toMatch(/\.d\.ts$/);
      expect(entry.require.types).toMatch(/\.d\.cts$/);
    }
  });
});

describe.each(["esm", "cjs"] as const)("the built package from %s", (kind) => {
  it.each(SUBPATHS)("unirun%s exports exactly its public names", async (sub) => {
    const run = await runNode(keysScript(kind, `unirun${sub}`));
    expect(run.stderr, `unirun${sub}`).toBe("");
    expect(JSON.parse(run.stdout), `unirun${sub}`).toEqual(EXPORTS[sub]);
  });

  it("runs a ThreadPoolExecutor end to end", async () => {
    const body = `const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
      const out = await ex.map(async (x) => x * 2, [1, 2, 3]).toArray();
      await ex.shutdown();
      console.log(JSON.stringify(out));`;
    const script = kind === "esm"
      ? ["--input-type=module", "-e", `import { ThreadPoolExecutor } from "unirun/futures"; ${body}`]
      : ["-e", `const { ThreadPoolExecutor } = require("unirun/futures"); (async () => { ${body} })();`];
    const run = await runNode(script);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("[2,4,6]");
  });
});

describe("importing unirun", () => {
  // SPEC §5: importing unirun or unirun/compat starts no thread or process and
  // loads no worker machinery (piscina, the parser) until first use.
  it.each(["unirun", "unirun/compat"])("%s starts nothing and loads no piscina or parser", async (spec) => {
    const script = `import "${spec}";
      import { createRequire } from "node:module";
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => /piscina|acorn|eslint-scope/.test(p));
      const handles = process.getActiveResourcesInfo().filter((r) => /Worker|MessagePort|Process/.test(r));
      console.log(JSON.stringify({ loaded, handles }));`;
    const run = await runNode(["--input-type=module", "-e", script]);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ loaded: [], handles: [] });
  });

  // Import cost (BENCHMARKS.md, P7): each file and built-in loaded at import costs about a millisecond.
  it.each(["unirun", "unirun/futures", "unirun/compat", "unirun/asyncio"])(
    "%s loads its entry file and two shared chunks, and none of the built-ins it uses later (v8, vm, os, diagnostics_channel)",
    async (spec) => {
      const script = `const before = new Set(process.moduleLoadList);
        await import("${spec}");
        const builtins = process.moduleLoadList.filter((m) => !before.has(m) && /^NativeModule (v8|vm|os|diagnostics_channel)$/.test(m));
        console.log(JSON.stringify({ builtins }));`;
      const run = await runNode(["--input-type=module", "-e", script]);
      expect(run.stderr).toBe("");
      expect(JSON.parse(run.stdout)).toEqual({ builtins: [] });
      const entry = { unirun: "index.js", "unirun/futures": "futures/index.js", "unirun/compat": "compat/index.js", "unirun/asyncio": "asyncio/index.js" }[spec]!;
      expect(staticImports(path.join(root, "dist", entry)).size).toBeLessThanOrEqual(3);
    },
  );
});

/** The files `file` loads through static relative imports, itself included. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const match of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+)"/g)) {
    staticImports(path.resolve(path.dirname(file), match[1]!), seen);
  }
  return seen;
}

describe("the unirun command", () => {
  it("prints its version", async () => {
    const run = await runNode(["dist/cli.js", "--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  it("answers bench --help with its options, and refuses an unknown one", async () => {
    const help = await runNode(["dist/cli.js", "bench", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: unirun bench");
    for (const flag of ["--profile", "--json", "--chart", "--only"]) expect(help.stdout).toContain(flag);
    const bad = await runNode(["dist/cli.js", "bench", "--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--frobnicate");
  });

  it("rejects an unknown command with the usage", async () => {
    const run = await runNode(["dist/cli.js", "frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"');
    expect(run.stderr).toContain("usage: unirun");
  });
});
