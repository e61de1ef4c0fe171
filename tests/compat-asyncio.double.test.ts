// Doubles (STYLE.md) for unirun/compat/asyncio: each workload runs through the
// native toThread/toProcess/runInExecutor of unirun/asyncio (what compat
// re-exports in passthrough mode) and through the managed ones (what it
// exports in managed mode), on real worker threads and child processes; the
// outcomes must be equal. The configuration is pinned to the defaults, under
// which a program behaves the same in both modes (SPEC §4).
import { AsyncLocalStorage } from "node:async_hooks";
import { threadId } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { task, ThreadPoolExecutor } from "../src/api/futures.js";
import { shutdownDefaultExecutors } from "../src/asyncio/defaults.js";
import * as nativeAsyncio from "../src/asyncio/index.js";
import * as managedAsyncio from "../src/run/managed-asyncio.js";
import { reset } from "../src/run/scheduler.js";
import { outcome } from "./double.helpers.js";
import { within } from "./helpers.js";

type Tasks = typeof import("./fixtures/asyncio-tasks.js");
const TASKS = new URL("./fixtures/asyncio-tasks.ts", import.meta.url);
const whereAmI = task<Tasks, "whereAmI">(TASKS, "whereAmI");
const failWith = task<Tasks, "failWith">(TASKS, "failWith");

type Bridges = Pick<typeof nativeAsyncio, "toThread" | "toProcess" | "runInExecutor">;
const NATIVE: Bridges = nativeAsyncio;
const MANAGED: Bridges = managedAsyncio;

beforeAll(async () => {
  const env = {
    UNIRUN_THREAD_MODE: "auto",
    UNIRUN_FORCE_THREADS: "0",
    UNIRUN_FORCE_PROCESS: "0",
    UNIRUN_MODE: "auto",
    UNIRUN_MAX_WORKERS: "2",
    UNIRUN_WARNINGS: "default",
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  await reset();
});

afterAll(async () => {
  await within(reset(), 20, "reset()");
  await within(shutdownDefaultExecutors({ cancelFutures: true }), 20, "native defaults");
  vi.unstubAllEnvs();
});

/** Run `workload` natively, then managed; assert equal outcomes. */
async function double<T>(workload: (bridges: Bridges) => Promise<T>): Promise<T> {
  const native = await within(workload(NATIVE), 30, "native workload");
  const managed = await within(workload(MANAGED), 30, "managed workload");
  expect(managed).toEqual(native);
  return native;
}

describe("toThread, natively and managed", () => {
  it("runs a task reference on a worker thread of this process", async () => {
    const out = await double(async ({ toThread }) => {
      const where = await toThread(whereAmI, "t");
      return { tag: where.tag, onWorker: where.threadId !== threadId, samePid: where.pid === process.pid };
    });
    expect(out).toEqual({ tag: "t", onWorker: true, samePid: true });
  });

  it("runs a self-contained function with cloned arguments", async () => {
    const sum = (values: number[], scale: number) => values.reduce((a, b) => a + b, 0) * scale;
    expect(await double(({ toThread }) => toThread(sum, [1, 2, 3], 10))).toBe(60);
  });

  it("fails with the worker's error rebuilt", async () => {
    const out = await double(({ toThread }) => outcome(() => toThread(failWith, "from a worker")));
    expect(out).toMatchObject({ failed: { ctor: "RangeError", code: "E_ASYNCIO", cause: { message: "root cause" } } });
  });

  it("throws the same TypeError for a non-function", async () => {
    const out = await double(async ({ toThread }) => outcome(() => toThread(5 as never)));
    expect(out).toMatchObject({ sync: { ctor: "TypeError" } });
  });
});

describe("toProcess, natively and managed", () => {
  it("runs a task reference and a self-contained function in a child process", async () => {
    const out = await double(async ({ toProcess }) => {
      const where = await toProcess(whereAmI, "p");
      return { tag: where.tag, inChild: where.pid !== process.pid, product: await toProcess((a: bigint, b: bigint) => a * b, 6n, 7n) };
    });
    expect(out).toEqual({ tag: "p", inChild: true, product: 42n });
  });

  it("fails with the child's error rebuilt", async () => {
    const out = await double(({ toProcess }) => outcome(() => toProcess(failWith, "from a child")));
    expect(out).toMatchObject({ failed: { ctor: "RangeError", message: "from a child", code: "E_ASYNCIO" } });
  });
});

describe("runInExecutor, natively and managed", () => {
  it("runs closures on the default executor, on this thread, with their results and errors", async () => {
    const offset = 10;
    const out = await double(async ({ runInExecutor }) => ({
      value: await runInExecutor(null, async (x: number) => x + offset, 1),
      here: (await runInExecutor(undefined, () => threadId)) === threadId,
      failed: await outcome(() => runInExecutor(null, () => {
        throw Object.assign(new RangeError("local"), { code: "E_LOCAL" });
      })),
    }));
    expect(out).toMatchObject({ value: 11, here: true, failed: { failed: { ctor: "RangeError", code: "E_LOCAL" } } });
  });

  it("runs a call in the caller's AsyncLocalStorage context", async () => {
    const als = new AsyncLocalStorage<string>();
    const out = await double(({ runInExecutor }) => als.run("ctx", () => runInExecutor(null, () => als.getStore())));
    expect(out).toBe("ctx");
  });

  it("uses a given executor as it is, and refuses a bad one alike", async () => {
    const out = await double(async ({ runInExecutor }) => {
      const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
      try {
        return {
          value: await runInExecutor(executor, (a: number, b: number) => a * b, 6, 7),
          bad: await outcome(() => runInExecutor({} as never, () => 1)),
          badFn: await outcome(() => runInExecutor(null, 5 as never)),
        };
      } finally {
        await executor.shutdown();
      }
    });
    expect(out).toMatchObject({ value: 42, bad: { sync: { ctor: "TypeError" } }, badFn: { sync: { ctor: "TypeError" } } });
  });

  it("gathers threads, children and local calls together", async () => {
    const out = await double(async ({ toThread, toProcess, runInExecutor }) => {
      const [t, p, l] = await nativeAsyncio.gather(
        toThread(whereAmI, "gt"),
        toProcess(whereAmI, "gp"),
        runInExecutor(null, () => "local"),
      );
      return [t.tag, p.tag, l];
    });
    expect(out).toEqual(["gt", "gp", "local"]);
  });
});
