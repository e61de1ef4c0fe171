/**
 * The native pool executors under Node's permission model, for real (SPEC §2):
 * where it denies worker threads or child processes, the first future fails
 * with the pool's Broken* error caused by ERR_ACCESS_DENIED, pending futures
 * fail too, later submits throw, and the process exits on its own — no
 * uncaught exception, no unhandled rejection, nothing left running. The probe
 * (fixtures/pool-permission-probe.ts) runs compiled, since no TypeScript
 * loader starts under the model.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileModules } from "./fixtures/run-caps-compile.js";
import type { Failure } from "./fixtures/pool-permission-probe.js";
import { root } from "./run-node.js";

const PROBE = "tests/fixtures/pool-permission-probe.ts";
// The probe gives each future 10 s; a run that takes longer than this has hung.
const RUN_LIMIT_MS = 30_000;

interface Report {
  name: string;
  outcomes: Failure[];
  later: Failure;
  states: boolean[];
}

/** The permission flag spellings this Node accepts: `--experimental-permission` before 24, `--permission` from 22.13/23.5. */
function permissionFlags(version: string): string[] {
  const flags: string[] = [];
  if (semver.satisfies(version, "<24.0.0")) flags.push("--experimental-permission");
  if (semver.satisfies(version, "^22.13.0 || >=23.5.0")) flags.push("--permission");
  return flags;
}

let dir = "";
beforeAll(async () => {
  dir = await compileModules([PROBE, "tests/fixtures/compat-tasks.ts", "src/executors/worker-entry.ts", "src/executors/child-entry.ts"]);
  // Where the built package keeps them (entry.ts looks for worker.js / child.js beside compiled code).
  for (const kind of ["worker", "child"]) {
    await fs.copyFile(path.join(dir, `src/executors/${kind}-entry.js`), path.join(dir, `src/executors/${kind}.js`));
  }
}, 60_000);
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** Runs the probe with `flag` and read access only; rejects unless it exits 0 on its own. */
function probe(flag: string, executor: string): Promise<Report> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_OPTIONS; // a loader in NODE_OPTIONS would need a worker thread
  for (const name of Object.keys(env)) if (name.startsWith("UNIRUN_")) delete env[name];
  const args = [flag, "--allow-fs-read=*", path.join(dir, PROBE.replace(/\.ts$/, ".js")), executor];
  return new Promise((resolve, reject) => {
    const options = { cwd: root, env, timeout: RUN_LIMIT_MS, killSignal: "SIGKILL" as const };
    execFile(process.execPath, args, options, (error, stdout, stderr) => {
      if (error) reject(new Error(`probe did not exit 0 on its own: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

const cases = [
  { executor: "InterpreterPoolExecutor", broken: "BrokenInterpreterPool", worker: "worker thread" },
  { executor: "ProcessPoolExecutor", broken: "BrokenProcessPool", worker: "child process" },
];

describe.each(permissionFlags(process.version))("native pools under %s, no --allow-worker / --allow-child-process", (flag) => {
  it.each(cases)("$executor: every future fails with $broken caused by ERR_ACCESS_DENIED", { timeout: 60_000 }, async (c) => {
    const report = await probe(flag, c.executor);
    const failure = {
      name: c.broken,
      broken: true,
      // Node 22+ adds a hint to the cause's message ("Use --allow-worker to manage permissions.").
      message: expect.stringMatching(new RegExp(`^The pool could not start a ${c.worker} \\(Access to this API has been restricted`)),
      causeCode: "ERR_ACCESS_DENIED",
    };
    // The first future, and the two pending behind it (maxWorkers 2: one never left the queue).
    expect(report.outcomes).toEqual([failure, failure, failure]);
    expect(report.states).toEqual([true, true, true]);
    // A later submit throws the pool's Broken* error.
    expect(report.later).toEqual(failure);
  });
});
