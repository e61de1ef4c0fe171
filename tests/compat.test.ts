/**
 * The compat mode switch (SPEC §4): `UNIRUN_COMPAT_MODE` is read once, when
 * compat is first imported. `passthrough` re-exports the native objects
 * (`===`); `managed` (the default) swaps in the managed executor classes,
 * which carry `executor.decision`, and shares everything else.
 *
 * Each mode is loaded in a fresh module graph (`vi.resetModules()` and a
 * dynamic import) with the variable set; the static import at the top is this
 * run's own mode (the CI matrix runs the file under both).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as nativeStatic from "../src/api/futures.js";
import * as compatStatic from "../src/compat/futures.js";
import * as compatIndexStatic from "../src/compat/index.js";
import * as managedStatic from "../src/run/managed-executors.js";
import type { Decision } from "../src/run/decisions.js";
import { reset } from "../src/run/scheduler.js";

const EXECUTORS = ["ThreadPoolExecutor", "InterpreterPoolExecutor", "ProcessPoolExecutor"] as const;
const VARIABLES = ["UNIRUN_COMPAT_MODE", "UNIRUN_THREAD_MODE", "UNIRUN_MAX_WORKERS", "UNIRUN_ENV_FILE"] as const;

let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
});
afterEach(async () => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  vi.resetModules();
  await reset();
});

/** Load compat, native and managed in a fresh module graph with `UNIRUN_COMPAT_MODE=mode` (unset for `undefined`). */
async function load(mode: string | undefined) {
  if (mode === undefined) delete process.env.UNIRUN_COMPAT_MODE;
  else process.env.UNIRUN_COMPAT_MODE = mode;
  vi.resetModules();
  const compat = await import("../src/compat/futures.js");
  return {
    compat,
    index: await import("../src/compat/index.js"),
    compatAsyncio: await import("../src/compat/asyncio.js"),
    native: await import("../src/api/futures.js"),
    managed: await import("../src/run/managed-executors.js"),
    scheduler: await import("../src/run/scheduler.js"),
  };
}

type Loaded = Awaited<ReturnType<typeof load>>;
/** Any of the three compat executor classes (their option types differ, so a union is not constructable). */
type AnyCompatExecutor = new (options?: object) => InstanceType<typeof nativeStatic.ThreadPoolExecutor> & {
  readonly decision?: Decision;
};

function expectPassthrough({ compat, index, native }: Pick<Loaded, "compat" | "index" | "native">): void {
  expect(Object.keys(compat).sort()).toEqual(Object.keys(native).sort());
  for (const [name, value] of Object.entries(native)) {
    expect(compat[name as keyof typeof compat], name).toBe(value);
    expect(index[name as keyof typeof index], name).toBe(value);
  }
}

function expectManaged({ compat, index, native, managed }: Pick<Loaded, "compat" | "index" | "native" | "managed">): void {
  expect(Object.keys(compat).sort()).toEqual(Object.keys(native).sort());
  for (const [name, value] of Object.entries(native)) {
    const expected = (EXECUTORS as readonly string[]).includes(name) ? managed[name as keyof typeof managed] : value;
    expect(compat[name as keyof typeof compat], name).toBe(expected);
    expect(index[name as keyof typeof index], name).toBe(expected);
  }
}

describe("this run's compat mode (UNIRUN_COMPAT_MODE of the environment)", () => {
  it("is the one the statically imported compat follows", () => {
    const loaded = { compat: compatStatic, index: compatIndexStatic, native: nativeStatic, managed: managedStatic };
    if (process.env.UNIRUN_COMPAT_MODE === "passthrough") expectPassthrough(loaded);
    else expectManaged(loaded);
  });
});

describe("UNIRUN_COMPAT_MODE=passthrough", () => {
  it("makes every compat export the very object unirun/futures exports", async () => {
    const loaded = await load("passthrough");
    expectPassthrough(loaded);
    const ex = new loaded.compat.ThreadPoolExecutor({ maxWorkers: 2 });
    expect(ex).toBeInstanceOf(loaded.native.ThreadPoolExecutor);
    expect("decision" in ex).toBe(false);
    await ex.shutdown();
  });

  it("also for unirun/compat/asyncio: each of its exports is unirun/asyncio's", async () => {
    const { compatAsyncio } = await load("passthrough");
    const names = Object.keys(compatAsyncio);
    if (names.length === 0) return; // nothing mirrored yet (SPEC §3 lands with the asyncio issue)
    const asyncio = (await import("../src/asyncio/index.js")) as Record<string, unknown>;
    for (const name of names) expect((compatAsyncio as Record<string, unknown>)[name], name).toBe(asyncio[name]);
  });

  it("is case-insensitive like every other setting, and read once: later changes are ignored", async () => {
    const loaded = await load("PassThrough");
    expectPassthrough(loaded);
    process.env.UNIRUN_COMPAT_MODE = "managed";
    await loaded.scheduler.reset();
    const again = await import("../src/compat/futures.js");
    expect(again).toBe(loaded.compat);
    expect(again.ThreadPoolExecutor).toBe(loaded.native.ThreadPoolExecutor);
  });
});

describe("UNIRUN_COMPAT_MODE=managed (the default)", () => {
  it.each([["managed"], [undefined]])("%s: the executor classes are the managed ones; every other export is shared", async (mode) => {
    const loaded = await load(mode);
    expectManaged(loaded);
    for (const name of EXECUTORS) {
      expect(loaded.compat[name]).not.toBe(loaded.native[name]);
      expect(loaded.compat[name].name).toBe(name);
    }
  });

  it("an unrecognised value warns once and means managed", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const loaded = await load("wrapped");
      expectManaged(loaded);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    const about = warnings.filter((w) => w.message.includes("UNIRUN_COMPAT_MODE"));
    expect(about).toHaveLength(1);
    expect(about[0]!.message).toContain("wrapped");
    expect(about[0]!.message).toContain("passthrough");
  });

  it("read once: switching to passthrough later changes nothing", async () => {
    const loaded = await load("managed");
    process.env.UNIRUN_COMPAT_MODE = "passthrough";
    await loaded.scheduler.reset();
    const again = await import("../src/compat/index.js");
    expect(again.ThreadPoolExecutor).toBe(loaded.managed.ThreadPoolExecutor);
  });

  it("each executor carries the decision made at construction, and starts nothing", async () => {
    process.env.UNIRUN_MAX_WORKERS = "3";
    const { compat, native, scheduler } = await load("managed");
    const expected = {
      ThreadPoolExecutor: "event-loop",
      InterpreterPoolExecutor: "worker-threads",
      ProcessPoolExecutor: "child-processes",
    } as const;
    for (const name of EXECUTORS) {
      const Ctor = compat[name] as unknown as AnyCompatExecutor;
      const sized = new Ctor({ maxWorkers: 2 });
      const auto = new Ctor();
      expect(sized).toBeInstanceOf(native.Executor);
      expect(sized).toBeInstanceOf(compat[name]);
      expect(sized.decision).toMatchObject({
        requested: name,
        resolved: expected[name],
        reason: "default",
        poolSize: 2,
        scope: "executor",
        component: null,
      });
      expect(Object.isFrozen(sized.decision)).toBe(true);
      expect(sized.maxWorkers).toBe(2);
      // No explicit size: the suggested one, capped by UNIRUN_MAX_WORKERS.
      expect(auto.decision!.poolSize).toBeLessThanOrEqual(3);
      expect(auto.maxWorkers).toBe(auto.decision!.poolSize);
      await Promise.all([sized.shutdown(), auto.shutdown()]);
    }
    const { poolStats } = await import("../src/run/pools.js");
    expect(poolStats()).toEqual({ live: 0, shared: 0 });
    await scheduler.reset();
  });

  it("executors of the same shape lease one shared pool from the scheduler, released by the last", async () => {
    const { compat, scheduler } = await load("managed");
    const { poolStats } = await import("../src/run/pools.js");
    const tasks = new URL("./fixtures/compat-tasks.ts", import.meta.url);
    const a = new compat.InterpreterPoolExecutor({ maxWorkers: 2 });
    const b = new compat.InterpreterPoolExecutor({ maxWorkers: 2 });
    const c = new compat.InterpreterPoolExecutor({ maxWorkers: 1 });
    const whoAmI = compat.task(tasks, "whoAmI");
    const [x, y, z] = await Promise.all([a.submit(whoAmI), b.submit(whoAmI), c.submit(whoAmI)]);
    for (const where of [x, y, z]) expect(where.threadId).not.toBe(0);
    expect(poolStats()).toEqual({ live: 2, shared: 2 }); // sizes 2 and 1
    await a.shutdown();
    expect(poolStats().shared).toBe(2); // b still holds the size-2 pool
    await Promise.all([b.shutdown(), c.shutdown()]);
    expect(poolStats()).toEqual({ live: 0, shared: 0 });
    await scheduler.reset();
  });

  it("validates options exactly as the native constructors do", async () => {
    const { compat, native } = await load("managed");
    const cases: [(typeof EXECUTORS)[number], Record<string, unknown>][] = [
      ["ThreadPoolExecutor", { maxWorkers: 0 }],
      ["ThreadPoolExecutor", { initializer: "nope" }],
      ["InterpreterPoolExecutor", { maxWorkers: -2 }],
      ["InterpreterPoolExecutor", { resourceLimits: 5 }],
      ["ProcessPoolExecutor", { maxWorkers: 1.5 }],
      ["ProcessPoolExecutor", { execArgv: "--x" }],
      ["ProcessPoolExecutor", { env: 1 }],
      ["ProcessPoolExecutor", { maxTasksPerChild: 0 }],
    ];
    for (const [name, options] of cases) {
      const thrown = (make: () => unknown): unknown => {
        try {
          make();
        } catch (error) {
          return error;
        }
        throw new Error(`${name}(${JSON.stringify(options)}) did not throw`);
      };
      const expected = thrown(() => new native[name](options as never)) as Error;
      const actual = thrown(() => new (compat[name] as unknown as AnyCompatExecutor)(options)) as Error;
      expect(actual.constructor).toBe(expected.constructor);
      expect(actual.message).toBe(expected.message);
    }
  });
});
