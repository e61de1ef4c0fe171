/**
 * Downgrade warnings of the managed executors (SPEC §4): every fallback says
 * so through `process.emitWarning` — name `DowngradeWarning`, code
 * `UNIRUN_DOWNGRADE`, message `<Surface> downgraded to native behaviour:
 * <reason> (requested=<x>, resolved=<y>)` — once per executor and reason, and
 * the work still runs. `UNIRUN_WARNINGS=error` makes the triggering call throw
 * `DowngradeError`; `ignore` silences. One test per trigger; the permission
 * model is in compat-permission.test.ts, thread-mode routing in
 * compat-routing.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, RuntimeConfig } from "../src/run/config.js";
import { ExecutionContext } from "../src/run/context.js";
import { InterpreterPoolExecutor, ProcessPoolExecutor, ThreadPoolExecutor } from "../src/run/managed-executors.js";
import { Run } from "../src/run/run.js";
import { reset } from "../src/run/scheduler.js";
import { DowngradeError } from "../src/run/warnings.js";
import { ref } from "./double.helpers.js";

let saved: Record<string, string | undefined>;
let warnings: (Error & { code?: string })[] = [];
const onWarning = (w: Error): void => {
  if (w.name === "DowngradeWarning") warnings.push(w);
};

beforeEach(() => {
  saved = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, process.env[name]]));
  warnings = [];
  process.on("warning", onWarning);
});
afterEach(async () => {
  process.off("warning", onWarning);
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await reset();
});

/** Set `UNIRUN_*` variables (restored after the test) and make the scheduler read them. */
async function env(vars: Record<string, string>): Promise<void> {
  await reset();
  for (const name of CONFIG_VARIABLES) if (name !== "UNIRUN_COMPAT_MODE") delete process.env[name];
  Object.assign(process.env, vars);
}

/** Node delivers warnings on a later tick: by `setImmediate`, all emitted so far have arrived. */
const flushed = (): Promise<(Error & { code?: string })[]> =>
  new Promise((resolve) => setImmediate(() => resolve(warnings)));

const message = (surface: string, reason: string, requested: string, resolved: string): string =>
  `${surface} downgraded to native behaviour: ${reason} (requested=${requested}, resolved=${resolved})`;
const SHARED = "cannot be applied to a shared pool, so this executor gets a native pool of its own";

describe("a dedicated native pool: initializer/initargs, execArgv/env", () => {
  it("ThreadPoolExecutor with an initializer: warns once per executor, and the initializer runs", async () => {
    await env({});
    const make = () => new ThreadPoolExecutor({ maxWorkers: 1, initializer: ref("remember"), initargs: ["warn-tpe", 1] });
    const ex = make();
    expect(await ex.submit(ref("remembered"), "warn-tpe", 1)).toBe(1);
    expect(await ex.submit(ref("remembered"), "warn-tpe", 1)).toBe(1);
    const other = make();
    await Promise.all([ex.shutdown(), other.shutdown()]);
    const received = await flushed();
    expect(received).toHaveLength(2);
    for (const w of received) {
      expect(w).toMatchObject({ name: "DowngradeWarning", code: "UNIRUN_DOWNGRADE" });
      expect(w.message).toBe(message(
        "ThreadPoolExecutor",
        "initializer/initargs must run in every slot that runs a task, so this executor keeps a native pool of its own " +
          "and UNIRUN_THREAD_MODE does not route its tasks",
        "a shared event-loop pool",
        "a dedicated event-loop pool",
      ));
    }
    expect(ex.decision).toMatchObject({ resolved: "event-loop", reason: "downgrade" });
  });

  it("InterpreterPoolExecutor with an initializer (initargs alone are not enough)", async () => {
    await env({});
    const plain = new InterpreterPoolExecutor({ maxWorkers: 1, initargs: [] });
    const ex = new InterpreterPoolExecutor({ maxWorkers: 1, initializer: ref("remember"), initargs: ["warn-ipe", 1] });
    expect(await ex.submit(ref("remembered"), "warn-ipe", 1)).toBe(1);
    await Promise.all([plain.shutdown(), ex.shutdown()]);
    const received = await flushed();
    expect(received.map((w) => w.message)).toEqual([
      message("InterpreterPoolExecutor", `initializer/initargs ${SHARED}`, "a shared worker-threads pool", "a dedicated worker-threads pool"),
    ]);
    expect(plain.decision.reason).toBe("default");
  });

  it.each<[string, Record<string, unknown>]>([
    ["initializer", { initializer: ref("remember"), initargs: ["warn-ppe", 1] }],
    ["execArgv", { execArgv: [] }],
    ["env", { env: { ...process.env, UNIRUN_WARN_PROBE: "1" } }],
    ["execArgv/env", { execArgv: ["--stack-size=900"], env: { ...process.env } }],
  ])("ProcessPoolExecutor with %s", async (_label, options) => {
    await env({});
    const ex = new ProcessPoolExecutor({ maxWorkers: 1, ...options });
    const given = ["initializer", "initargs", "execArgv", "env"].filter((key) => key in options).join("/");
    expect(ex.decision).toMatchObject({ resolved: "child-processes", reason: "downgrade" });
    await ex.shutdown();
    const received = await flushed();
    expect(received.map((w) => w.message)).toEqual([
      message("ProcessPoolExecutor", `${given} ${SHARED}`, "a shared child-processes pool", "a dedicated child-processes pool"),
    ]);
  });

  it("the dedicated process pool really has the options (env reaches the child)", async () => {
    await env({});
    const ex = new ProcessPoolExecutor({ maxWorkers: 1, env: { ...process.env, UNIRUN_WARN_PROBE: "child" } });
    expect((await ex.submit(ref("environment"), "UNIRUN_WARN_PROBE")).value).toBe("child");
    await ex.shutdown();
  });
});

describe("a closure under UNIRUN_THREAD_MODE=nogil", () => {
  it("runs on the event loop with a warning", async () => {
    await env({ UNIRUN_THREAD_MODE: "nogil" });
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    const box = { n: 1 };
    expect(await ex.submit(() => ++box.n)).toBe(2);
    await ex.shutdown();
    const [warning] = await flushed();
    expect(warning!.message).toMatch(/^ThreadPoolExecutor downgraded to native behaviour: a task that is not transferable/);
  });
});

describe("a forced or pinned mode that differs from what was requested", () => {
  it("UNIRUN_FORCE_PROCESS moves an InterpreterPoolExecutor to child processes", async () => {
    await env({ UNIRUN_FORCE_PROCESS: "1" });
    const ex = new InterpreterPoolExecutor({ maxWorkers: 1 });
    expect(ex.decision).toMatchObject({ resolved: "child-processes", reason: "force-env" });
    expect((await ex.submit(ref("whoAmI"))).pid).not.toBe(process.pid);
    await ex.shutdown();
    expect((await flushed()).map((w) => w.message)).toEqual([
      message("InterpreterPoolExecutor", "UNIRUN_FORCE_PROCESS forces processes over the requested interpreters", "worker-threads", "child-processes"),
    ]);
  });

  it("UNIRUN_FORCE_PROCESS moves a ThreadPoolExecutor's transferable tasks to child processes; closures stay", async () => {
    await env({ UNIRUN_FORCE_PROCESS: "true" });
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    expect(ex.decision).toMatchObject({ resolved: "child-processes", reason: "force-env" });
    expect((await ex.submit(ref("whoAmI"))).pid).not.toBe(process.pid);
    const box = { n: 0 };
    expect(await ex.submit(() => ++box.n)).toBe(1);
    await ex.shutdown();
    expect((await flushed()).map((w) => w.message)).toEqual([
      message("ThreadPoolExecutor", "UNIRUN_FORCE_PROCESS forces processes over the requested threads", "event-loop", "child-processes"),
      expect.stringMatching(/^ThreadPoolExecutor downgraded to native behaviour: a task that is not transferable .*\(requested=child-processes, resolved=event-loop\)$/),
    ]);
  });

  it("UNIRUN_FORCE_THREADS moves a ProcessPoolExecutor to the event loop", async () => {
    await env({ UNIRUN_FORCE_THREADS: "yes" });
    const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
    expect(ex.decision).toMatchObject({ resolved: "event-loop", reason: "force-env" });
    expect((await ex.submit(ref("whoAmI"))).pid).toBe(process.pid);
    await ex.shutdown();
    expect((await flushed()).map((w) => w.message)).toEqual([
      message("ProcessPoolExecutor", "UNIRUN_FORCE_THREADS forces threads over the requested processes", "child-processes", "event-loop"),
    ]);
  });

  it("a forced mode that matches the request is not a downgrade", async () => {
    await env({ UNIRUN_FORCE_PROCESS: "on" });
    const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
    expect(ex.decision).toMatchObject({ resolved: "child-processes", reason: "force-env" });
    await ex.shutdown();
    expect(await flushed()).toEqual([]);
  });

  it("UNIRUN_MODE pinned against an ExecutionContext hint (a Run with the default flavor)", async () => {
    await env({});
    const config = RuntimeConfig.fromEnv({ UNIRUN_MODE: "interpreters" });
    const run = new ExecutionContext({ ioHeavy: true }).run(() => new Run({ config, maxWorkers: 1 }));
    expect(run.decision).toMatchObject({ resolved: "worker-threads", reason: "pinned-mode" });
    await run.shutdown();
    expect((await flushed()).map((w) => w.message)).toEqual([
      message("Run", "UNIRUN_MODE=interpreters overrides the ExecutionContext hint (ioHeavy: true)", "event-loop", "worker-threads"),
    ]);
  });
});

describe("UNIRUN_WARNINGS", () => {
  it("error: the triggering call throws DowngradeError instead, and nothing is emitted", async () => {
    await env({ UNIRUN_WARNINGS: "error", UNIRUN_THREAD_MODE: "nogil" });
    let thrown: unknown = null;
    try {
      new ProcessPoolExecutor({ maxWorkers: 1, execArgv: [] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DowngradeError);
    expect(thrown).toMatchObject({
      name: "DowngradeError",
      code: "UNIRUN_DOWNGRADE",
      message: message("ProcessPoolExecutor", `execArgv ${SHARED}`, "a shared child-processes pool", "a dedicated child-processes pool"),
      surface: "ProcessPoolExecutor",
      requested: "a shared child-processes pool",
      resolved: "a dedicated child-processes pool",
    });

    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    let n = 0;
    expect(() => ex.submit(() => ++n)).toThrow(DowngradeError);
    // Every time: the call fails, it does not warn-and-continue.
    expect(() => ex.submit(() => ++n)).toThrow(/^ThreadPoolExecutor downgraded to native behaviour: a task that is not transferable/);
    expect(n).toBe(0);
    expect(await ex.submit((a: number, b: number) => a + b, 2, 3)).toBe(5);
    await ex.shutdown();
    expect(await flushed()).toEqual([]);
  });

  it("ignore: silent, and the work runs as with the warning", async () => {
    await env({ UNIRUN_WARNINGS: "ignore", UNIRUN_THREAD_MODE: "nogil" });
    const pool = new ProcessPoolExecutor({ maxWorkers: 1, env: { ...process.env, UNIRUN_WARN_PROBE: "quiet" } });
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    let n = 0;
    expect(await ex.submit(() => ++n)).toBe(1);
    expect((await pool.submit(ref("environment"), "UNIRUN_WARN_PROBE")).value).toBe("quiet");
    await Promise.all([ex.shutdown(), pool.shutdown()]);
    expect(await flushed()).toEqual([]);
  });
});
