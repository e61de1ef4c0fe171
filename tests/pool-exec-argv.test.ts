/**
 * Worker threads under a parent started with V8 flags: Node refuses
 * `--expose-gc` or `--max-old-space-size` in a worker's explicit execArgv, so
 * a pool must not hand it the parent's flags as a list unless it has to add
 * one. Real processes, real worker threads; the built package and the sources.
 */
import { describe, expect, it } from "vitest";
import { runNode } from "./run-node.js";

const SCRIPT = (from: string, prelude = "") => `
  ${prelude}
  const { InterpreterPoolExecutor } = await import(${JSON.stringify(from)});
  const ex = new InterpreterPoolExecutor({ maxWorkers: 1 });
  const seen = await ex.submit(() => [typeof globalThis.gc, 6 * 7]).result();
  await ex.shutdown();
  console.log(JSON.stringify(seen));
`;

describe("a worker-thread pool in a process started with V8 flags", () => {
  it("built package: the workers start, and inherit the flags as Node passes them (gc is exposed there too)", async () => {
    const run = await runNode(["--expose-gc", "--max-old-space-size=256", "--input-type=module", "-e", SCRIPT("unirun/futures")], 30_000);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(["function", 42]);
  });

  it("TypeScript through --import tsx: inherited as they are, the loader with them", async () => {
    const source = new URL("../src/api/futures.ts", import.meta.url).href;
    const run = await runNode(["--expose-gc", "--max-old-space-size=256", "--import", "tsx", "--input-type=module", "-e", SCRIPT(source)], 30_000);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(["function", 42]);
  });

  it("TypeScript loaded with no flag (the pool adds a loader): the flags Node refuses are left out of the list, and the workers start", async () => {
    const source = new URL("../src/api/futures.ts", import.meta.url).href;
    const register = 'const { register } = await import("tsx/esm/api"); register();';
    const run = await runNode(["--expose-gc", "--max-old-space-size=256", "--input-type=module", "-e", SCRIPT(source, register)], 30_000);
    expect(run.stderr).toBe("");
    // V8 flags hold for every isolate of the process: gc is there without the flag in the list.
    expect(JSON.parse(run.stdout)).toEqual(["function", 42]);
  });
});
