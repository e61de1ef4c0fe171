/**
 * The scheduler's rules (SPEC §5): `decide()` as a pure function of the
 * request, a RuntimeConfig and Capabilities — every rule with its reason
 * code, their precedence (explicit executor > force env > pinned mode > hints
 * > thread mode > default), the permission-model fallback and sizing — then
 * the same rules seen through `Run` and the environment, and decisions on
 * `unirun:decision`, `lastDecision()` and `observeDecisions()`.
 *
 * Shared pools, breakage, reset() and process exit are in
 * run-scheduler.pools.test.ts.
 */
import diagnostics_channel from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import { ThreadPoolExecutor as NativeThreadPool } from "../src/api/futures.js";
import {
  DECISION_CHANNEL,
  ExecutionContext,
  lastDecision,
  observeDecisions,
  reset,
  Run,
  RuntimeConfig,
  submit,
  type Decision,
} from "../src/index.js";
import { decide, type DecisionRequest } from "../src/run/decide.js";
import { capsWith, setEnv, square, where } from "./fixtures/sched-helpers.js";
import { within } from "./thread-pool.helpers.js";

const CAPS = capsWith({
  suggested: { io: 10, cpu: 3, process: 4 },
  workerThreadsAllowed: true,
  childProcessesAllowed: true,
});
const DEFAULTS = new RuntimeConfig();
const quiet = (init: ConstructorParameters<typeof RuntimeConfig>[0] = {}) =>
  new RuntimeConfig({ warnings: "ignore", ...init });

function request(overrides: Partial<DecisionRequest> = {}): DecisionRequest {
  return { surface: "Run", flavor: null, implied: false, maxWorkers: null, ioHeavy: null, name: null, component: null, ...overrides };
}

afterEach(async () => {
  await reset();
});

describe("decide(): one rule at a time", () => {
  it("default: an auto request runs on the event loop, sized for I/O", () => {
    const plan = decide(request(), DEFAULTS, CAPS);
    expect(plan).toMatchObject({ flavor: "auto", backend: "event-loop", poolSize: 10, downgrades: [] });
    expect(plan.decision).toMatchObject({ requested: "auto", resolved: "event-loop", reason: "default", scope: "executor" });
  });

  it.each([
    ["threads", "event-loop", 10],
    ["interpreters", "worker-threads", 3],
    ["processes", "child-processes", 4],
    ["none", "event-loop", 10],
  ] as const)("pinned mode: flavor %s runs on %s (%i workers)", (flavor, backend, size) => {
    const plan = decide(request({ flavor }), DEFAULTS, CAPS);
    expect(plan).toMatchObject({ flavor, backend, poolSize: size });
    expect(plan.decision).toMatchObject({ requested: flavor, resolved: backend, reason: "pinned-mode", poolSize: size });
  });

  it("pinned mode from UNIRUN_MODE when the code names no flavor", () => {
    const plan = decide(request(), new RuntimeConfig({ mode: "processes" }), CAPS);
    expect(plan.decision).toMatchObject({ requested: "auto", resolved: "child-processes", reason: "pinned-mode", detail: "UNIRUN_MODE=processes" });
  });

  it("force env: UNIRUN_FORCE_PROCESS moves an auto request to child processes, keeping auto's semantics", () => {
    const plan = decide(request(), new RuntimeConfig({ forceProcess: true }), CAPS);
    expect(plan).toMatchObject({ flavor: "auto", backend: "child-processes", poolSize: 4, downgrades: [] });
    expect(plan.decision).toMatchObject({ reason: "force-env", detail: "UNIRUN_FORCE_PROCESS=1" });
  });

  it("force env: UNIRUN_FORCE_THREADS moves an interpreters request to the event loop, with a downgrade", () => {
    const plan = decide(request({ flavor: "interpreters" }), new RuntimeConfig({ forceThreads: true }), CAPS);
    expect(plan).toMatchObject({ flavor: "threads", backend: "event-loop", poolSize: 10 });
    expect(plan.decision).toMatchObject({ reason: "force-env", detail: "UNIRUN_FORCE_THREADS=1" });
    expect(plan.downgrades).toEqual([{
      surface: "Run",
      reason: "UNIRUN_FORCE_THREADS forces threads over the requested interpreters",
      requested: "worker-threads",
      resolved: "event-loop",
    }]);
  });

  it("force env leaves flavor none alone: no automation", () => {
    const plan = decide(request({ flavor: "none" }), new RuntimeConfig({ forceProcess: true }), CAPS);
    expect(plan).toMatchObject({ backend: "event-loop", flavor: "none" });
    expect(plan.decision.reason).toBe("pinned-mode");
  });

  it.each([
    [false, "worker-threads", 3],
    [true, "event-loop", 10],
  ] as const)("hint: ioHeavy %s sends an auto request to %s", (ioHeavy, backend, size) => {
    const plan = decide(request({ ioHeavy }), DEFAULTS, CAPS);
    expect(plan).toMatchObject({ flavor: "auto", backend, poolSize: size, downgrades: [] });
    expect(plan.decision).toMatchObject({ reason: "hint", detail: `ioHeavy: ${ioHeavy}` });
  });

  it("a compat constructor's own kind is the default, shown by its name", () => {
    const plan = decide(request({ surface: "ProcessPoolExecutor", flavor: "processes", implied: true }), DEFAULTS, CAPS);
    expect(plan.decision).toMatchObject({ requested: "ProcessPoolExecutor", resolved: "child-processes", reason: "default" });
  });

  it("name and component are carried into the decision", () => {
    const plan = decide(request({ name: "ingest", component: "parser" }), DEFAULTS, CAPS);
    expect(plan.decision).toMatchObject({ name: "ingest", component: "parser" });
  });

  it("is deterministic: the same inputs give equal plans", () => {
    const config = new RuntimeConfig({ forceProcess: true, maxWorkers: 2 });
    const req = request({ flavor: "interpreters", ioHeavy: false, name: "n" });
    expect(decide(req, config, CAPS)).toEqual(decide(req, config, CAPS));
  });
});

describe("decide(): precedence", () => {
  it("force env beats pinned mode (UNIRUN_MODE), which beats hints", () => {
    const pinnedAndHint = new RuntimeConfig({ mode: "interpreters" });
    const both = new RuntimeConfig({ mode: "interpreters", forceProcess: true });
    expect(decide(request({ ioHeavy: true }), both, CAPS).decision).toMatchObject({ resolved: "child-processes", reason: "force-env" });
    const pinned = decide(request({ ioHeavy: true }), pinnedAndHint, CAPS);
    expect(pinned.decision).toMatchObject({ resolved: "worker-threads", reason: "pinned-mode" });
    expect(pinned.downgrades).toEqual([expect.objectContaining({ requested: "event-loop", resolved: "worker-threads" })]);
  });

  it("a flavor named in code beats UNIRUN_MODE and ignores hints", () => {
    const config = new RuntimeConfig({ mode: "processes" });
    const plan = decide(request({ flavor: "threads", ioHeavy: false }), config, CAPS);
    expect(plan.decision).toMatchObject({ resolved: "event-loop", reason: "pinned-mode" });
    expect(plan.downgrades).toEqual([]);
  });

  it("an explicit executor beats every rule, even force env", () => {
    const native = new NativeThreadPool({ maxWorkers: 3 });
    const run = new Run({ executor: native, flavor: "processes", config: new RuntimeConfig({ forceProcess: true }) });
    expect(run.decision).toMatchObject({ requested: "processes", resolved: "event-loop", reason: "explicit-executor", poolSize: 3 });
  });
});

describe("decide(): the permission model", () => {
  const noChildren = capsWith({ ...CAPS, childProcessesAllowed: false });
  const nothing = capsWith({ ...CAPS, childProcessesAllowed: false, workerThreadsAllowed: false });
  const noWorkers = capsWith({ ...CAPS, workerThreadsAllowed: false });

  it("child processes denied: child-processes falls back to worker-threads", () => {
    const plan = decide(request({ flavor: "processes" }), DEFAULTS, noChildren);
    expect(plan).toMatchObject({ flavor: "processes", backend: "worker-threads", poolSize: 3 });
    expect(plan.decision).toMatchObject({ resolved: "worker-threads", reason: "downgrade" });
    expect(plan.downgrades).toEqual([{
      surface: "Run",
      reason: "Node's permission model denies child processes (run node with --allow-child-process to allow them)",
      requested: "child-processes",
      resolved: "worker-threads",
    }]);
  });

  it("both denied: child-processes falls back to the event loop, sized for CPU work", () => {
    const plan = decide(request({ flavor: "processes" }), DEFAULTS, nothing);
    expect(plan).toMatchObject({ backend: "event-loop", poolSize: 3 });
    expect(plan.downgrades[0]).toMatchObject({ requested: "child-processes", resolved: "event-loop" });
    expect(plan.downgrades[0]!.reason).toContain("--allow-child-process and --allow-worker");
  });

  it("worker threads denied: worker-threads falls back to the event loop; child processes are unaffected", () => {
    expect(decide(request({ flavor: "interpreters" }), DEFAULTS, noWorkers).decision)
      .toMatchObject({ resolved: "event-loop", reason: "downgrade" });
    expect(decide(request({ flavor: "processes" }), DEFAULTS, noWorkers).decision)
      .toMatchObject({ resolved: "child-processes", reason: "pinned-mode" });
  });

  it("a forced or hinted backend that is denied falls back too", () => {
    expect(decide(request(), new RuntimeConfig({ forceProcess: true }), nothing).decision)
      .toMatchObject({ resolved: "event-loop", reason: "downgrade" });
    expect(decide(request({ ioHeavy: false }), DEFAULTS, noWorkers).decision)
      .toMatchObject({ resolved: "event-loop", reason: "downgrade" });
  });
});

describe("decide(): sizing", () => {
  it("UNIRUN_MAX_WORKERS caps automatic sizes, never raises them", () => {
    expect(decide(request({ flavor: "processes" }), new RuntimeConfig({ maxWorkers: 2 }), CAPS).poolSize).toBe(2);
    expect(decide(request(), new RuntimeConfig({ maxWorkers: 2 }), CAPS).poolSize).toBe(2);
    expect(decide(request({ flavor: "interpreters" }), new RuntimeConfig({ maxWorkers: 50 }), CAPS).poolSize).toBe(3);
  });

  it("an explicit maxWorkers always wins, over the cap and the suggestion", () => {
    const config = new RuntimeConfig({ maxWorkers: 2 });
    const plan = decide(request({ flavor: "processes", maxWorkers: 64 }), config, CAPS);
    expect(plan.poolSize).toBe(64);
    expect(plan.decision.poolSize).toBe(64);
  });

  it("Run sizes from the environment: UNIRUN_MAX_WORKERS, re-read after reset()", async () => {
    const restore = setEnv({ UNIRUN_MAX_WORKERS: "1" });
    try {
      await reset();
      expect(new Run({ flavor: "processes" }).decision.poolSize).toBe(1);
      expect(new Run({ flavor: "processes", maxWorkers: 3 }).decision.poolSize).toBe(3);
    } finally {
      restore();
    }
    await reset();
    expect(new Run({ flavor: "processes" }).decision.poolSize).toBeGreaterThanOrEqual(1);
    expect(new Run({ flavor: "processes" }).maxWorkers).toBe(new Run({ flavor: "processes" }).decision.poolSize);
  });

  it("Run reads UNIRUN_MODE and UNIRUN_FORCE_* from the environment, again after reset()", async () => {
    const restore = setEnv({ UNIRUN_MODE: "interpreters", UNIRUN_FORCE_PROCESS: undefined, UNIRUN_FORCE_THREADS: undefined });
    try {
      await reset();
      expect(new Run().decision).toMatchObject({ resolved: "worker-threads", reason: "pinned-mode", detail: "UNIRUN_MODE=interpreters" });
      process.env.UNIRUN_FORCE_PROCESS = "yes";
      expect(new Run().decision.reason).toBe("pinned-mode");
      await reset();
      expect(new Run().decision).toMatchObject({ resolved: "child-processes", reason: "force-env" });
    } finally {
      restore();
    }
  });

  it("Run sizes from capabilities when nothing caps it", () => {
    const caps = capsWith({});
    expect(new Run({ flavor: "interpreters", config: DEFAULTS }).maxWorkers).toBe(caps.suggested.cpu);
    expect(new Run({ config: DEFAULTS }).maxWorkers).toBe(caps.suggested.io);
  });
});

describe("decisions are published", () => {
  it("on unirun:decision, as lastDecision(), and to observeDecisions(), with the ExecutionContext's component", async () => {
    const seen: Decision[] = [];
    const onMessage = (message: unknown): void => void seen.push(message as Decision);
    diagnostics_channel.subscribe(DECISION_CHANNEL, onMessage);
    const stream = observeDecisions();
    try {
      const run = new ExecutionContext({ component: "ingest" }).run(() => new Run({ name: "loader", config: quiet() }));
      expect(run.decision).toMatchObject({ name: "loader", component: "ingest", scope: "executor" });
      expect(Object.isFrozen(run.decision)).toBe(true);
      expect(seen).toEqual([run.decision]);
      expect(lastDecision()).toBe(run.decision);
      expect((await within(stream.next(), "observed decision")).value).toBe(run.decision);
    } finally {
      diagnostics_channel.unsubscribe(DECISION_CHANNEL, onMessage);
      await stream[Symbol.asyncDispose]();
    }
  });

  it("per-task routing is published with scope task and the component current at submit", async () => {
    const run = new Run({ flavor: "threads", name: "nogil", config: quiet({ threadMode: "nogil" }) });
    const seen: Decision[] = [];
    const stop = observeDecisions((d) => seen.push(d));
    try {
      const placed = await new ExecutionContext({ component: "parser" }).run(() => run.submit(where));
      expect(placed.threadId).not.toBe(0);
      expect(seen).toEqual([expect.objectContaining({
        scope: "task", resolved: "worker-threads", reason: "thread-mode", component: "parser", name: "nogil",
      })]);
    } finally {
      stop();
      await run.shutdown();
    }
  });

  it("module-level submit reads ExecutionContext per task, not when its default executor was made", async () => {
    const seen: Decision[] = [];
    const stop = observeDecisions((d) => seen.push(d));
    try {
      const cpu = new ExecutionContext({ component: "crunch", ioHeavy: false });
      expect(await cpu.run(() => submit(square, 7))).toBe(49);
      const routed = seen.find((d) => d.scope === "task");
      expect(routed).toMatchObject({ resolved: "worker-threads", reason: "hint", component: "crunch" });
      const made = seen.find((d) => d.scope === "executor");
      expect(made).toMatchObject({ resolved: "event-loop", component: null, name: "default" });
      // Outside the context, a transferable task stays on the event loop.
      expect((await submit(where)).threadId).toBe(0);
    } finally {
      stop();
    }
  });
});

describe("ExecutionContext", () => {
  it("nests (the innermost wins) and is gone outside run()", async () => {
    const outer = new ExecutionContext({ component: "outer", ioHeavy: true });
    const inner = new ExecutionContext({ component: "inner" });
    expect(ExecutionContext.current()).toBeNull();
    const seen = await outer.run(async () => {
      await Promise.resolve();
      return [ExecutionContext.current(), inner.run(() => ExecutionContext.current())];
    });
    expect(seen).toEqual([outer, inner]);
    expect(Object.isFrozen(outer)).toBe(true);
    expect(ExecutionContext.current()).toBeNull();
  });

  it.each([
    [{ label: "x" }, 'ExecutionContext(options): unknown option "label"; accepted options are component, ioHeavy'],
    [{ component: 1 }, "ExecutionContext(component): must be a string; got"],
    [{ ioHeavy: "yes" }, "ExecutionContext(ioHeavy): must be a boolean; got"],
    [null, "ExecutionContext(options): must be an object; got"],
  ])("rejects %j with a TypeError", (options, message) => {
    expect(() => new ExecutionContext(options as never)).toThrow(TypeError);
    expect(() => new ExecutionContext(options as never)).toThrow(message);
  });

  it("run(fn) needs a function", () => {
    expect(() => new ExecutionContext().run("fn" as never)).toThrow("ExecutionContext.run(fn): fn must be a function");
  });
});
