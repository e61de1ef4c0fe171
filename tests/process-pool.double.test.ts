/**
 * ProcessPoolExecutor, native (passthrough) and managed: the same workloads,
 * equal results (STYLE.md). The shared workloads are in double.workloads.ts;
 * here, what only a process pool does.
 */
import { describe, expect, it } from "vitest";
import { double, ref } from "./double.helpers.js";
import { describeDoubles } from "./double.workloads.js";

describeDoubles("ProcessPoolExecutor");

describe("ProcessPoolExecutor: what only a process pool does, native and managed alike", { timeout: 60_000 }, () => {
  it("runs every call in a child process", async () => {
    const out = await double(async ({ ProcessPoolExecutor }) => {
      const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
      const where = await Promise.all([1, 2, 3].map(() => ex.submit(ref("whoAmI"))));
      await ex.shutdown();
      return where.map((w) => w.pid !== process.pid);
    });
    expect(out).toEqual([true, true, true]);
  });

  it("maxTasksPerChild replaces a child after that many calls", async () => {
    const out = await double(async ({ ProcessPoolExecutor }) => {
      const ex = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 1 });
      const pids: number[] = [];
      for (let i = 0; i < 2; i++) pids.push((await ex.submit(ref("whoAmI"))).pid);
      await ex.shutdown();
      return new Set(pids).size;
    });
    expect(out).toBe(2);
  });

  it("env and execArgv reach the children (managed: on a pool of their own)", async () => {
    const out = await double(async ({ ProcessPoolExecutor }) => {
      const ex = new ProcessPoolExecutor({
        maxWorkers: 1,
        env: { ...process.env, UNIRUN_DOUBLE_PROBE: "seen" },
        execArgv: [...process.execArgv, "--stack-size=900"],
      });
      const seen = await ex.submit(ref("environment"), "UNIRUN_DOUBLE_PROBE");
      await ex.shutdown();
      return { value: seen.value, flag: seen.execArgv.includes("--stack-size=900") };
    });
    expect(out).toEqual({ value: "seen", flag: true });
  });

  it("runs an initializer in each child before its first call (managed: on a pool of its own)", async () => {
    const out = await double(async ({ ProcessPoolExecutor }) => {
      const ex = new ProcessPoolExecutor({ maxWorkers: 2, initializer: ref("remember"), initargs: ["child", 2] });
      const counts = await Promise.all([1, 2, 3, 4].map(() => ex.submit(ref("remembered"), "child", 2)));
      await ex.shutdown();
      return counts;
    });
    expect(out).toEqual([1, 1, 1, 1]);
  });

  it("an initializer that fails breaks the pool with BrokenProcessPool", async () => {
    const out = await double(async ({ ProcessPoolExecutor }) => {
      const ex = new ProcessPoolExecutor({ maxWorkers: 1, initializer: ref("fail"), initargs: ["Error"] });
      const first = await ex.submit(ref("add"), 1, 1).then(() => "ran", (error: unknown) => (error as Error).name);
      await ex.shutdown();
      return first;
    });
    expect(out).toBe("BrokenProcessPool");
  });
});
