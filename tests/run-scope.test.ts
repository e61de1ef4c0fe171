/**
 * `Run` (SPEC §5): `new Run({...})` with `await using`, `Run.scope({...}, body)`,
 * the five flavors, a Run as an Executor with its `decision`, owned pools shut
 * down at exit (also when the body throws), a caller's executor used and never
 * shut down, nested scopes reusing their parent, entering a Run twice, the
 * module-level `submit`/`map` inside and outside a scope, `trace`, and option
 * validation. Map sizing (the XCS rule) is in run-scope.map.test.ts.
 *
 * Real worker threads and child processes; waits are bounded; no timing is asserted.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Executor,
  InterpreterPoolExecutor as NativeInterpreterPool,
  ThreadPoolExecutor as NativeThreadPool,
  wait,
} from "../src/api/futures.js";
import { map, reset, Run, RuntimeConfig, submit, type Decision, type RunOptions } from "../src/index.js";
import { poolStats } from "../src/run/pools.js";
import { isRunning, killIfRunning, until, whenGone } from "./fixtures/proc-helpers.js";
import { counterCell, holdCounting, pidAfter, releaseCalls, square, startedAtLeast, where } from "./fixtures/sched-helpers.js";
import { deferred, range, turns, within } from "./thread-pool.helpers.js";

const config = new RuntimeConfig({ warnings: "ignore" });
const pidsSeen: number[] = [];
const nativesMade: NativeInterpreterPool[] = [];
afterEach(async () => {
  await within(reset(), "reset()", 10);
  for (const ex of nativesMade.splice(0)) await within(ex.terminateWorkers(), "native cleanup");
  killIfRunning(pidsSeen.splice(0));
});

async function childPid(ex: Executor): Promise<number> {
  const { pid } = await within(ex.submit(where), "where()", 10);
  pidsSeen.push(pid);
  expect(pid).not.toBe(process.pid);
  return pid;
}

describe("a Run is an Executor with a decision", () => {
  it.each([
    ["auto", "event-loop", "default"],
    ["threads", "event-loop", "pinned-mode"],
    ["interpreters", "worker-threads", "pinned-mode"],
    ["processes", "child-processes", "pinned-mode"],
    ["none", "event-loop", "pinned-mode"],
  ] as const)("flavor %s resolves to %s (%s)", (flavor, resolved, reason) => {
    const run = new Run({ flavor, name: `run-${flavor}`, config });
    expect(run).toBeInstanceOf(Executor);
    expect(run.flavor).toBe(flavor);
    expect(run.decision).toMatchObject({ requested: flavor, resolved, reason, name: `run-${flavor}`, poolSize: run.maxWorkers });
    expect(Object.isFrozen(run.decision)).toBe(true);
  });

  it("without a flavor, UNIRUN_MODE's (here: none) decides; the Run runs closures like a ThreadPoolExecutor", async () => {
    const run = new Run({ config: new RuntimeConfig({ mode: "none" }) });
    expect(run.flavor).toBeNull();
    expect(run.decision).toMatchObject({ requested: "auto", resolved: "event-loop", reason: "pinned-mode" });
    const base = 40;
    expect(await within(run.submit((n: number) => base + n, 2), "closure")).toBe(42);
  });

  it("interpreters refuses a closure at submit, with the TypeError naming what it captures", () => {
    const run = new Run({ flavor: "interpreters", config });
    const base = 40;
    expect(() => run.submit((n: number) => base + n, 2)).toThrow(/submit\(fn, \.\.\.args\): fn captures `base`/);
  });

  it("auto forced to processes: task references go to children, closures stay on the event loop with a warning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const run = new Run({ config: new RuntimeConfig({ forceProcess: true }) });
      expect(run.decision).toMatchObject({ resolved: "child-processes", reason: "force-env" });
      await childPid(run);
      const base = 40;
      expect(await within(run.submit((n: number) => base + n, 2), "closure")).toBe(42);
      await until(() => warnings.length > 0, "the downgrade warning");
      expect(warnings[0]).toMatchObject({ name: "DowngradeWarning", code: "UNIRUN_DOWNGRADE" });
      expect(warnings[0]!.message).toContain("(requested=child-processes, resolved=event-loop)");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("await using: the Run's pool is shut down at the end of the block", async () => {
    let pid = 0;
    {
      await using ex = new Run({ flavor: "processes", maxWorkers: 1, config });
      pid = await childPid(ex);
      expect(isRunning(pid)).toBe(true);
    }
    expect(await whenGone([pid])).toEqual([]);
    expect(poolStats()).toEqual({ live: 0, shared: 0 });
  });
});

describe("Run.scope", () => {
  it("returns the body's value, then shuts the Run down and its pool with it", async () => {
    let inside: Run | null = null;
    let pid = 0;
    const value = await Run.scope({ flavor: "processes", maxWorkers: 1, config }, async (ex) => {
      inside = ex;
      pid = await childPid(ex);
      return "done";
    });
    expect(value).toBe("done");
    expect(inside).toBeInstanceOf(Run);
    expect(() => inside!.submit(where)).toThrow("cannot schedule new futures after shutdown");
    expect(await whenGone([pid])).toEqual([]);
    expect(poolStats().live).toBe(0);
  });

  it("when the body throws: waiting calls are cancelled, running ones awaited, the pool shut down, the error rethrown", async () => {
    const failure = new Error("body failed");
    let running: Promise<number> | null = null;
    const cancelled: { cancelled(): boolean }[] = [];
    let pid = 0;
    const outcome = Run.scope({ flavor: "processes", maxWorkers: 1, config }, async (ex) => {
      pid = await childPid(ex);
      const first = ex.submit(pidAfter, 50);
      running = first.result();
      cancelled.push(ex.submit(pidAfter, 0), ex.submit(pidAfter, 0));
      await until(() => first.running(), "the first call running");
      throw failure;
    });
    await expect(within(outcome, "the failing scope")).rejects.toBe(failure);
    expect(await within(running!, "the running call")).toBe(pid);
    expect(cancelled.map((f) => f.cancelled())).toEqual([true, true]);
    expect(await whenGone([pid])).toEqual([]);
  });

  it("a caller's executor is used and never shut down", async () => {
    const native = new NativeThreadPool({ maxWorkers: 2 });
    const value = await Run.scope({ executor: native }, async (ex) => {
      expect(ex.decision).toMatchObject({ resolved: "event-loop", reason: "explicit-executor", poolSize: 2 });
      return ex.submit(() => 42);
    });
    expect(value).toBe(42);
    expect(await within(native.submit(() => "still open"), "native after the scope")).toBe("still open");
    const threads = new NativeInterpreterPool({ maxWorkers: 1 });
    nativesMade.push(threads);
    await Run.scope({ executor: threads }, async (ex) => {
      expect(ex.decision.resolved).toBe("worker-threads");
      expect(await ex.submit(square, 5)).toBe(25);
    });
    expect(await within(threads.submit(square, 6), "native pool after the scope")).toBe(36);
  });

  it("nested scopes with the same flavor and overrides reuse the parent, which stays open", async () => {
    await Run.scope({ flavor: "interpreters", maxWorkers: 1, config }, async (outer) => {
      const inner = await Run.scope({ flavor: "interpreters", maxWorkers: 1, config, name: "inner" }, async (ex) => {
        expect(await ex.submit(square, 3)).toBe(9);
        return ex;
      });
      expect(inner).toBe(outer);
      expect(await within(outer.submit(square, 4), "the parent after the nested scope")).toBe(16);
      expect(poolStats().live).toBe(1);
    });
  });

  it.each([
    ["another flavor", { flavor: "processes", maxWorkers: 1, config }],
    ["another maxWorkers", { flavor: "interpreters", maxWorkers: 2, config }],
    ["another config", { flavor: "interpreters", maxWorkers: 1, config: new RuntimeConfig() }],
  ] as [string, RunOptions][])("a nested scope with %s gets a Run of its own, shut down at its end", async (_, options) => {
    await Run.scope({ flavor: "interpreters", maxWorkers: 1, config }, async (outer) => {
      const inner = await Run.scope(options, async (ex) => {
        expect(ex).not.toBe(outer);
        await ex.submit(square, 2);
        return ex;
      });
      expect(() => inner.submit(square, 1)).toThrow("cannot schedule new futures after shutdown");
      expect(await within(outer.submit(square, 4), "the parent")).toBe(16);
    });
  });

  it("a nested scope's options are checked even where the parent would match", async () => {
    await Run.scope({ config }, async () => {
      const body = vi.fn();
      await expect(Run.scope({ config, flavr: "processes" } as RunOptions, body)).rejects.toThrow(TypeError);
      expect(body).not.toHaveBeenCalled();
    });
  });

  it("entering the same Run twice throws; so does entering one that was shut down", async () => {
    const run = new Run({ config });
    const gate = deferred();
    const first = run.scope(() => gate.promise);
    await expect(run.scope(async () => 1)).rejects.toThrow("Run: this Run was already entered; create a new Run for each scope");
    gate.resolve();
    await within(first, "the first scope");
    await expect(run.scope(async () => 2)).rejects.toThrow(/already entered/);
    const closed = new Run({ config });
    await closed.shutdown();
    await expect(closed.scope(async () => 3)).rejects.toThrow("Run: this Run was shut down; create a new Run for each scope");
  });
});

describe("a Run's futures", () => {
  it("mirror the pool's: running while it runs (cancel() false); a call waiting its turn cancels at once", async () => {
    const run = new Run({ flavor: "interpreters", maxWorkers: 1, config });
    const cell = counterCell();
    const first = run.submit(holdCounting, cell);
    const second = run.submit(square, 3);
    await startedAtLeast(cell, 1);
    await until(() => first.running(), "the first call running");
    expect(first.cancel()).toBe(false);
    expect(second.running()).toBe(false);
    expect(second.cancel()).toBe(true);
    expect(second.state).toBe("CANCELLED_AND_NOTIFIED");
    releaseCalls(cell, 1);
    const { done, notDone } = await within(wait([first, second]), "wait()");
    expect([done.size, notDone.size]).toEqual([2, 0]);
    expect(await first).toBeGreaterThan(0);
  });

  it("an AbortSignal cancels every call waiting its turn, with one listener however many share it", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const run = new Run({ maxWorkers: 1, config });
      const gate = deferred();
      const blocker = run.submit(() => gate.promise);
      const controller = new AbortController();
      const waiting = range(30).map((i) => run.submitWith({ signal: controller.signal }, (x: number) => x, i));
      const mapped = run.map((x: number) => x, range(30), { signal: controller.signal });
      controller.abort(new Error("stop"));
      expect(waiting.every((f) => f.cancelled())).toBe(true);
      await expect(within(mapped.next(), "the aborted map")).rejects.toThrow("stop");
      gate.resolve();
      await within(blocker, "the blocking call");
      await turns(5);
      expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("module-level submit and map", () => {
  it("outside any scope: the scheduler's default executor (event loop by default)", async () => {
    expect((await within(submit(where), "submit")).pid).toBe(process.pid);
    expect(await within(map(square, [1, 2, 3]).toArray(), "map")).toEqual([1, 4, 9]);
  });

  it("inside Run.scope: the scope's Run, also from callbacks the body starts", async () => {
    await Run.scope({ flavor: "processes", maxWorkers: 1, config }, async (ex) => {
      const pid = await childPid(ex);
      expect((await within(submit(where), "submit")).pid).toBe(pid);
      expect(await within(map(pidAfter, [0, 0]).toArray(), "map")).toEqual([pid, pid]);
      const later = new Promise<{ pid: number }>((resolve, reject) => {
        setTimeout(() => submit(where).then(resolve, reject), 1);
      });
      expect((await within(later, "submit from a timer")).pid).toBe(pid);
    });
    expect((await within(submit(where), "submit after the scope")).pid).toBe(process.pid);
  });
});

describe("trace", () => {
  it("a function receives every decision of the Run", async () => {
    const traced: Decision[] = [];
    const run = new Run({ flavor: "threads", config: new RuntimeConfig({ threadMode: "nogil" }), trace: (d) => traced.push(d) });
    expect(traced).toEqual([run.decision]);
    await within(run.submit(square, 2), "routed call");
    expect(traced[1]).toMatchObject({ scope: "task", resolved: "worker-threads" });
    await run.shutdown();
  });

  it("true prints each decision to stderr, one line each", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const run = new Run({ flavor: "processes", maxWorkers: 3, name: "traced", trace: true, config });
      expect(write).toHaveBeenCalledWith('unirun: processes "traced" → child-processes (pinned-mode; 3 workers)\n');
      expect(run.decision.name).toBe("traced");
    } finally {
      write.mockRestore();
    }
  });
});

describe("option validation", () => {
  it.each([
    [{ flavor: "gpu" }, RangeError, 'Run(flavor): unknown flavor "gpu"; accepted flavors are auto, threads, interpreters, processes, none'],
    [{ flavour: "auto" }, TypeError, 'Run(options): unknown option "flavour"; accepted options are flavor, maxWorkers, name, config, trace, executor'],
    [{ maxWorkers: 0 }, RangeError, "Run(maxWorkers): max_workers must be greater than 0; got 0"],
    [{ maxWorkers: 1.5 }, RangeError, "Run(maxWorkers): must be a positive integer; got 1.5"],
    [{ maxWorkers: "2" }, TypeError, "Run(maxWorkers): must be a positive integer"],
    [{ name: 3 }, TypeError, "Run(name): must be a string"],
    [{ config: { mode: "auto" } }, TypeError, "Run(config): must be a RuntimeConfig"],
    [{ trace: "yes" }, TypeError, "Run(trace): must be a boolean or a function"],
    [{ executor: { submit() {} } }, TypeError, "Run(executor): must be an Executor"],
    [null, TypeError, "Run(options): must be an object"],
  ] as [unknown, ErrorConstructor, string][])("%j: %s", async (options, Kind, message) => {
    expect(() => new Run(options as RunOptions)).toThrow(Kind);
    expect(() => new Run(options as RunOptions)).toThrow(message);
    const body = vi.fn();
    await expect(Run.scope(options as RunOptions, body)).rejects.toThrow(Kind);
    expect(body).not.toHaveBeenCalled();
  });

  it("Run.scope rejects a body that is not a function", async () => {
    await expect(Run.scope({}, "body" as never)).rejects.toThrow("Run.scope(options, body): body must be a function");
  });
});
