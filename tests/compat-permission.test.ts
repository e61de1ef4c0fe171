/**
 * Managed executors under Node's permission model, for real: the probe
 * (fixtures/compat-permission-probe.ts, compiled to JavaScript since no
 * TypeScript loader starts under the model) builds each managed executor in a
 * child Node run with this Node's permission flags, and reports where its
 * tasks ran and which DowngradeWarnings it saw. Fallback order (SPEC §4):
 * child-processes → worker-threads → event-loop; the work still runs.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileModules } from "./fixtures/run-caps-compile.js";
import type { Outcome } from "./fixtures/compat-permission-probe.js";
import { root } from "./run-node.js";

const PROBE = "tests/fixtures/compat-permission-probe.ts";

interface Report {
  permission: { workers: boolean; children: boolean };
  ThreadPoolExecutor: Outcome;
  InterpreterPoolExecutor: Outcome;
  ProcessPoolExecutor: Outcome;
  withInitializer: Outcome & { initialized?: number };
  native: { InterpreterPoolExecutor: string; ProcessPoolExecutor: string };
  warnings: { name: string; code: string; message: string }[];
}

/** This Node's spelling of the permission flag: `--experimental-permission` before 22.13, `--permission` after. */
const FLAG = semver.satisfies(process.version, "^22.13.0 || >=23.5.0") ? "--permission" : "--experimental-permission";

let dir = "";
beforeAll(async () => {
  dir = await compileModules([
    PROBE,
    "tests/fixtures/compat-tasks.ts",
    "src/executors/worker-entry.ts",
    "src/executors/child-entry.ts",
  ]);
  // Where the built package keeps them (entry.ts looks for worker.js / child.js beside compiled code).
  for (const kind of ["worker", "child"]) {
    await fs.copyFile(path.join(dir, `src/executors/${kind}-entry.js`), path.join(dir, `src/executors/${kind}.js`));
  }
}, 60_000);
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function probe(allow: string[], vars: Record<string, string> = {}): Promise<Report> {
  const env: Record<string, string | undefined> = { ...process.env, UNIRUN_THREAD_MODE: "nogil", ...vars };
  delete env.NODE_OPTIONS; // a loader in NODE_OPTIONS would need a worker thread
  const script = path.join(dir, PROBE.replace(/\.ts$/, ".js"));
  const args = [FLAG, "--allow-fs-read=*", ...allow, script];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, env, timeout: 50_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`probe failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

const down = (surface: string, reason: string, requested: string, resolved: string): string =>
  `${surface} downgraded to native behaviour: ${reason} (requested=${requested}, resolved=${resolved})`;
const DENY_WORKERS = "Node's permission model denies worker threads (run node with --allow-worker to allow them)";
const CLOSURE = /^TypeError: submit\(fn, \.\.\.args\): fn captures `offset`/;
const onLoop = { threadId: 0, sameProcess: true };
const ran = { sum: 5, selfContained: 42 };

describe(`managed executors under ${FLAG} (a real child Node)`, { timeout: 60_000 }, () => {
  it("no workers, no children: everything falls back to the event loop, with a warning each, and still runs", async () => {
    const report = await probe([]);
    expect(report.permission).toEqual({ workers: false, children: false });
    expect(report.ThreadPoolExecutor).toMatchObject({ decision: { resolved: "event-loop" }, where: onLoop, ...ran, closure: "2" });
    for (const name of ["InterpreterPoolExecutor", "ProcessPoolExecutor"] as const) {
      expect(report[name]).toMatchObject({ decision: { resolved: "event-loop", reason: "downgrade" }, where: onLoop, ...ran });
      // Still the transferable-only semantics of the requested executor.
      expect(report[name].closure).toMatch(CLOSURE);
    }
    // With an initializer: a dedicated pool of its own, on the event loop, the initializer run once.
    expect(report.withInitializer).toMatchObject({ decision: { resolved: "event-loop" }, where: onLoop, initialized: 1 });
    expect(report.withInitializer.closure).toMatch(CLOSURE);
    expect(report.native.InterpreterPoolExecutor).toMatch(/^BrokenInterpreterPool: .*\[ERR_ACCESS_DENIED\]$/);
    expect(report.native.ProcessPoolExecutor).toMatch(/^BrokenProcessPool: .*\[ERR_ACCESS_DENIED\]$/);
    expect(report.warnings.map((w) => [w.name, w.code])).toEqual(Array(5).fill(["DowngradeWarning", "UNIRUN_DOWNGRADE"]));
    const denyBoth = down(
      "ProcessPoolExecutor",
      "Node's permission model denies child processes and worker threads " +
        "(run node with --allow-child-process and --allow-worker to allow them)",
      "child-processes",
      "event-loop",
    );
    expect(report.warnings.map((w) => w.message)).toEqual([
      down("ThreadPoolExecutor", DENY_WORKERS, "worker-threads", "event-loop"),
      down("InterpreterPoolExecutor", DENY_WORKERS, "worker-threads", "event-loop"),
      denyBoth,
      denyBoth, // the executor with an initializer warns for itself
      down(
        "ProcessPoolExecutor",
        "initializer/initargs cannot be applied to a shared pool, so this executor gets a native pool of its own",
        "a shared event-loop pool",
        "a dedicated event-loop pool",
      ),
    ]);
  });

  it("--allow-worker: a process pool falls back to worker threads", async () => {
    const report = await probe(["--allow-worker"]);
    expect(report.permission).toEqual({ workers: true, children: false });
    expect(report.native).toEqual({
      InterpreterPoolExecutor: "ran: 2",
      ProcessPoolExecutor: expect.stringMatching(/^BrokenProcessPool: .*\[ERR_ACCESS_DENIED\]$/),
    });
    expect(report.ProcessPoolExecutor).toMatchObject({ decision: { resolved: "worker-threads", reason: "downgrade" }, ...ran });
    expect(report.ProcessPoolExecutor.where).toMatchObject({ sameProcess: true });
    expect(report.ProcessPoolExecutor.where!.threadId).not.toBe(0);
    expect(report.ProcessPoolExecutor.closure).toMatch(/captures `offset`/);
    expect(report.InterpreterPoolExecutor).toMatchObject({ decision: { resolved: "worker-threads", reason: "default" }, ...ran });
    expect(report.ThreadPoolExecutor.where!.threadId).not.toBe(0); // nogil: to a worker
    expect(report.withInitializer).toMatchObject({ decision: { resolved: "worker-threads" }, initialized: 1 });
    expect(report.withInitializer.where!.threadId).not.toBe(0);
    const denyChildren = down(
      "ProcessPoolExecutor",
      "Node's permission model denies child processes (run node with --allow-child-process to allow them)",
      "child-processes",
      "worker-threads",
    );
    expect(report.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^ThreadPoolExecutor downgraded to native behaviour: a task that is not transferable/),
      denyChildren,
      denyChildren,
      expect.stringMatching(/^ProcessPoolExecutor downgraded to native behaviour: initializer\/initargs .*resolved=a dedicated worker-threads pool\)$/),
    ]);
  });

  it("--allow-child-process: worker-thread work falls back to the event loop, processes run", async () => {
    const report = await probe(["--allow-child-process"]);
    expect(report.permission).toEqual({ workers: false, children: true });
    expect(report.native).toEqual({
      InterpreterPoolExecutor: expect.stringMatching(/^BrokenInterpreterPool: .*\[ERR_ACCESS_DENIED\]$/),
      ProcessPoolExecutor: "ran: 2",
    });
    expect(report.ProcessPoolExecutor).toMatchObject({ decision: { resolved: "child-processes" }, ...ran });
    expect(report.ProcessPoolExecutor.where).toMatchObject({ sameProcess: false });
    expect(report.InterpreterPoolExecutor).toMatchObject({ decision: { resolved: "event-loop" }, where: onLoop, ...ran });
    expect(report.withInitializer).toMatchObject({ decision: { resolved: "child-processes" }, initialized: 1 });
    expect(report.warnings.map((w) => w.message)).toEqual([
      down("ThreadPoolExecutor", DENY_WORKERS, "worker-threads", "event-loop"),
      down("InterpreterPoolExecutor", DENY_WORKERS, "worker-threads", "event-loop"),
      expect.stringMatching(/^ProcessPoolExecutor downgraded to native behaviour: initializer\/initargs .*resolved=a dedicated child-processes pool\)$/),
    ]);
  });

  it("UNIRUN_WARNINGS=error: the constructors (and the routed submit) throw DowngradeError instead", async () => {
    const report = await probe([], { UNIRUN_WARNINGS: "error" });
    expect(report.InterpreterPoolExecutor.constructed).toMatch(/^DowngradeError: InterpreterPoolExecutor downgraded .*\[UNIRUN_DOWNGRADE\]$/);
    expect(report.ProcessPoolExecutor.constructed).toMatch(/^DowngradeError: ProcessPoolExecutor downgraded .*\[UNIRUN_DOWNGRADE\]$/);
    expect(report.ThreadPoolExecutor.closure).toMatch(/^failed: DowngradeError: ThreadPoolExecutor downgraded .*denies worker threads/);
    expect(report.warnings).toEqual([]);
  });
});
