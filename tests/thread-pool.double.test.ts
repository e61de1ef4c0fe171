/**
 * ThreadPoolExecutor, native (passthrough) and managed: the same workloads,
 * equal results (STYLE.md). The shared workloads are in double.workloads.ts;
 * here, what only a thread pool does: closures over shared state, at most
 * `maxWorkers` in flight, an initializer per slot.
 */
import { describe, expect, it } from "vitest";
import { deferred } from "./helpers.js";
import { double, ref } from "./double.helpers.js";
import { describeDoubles } from "./double.workloads.js";

describeDoubles("ThreadPoolExecutor");

describe("ThreadPoolExecutor: what only a thread pool does, native and managed alike", () => {
  it("runs closures over the caller's state, sync and async", async () => {
    const out = await double(async ({ ThreadPoolExecutor }) => {
      const ex = new ThreadPoolExecutor({ maxWorkers: 3 });
      const seen: number[] = [];
      const futures = [1, 2, 3, 4, 5].map((i) => ex.submit(async () => {
        seen.push(i);
        return seen.length;
      }));
      const lengths = await Promise.all(futures);
      await ex.shutdown();
      return { seen: [...seen].sort(), lengths: [...lengths].sort() };
    });
    expect(out).toEqual({ seen: [1, 2, 3, 4, 5], lengths: [1, 2, 3, 4, 5] });
  });

  it("keeps at most maxWorkers calls in flight, started in FIFO order", async () => {
    const out = await double(async ({ ThreadPoolExecutor }) => {
      const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
      const gates = [0, 1, 2, 3, 4].map(() => deferred());
      const started: number[] = [];
      let active = 0;
      let peak = 0;
      const futures = gates.map((gate, i) => ex.submit(async () => {
        started.push(i);
        peak = Math.max(peak, ++active);
        await gate.promise;
        active--;
        return i;
      }));
      for (const gate of gates) {
        // Let each call go only once it has started: the order they start in is observable.
        await new Promise<void>((resolve) => {
          const check = (): void => (started.length > gates.indexOf(gate) ? resolve() : void setImmediate(check));
          check();
        });
        gate.resolve();
      }
      const results = await Promise.all(futures);
      await ex.shutdown();
      return { started, peak, results };
    });
    expect(out).toEqual({ started: [0, 1, 2, 3, 4], peak: 2, results: [0, 1, 2, 3, 4] });
  });

  it("runs an initializer once per slot before its first call (managed: on a pool of its own)", async () => {
    const tag = `thread-${process.pid}`;
    const out = await double(async ({ ThreadPoolExecutor }, side) => {
      const ex = new ThreadPoolExecutor({ maxWorkers: 2, initializer: ref("remember"), initargs: [tag, side.length] });
      const counts = await Promise.all([1, 2, 3, 4].map(() => ex.submit(ref("remembered"), tag, side.length)));
      await ex.shutdown();
      return counts.map((n) => n >= 1 && n <= 2);
    });
    expect(out).toEqual([true, true, true, true]);
  });

  it("an initializer that fails breaks the pool with BrokenThreadPool", async () => {
    const out = await double(async ({ ThreadPoolExecutor }) => {
      const ex = new ThreadPoolExecutor({ maxWorkers: 1, initializer: () => { throw new Error("no init"); } });
      const first = await ex.submit(() => 1).then(() => "ran", (error: unknown) => (error as Error).name);
      let later: string;
      try {
        ex.submit(() => 2);
        later = "accepted";
      } catch (error) {
        later = (error as Error).name;
      }
      await ex.shutdown();
      return { first, later };
    });
    expect(out).toEqual({ first: "BrokenThreadPool", later: "BrokenThreadPool" });
  });
});
