/**
 * InterpreterPoolExecutor, native (passthrough) and managed: the same
 * workloads, equal results (STYLE.md). The shared workloads are in
 * double.workloads.ts; here, what only a worker-thread pool does.
 */
import { describe, expect, it } from "vitest";
import { double, ref } from "./double.helpers.js";
import { describeDoubles } from "./double.workloads.js";

describeDoubles("InterpreterPoolExecutor");

describe("InterpreterPoolExecutor: what only a worker-thread pool does, native and managed alike", { timeout: 60_000 }, () => {
  it("runs every call off the calling thread", async () => {
    const out = await double(async ({ InterpreterPoolExecutor }) => {
      const ex = new InterpreterPoolExecutor({ maxWorkers: 2 });
      const where = await Promise.all([1, 2, 3].map(() => ex.submit(ref("whoAmI"))));
      await ex.shutdown();
      return where.map((w) => ({ offThread: w.threadId !== 0, sameProcess: w.pid === process.pid }));
    });
    expect(out).toEqual(Array(3).fill({ offThread: true, sameProcess: true }));
  });

  it("moves a transferList's ArrayBuffers without copying", async () => {
    const out = await double(async ({ InterpreterPoolExecutor }) => {
      const ex = new InterpreterPoolExecutor({ maxWorkers: 1 });
      const buffer = new ArrayBuffer(64);
      const length = await ex.submitWith({ transferList: [buffer] }, (b: ArrayBuffer) => b.byteLength, buffer);
      await ex.shutdown();
      return { length, leftBehind: buffer.byteLength };
    });
    expect(out).toEqual({ length: 64, leftBehind: 0 });
  });

  it("runs an initializer in each worker before its first call (managed: on a pool of its own)", async () => {
    const out = await double(async ({ InterpreterPoolExecutor }) => {
      const ex = new InterpreterPoolExecutor({ maxWorkers: 2, initializer: ref("remember"), initargs: ["worker", 1] });
      const counts = await Promise.all([1, 2, 3, 4].map(() => ex.submit(ref("remembered"), "worker", 1)));
      await ex.shutdown();
      return counts;
    });
    expect(out).toEqual([1, 1, 1, 1]);
  });

  it("an initializer that fails breaks the pool with BrokenInterpreterPool", async () => {
    const out = await double(async ({ InterpreterPoolExecutor }) => {
      const ex = new InterpreterPoolExecutor({ maxWorkers: 1, initializer: ref("fail"), initargs: ["Error"] });
      const first = await ex.submit(ref("add"), 1, 1).then(() => "ran", (error: unknown) => (error as Error).name);
      await ex.shutdown();
      return first;
    });
    expect(out).toBe("BrokenInterpreterPool");
  });
});
