// unirun/workloads (SPEC §8): the contract workloads compute what they say,
// validate their arguments, and run the same directly, as task references and
// as self-contained functions on every executor — from the TypeScript source
// and from the built package (ESM and CommonJS), without side effects on import.
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { InterpreterPoolExecutor, ProcessPoolExecutor, ThreadPoolExecutor, type Executor } from "../src/api/futures.js";
import { isTaskRef } from "../src/executors/transport/task.js";
import * as workloads from "../src/workloads/index.js";
import {
  countPrimes,
  countPrimesTask,
  hashChain,
  hashChainTask,
  mixedWorkload,
  mixedWorkloadTask,
  noop,
  noopBatch,
  noopBatchTask,
  noopTask,
  simulateAsyncIo,
  simulateAsyncIoTask,
  simulateBlockingIo,
  simulateBlockingIoTask,
} from "../src/workloads/index.js";
import { runNode } from "./run-node.js";

const INDEX_URL = new URL("../src/workloads/index.ts", import.meta.url).href;

/** The chain as node:crypto computes it. */
function sha256Chain(rounds: number, seed: string): string {
  let value: Buffer = Buffer.from(seed, "utf8");
  for (let i = 0; i < rounds; i++) value = createHash("sha256").update(value).digest();
  return value.toString("hex");
}

describe("countPrimes", () => {
  it("counts the primes below the limit", () => {
    expect([0, 1, 2, 3, 4, 10, 11, 12, 100, 1000].map(countPrimes)).toEqual([0, 0, 0, 1, 2, 4, 4, 5, 25, 168]);
    expect(countPrimes(100_000)).toBe(9592);
    expect(countPrimes(-5)).toBe(0);
    expect(countPrimes(10.5)).toBe(4);
  });

  it("rejects a limit that is not a finite number", () => {
    for (const bad of [Number.NaN, Infinity, "10", undefined]) {
      expect(() => countPrimes(bad as number)).toThrow(RangeError);
    }
    expect(() => countPrimes(Infinity)).toThrow(/countPrimes\(limit\): limit must be a finite number; got Infinity/);
  });
});

describe("hashChain", () => {
  it("equals iterating node:crypto's SHA-256, across block boundaries", () => {
    for (const seed of ["", "abc", "unirun", "x".repeat(55), "x".repeat(56), "x".repeat(64), "é".repeat(100)]) {
      for (const rounds of [1, 2, 5]) expect(hashChain(rounds, seed), `${rounds} × ${seed.length}`).toBe(sha256Chain(rounds, seed));
    }
    expect(hashChain(50)).toBe(sha256Chain(50, "unirun"));
  });

  it("returns the seed's bytes in hex for zero rounds", () => {
    expect(hashChain(0, "hi")).toBe("6869");
  });

  it("rejects rounds that are not a non-negative integer", () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) expect(() => hashChain(bad)).toThrow(RangeError);
    expect(() => hashChain(-1)).toThrow(/rounds must be a non-negative integer; got -1/);
  });
});

describe("simulateBlockingIo", () => {
  it("returns its argument after blocking the thread: a timer due meanwhile has not fired", () => {
    let fired = false;
    setTimeout(() => (fired = true), 0);
    expect(simulateBlockingIo(0.02)).toBe(0.02);
    expect(fired).toBe(false);
    expect(simulateBlockingIo(0)).toBe(0);
  });

  it("rejects a negative or non-finite duration", () => {
    for (const bad of [-1, Number.NaN, Infinity, "1"]) expect(() => simulateBlockingIo(bad as number)).toThrow(RangeError);
  });
});

describe("simulateAsyncIo", () => {
  it("resolves to its argument without blocking the thread", async () => {
    let ticked = false;
    const waiting = simulateAsyncIo(0.01);
    setImmediate(() => (ticked = true));
    await expect(waiting).resolves.toBe(0.01);
    expect(ticked).toBe(true);
  });

  it("rejects a negative or non-finite duration", async () => {
    await expect(simulateAsyncIo(-1)).rejects.toThrow(RangeError);
    await expect(simulateAsyncIo(Number.NaN)).rejects.toThrow(/seconds must be a finite number >= 0; got NaN/);
  });
});

describe("mixedWorkload", () => {
  it("counts primes then blocks, per pair, as Python's mixed_workload", () => {
    expect(mixedWorkload([[100, 0], [1000, 0.001]])).toEqual([25 / 1e-6, 168 / (0.001 + 1e-6)]);
    expect(mixedWorkload([])).toEqual([]);
    expect(mixedWorkload(new Set([[10, 0] as const]))).toEqual([4 / 1e-6]);
  });

  it("rejects a malformed pair, naming it", () => {
    expect(() => mixedWorkload([[10, -1]])).toThrow(/each pair must be \[limit, seconds >= 0\]; got \[10,-1\]/);
    expect(() => mixedWorkload([5 as never])).toThrow(RangeError);
  });
});

describe("noop and noopBatch", () => {
  it("return their argument, and a copy of the array", () => {
    const value = { a: 1 };
    expect(noop(value)).toBe(value);
    expect(noop()).toBeUndefined();
    const values = [1, 2, 3];
    expect(noopBatch(values)).toEqual(values);
    expect(noopBatch(values)).not.toBe(values);
  });
});

const REFS = {
  countPrimesTask: [countPrimesTask, "countPrimes", true],
  hashChainTask: [hashChainTask, "hashChain", true],
  simulateBlockingIoTask: [simulateBlockingIoTask, "simulateBlockingIo", false],
  simulateAsyncIoTask: [simulateAsyncIoTask, "simulateAsyncIo", false],
  mixedWorkloadTask: [mixedWorkloadTask, "mixedWorkload", true],
  noopTask: [noopTask, "noop", false],
  noopBatchTask: [noopBatchTask, "noopBatch", false],
} as const;

describe("the ready-made task references", () => {
  it("name this module and their export, and mark the CPU-bound ones", () => {
    for (const [key, [ref, exportName, cpuBound]] of Object.entries(REFS)) {
      expect(isTaskRef(ref), key).toBe(true);
      expect({ ...ref }, key).toEqual({ moduleUrl: INDEX_URL, exportName, cpuBound });
      expect(typeof (workloads as Record<string, unknown>)[exportName], key).toBe("function");
    }
  });

  it("are the module's only exports besides the functions", () => {
    expect(Object.keys(workloads).sort()).toEqual([...Object.keys(REFS), ...Object.values(REFS).map(([, name]) => name)].sort());
  });
});

/** Every workload's call and expected result, as each executor must return it. */
const CALLS: [name: keyof typeof REFS, args: unknown[], expected: unknown][] = [
  ["countPrimesTask", [1000], 168],
  ["hashChainTask", [3, "abc"], sha256Chain(3, "abc")],
  ["simulateBlockingIoTask", [0.001], 0.001],
  ["simulateAsyncIoTask", [0.001], 0.001],
  ["mixedWorkloadTask", [[[100, 0]]], [25 / 1e-6]],
  ["noopTask", [{ deep: [1] }], { deep: [1] }],
  ["noopBatchTask", [[1, 2]], [1, 2]],
];

describe.each([
  ["ThreadPoolExecutor", () => new ThreadPoolExecutor({ maxWorkers: 2 })],
  ["InterpreterPoolExecutor", () => new InterpreterPoolExecutor({ maxWorkers: 1 })],
  ["ProcessPoolExecutor", () => new ProcessPoolExecutor({ maxWorkers: 1 })],
] as const)("on a %s", (_name, make) => {
  const executors: Executor[] = [];
  const executor = (): Executor => {
    executors[0] ??= make();
    return executors[0];
  };
  afterAll(async () => {
    await Promise.all(executors.map((ex) => ex.shutdown()));
  });

  it("every task reference returns what a direct call returns", async () => {
    for (const [name, args, expected] of CALLS) {
      const ref = REFS[name][0] as (...args: unknown[]) => Promise<unknown>;
      await expect(executor().submit(ref, ...args), name).resolves.toEqual(expected);
    }
  });

  it("every workload also crosses as a self-contained function", async () => {
    for (const [name, args, expected] of CALLS) {
      const fn = (workloads as unknown as Record<string, (...args: unknown[]) => unknown>)[REFS[name][1]]!;
      await expect(executor().submit(fn, ...args), name).resolves.toEqual(expected);
    }
  });

  it("a workload's own error reaches the caller with its class and message", async () => {
    await expect(executor().submit(countPrimesTask, Infinity)).rejects.toThrow(
      expect.objectContaining({ name: "RangeError", message: expect.stringContaining("finite number") }),
    );
  });
});

describe.each(["esm", "cjs"] as const)("the built unirun/workloads from %s", (kind) => {
  const load = kind === "esm"
    ? (names: string) => `const { ${names} } = await import("unirun/workloads"); const f = await import("unirun/futures");`
    : (names: string) => `const { ${names} } = require("unirun/workloads"); const f = require("unirun/futures");`;
  const wrap = (body: string): string[] =>
    kind === "esm" ? ["--input-type=module", "-e", body] : ["-e", `(async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`];

  it("runs its task references on worker threads and child processes", async () => {
    const run = await runNode(wrap(`${load("countPrimesTask, hashChainTask")}
      const threads = new f.InterpreterPoolExecutor({ maxWorkers: 1 });
      const procs = new f.ProcessPoolExecutor({ maxWorkers: 1 });
      const out = [await threads.submit(countPrimesTask, 1000), await procs.submit(hashChainTask, 1, "abc"),
        new URL(countPrimesTask.moduleUrl).pathname.replace(/^.*\\/dist\\//, "dist/")];
      await Promise.all([threads.shutdown(), procs.shutdown()]);
      console.log(JSON.stringify(out));`), 30_000);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual([168, sha256Chain(1, "abc"), `dist/workloads/index.${kind === "esm" ? "js" : "cjs"}`]);
  });

  it("starts nothing and leaves nothing open when imported", async () => {
    const run = await runNode(wrap(`let threads = 0; process.on("worker", () => threads++);
      ${load("countPrimes")}
      await new Promise((resolve) => setImmediate(resolve));
      console.log(JSON.stringify({ threads, resources: process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap") }));`));
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ threads: 0, resources: [] });
  });
});
