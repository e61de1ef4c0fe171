#!/usr/bin/env node
/**
 * The CI matrix (`npm run test:matrix`; .ci/run calls it after `npm test`):
 *
 * 1. the compat and double tests (tests/compat*.test.ts but the permission
 *    one, tests/*.double.test.ts) under every UNIRUN_COMPAT_MODE (managed,
 *    passthrough) × UNIRUN_THREAD_MODE (auto, gil, nogil);
 * 2. the capability tests (tests/run-capabilities.test.ts and the managed
 *    executors under the permission model, tests/compat-permission.test.ts,
 *    and the native pools under it, tests/pool-permission.test.ts: what varies
 *    there is the Node version) under Node 22 and 24 as well, with
 *    npm's `node@22` / `node@24` packages (`npx -y node@22 …`).
 *
 * Runs from source (vitest + tsx): no build needed. Every other UNIRUN_*
 * variable is cleared, so a run does not depend on the caller's shell. Runs go
 * two at a time (`--jobs N` to change); a passing run prints its summary, a
 * failing one its whole output. Exits 1 if any run failed.
 *
 *   node scripts/test-matrix.mjs [--skip-default] [--jobs N]
 *
 * `--skip-default` leaves out managed × auto, the combination a plain
 * `npm test` (no UNIRUN_* set) has just run. UNIRUN_MATRIX_NODES lists the
 * extra Node majors (default "22,24"; empty skips them, e.g. offline).
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
const args = process.argv.slice(2);
const skipDefault = args.includes("--skip-default");
const jobsAt = args.indexOf("--jobs");
const jobs = jobsAt >= 0 ? Math.max(1, Number(args[jobsAt + 1]) || 1) : 2;
const nodes = (process.env.UNIRUN_MATRIX_NODES ?? "22,24").split(",").map((s) => s.trim()).filter(Boolean);
// A whole vitest run is bounded: a hang fails the matrix instead of stalling CI.
const RUN_TIMEOUT_MS = 10 * 60_000;

// The permission-model test of the managed executors is a capability test: it
// sets the child Node's variables itself, and what varies is the Node version.
const capabilityFiles = ["tests/run-capabilities.test.ts", "tests/compat-permission.test.ts", "tests/pool-permission.test.ts"];
const compatFiles = readdirSync(path.join(root, "tests"))
  .sort()
  .filter((f) => /^compat.*\.test\.ts$|\.double\.test\.ts$/.test(f))
  .map((f) => `tests/${f}`)
  .filter((f) => !capabilityFiles.includes(f));
// Each run also runs its test files two at a time (vitest's default is one per spare core).
const vitestArgs = (files) => [vitest, "run", "--reporter=dot", "--maxWorkers=2", ...files];

const runs = [];
for (const compat of ["managed", "passthrough"]) {
  for (const thread of ["auto", "gil", "nogil"]) {
    if (skipDefault && compat === "managed" && thread === "auto") continue;
    runs.push({
      label: `compat=${compat} thread=${thread}`,
      command: process.execPath,
      args: vitestArgs(compatFiles),
      vars: { UNIRUN_COMPAT_MODE: compat, UNIRUN_THREAD_MODE: thread },
    });
  }
}
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
for (const major of nodes) {
  runs.push({ label: `node@${major} capabilities`, command: npx, args: ["-y", `node@${major}`, ...vitestArgs(capabilityFiles)], vars: {} });
}

/** Our environment without UNIRUN_*, plus `vars`. */
function envWith(vars) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("UNIRUN_")) delete env[name];
  delete env.FORCE_COLOR;
  return { ...env, ...vars, NO_COLOR: "1" };
}

const live = new Set();
function stop(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of live) stop(child);
    process.exit(130);
  });
}

function execute({ label, command, args: argv, vars }) {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = "";
    // Its own process group, so a timeout or an interrupt stops vitest's forks and their children too.
    const child = spawn(command, argv, { cwd: root, env: envWith(vars), stdio: ["ignore", "pipe", "pipe"], detached: true });
    live.add(child);
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n${label}: no result after ${RUN_TIMEOUT_MS / 60_000} minutes, stopped\n`;
      stop(child);
    }, RUN_TIMEOUT_MS);
    const done = (ok, detail) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ label, ok, detail, output, seconds: (Date.now() - started) / 1000 });
    };
    child.on("error", (error) => done(false, error.message));
    child.on("close", (code, signal) => done(code === 0, signal ?? `exit ${code}`));
  });
}

function report(result, run) {
  const shown = result.ok
    ? result.output
      .split("\n")
      .map((line) => line.replace(/\x1b\[[0-9;]*m/g, ""))
      .filter((line) => /^\s*(Test Files|Tests|Duration)\s/.test(line))
      .join("\n")
    : result.output;
  const where = [run.command === process.execPath ? "node" : run.command, ...run.args.map((a) => path.relative(root, a) || a)];
  console.log(`\n=== ${result.ok ? "ok" : "FAILED"}: ${result.label} (${result.seconds.toFixed(1)} s)\n    ${where.join(" ")}`);
  console.log(shown);
}

const started = Date.now();
const results = new Array(runs.length);
let next = 0;
async function worker() {
  while (next < runs.length) {
    const index = next++;
    results[index] = await execute(runs[index]);
    report(results[index], runs[index]);
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, worker));

console.log("\ntest matrix:");
for (const r of results) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.label} (${r.seconds.toFixed(1)} s${r.ok ? "" : `, ${r.detail}`})`);
const failed = results.filter((r) => !r.ok).length;
const wall = (Date.now() - started) / 1000;
console.log(`test matrix: ${results.length - failed} of ${results.length} runs passed in ${wall.toFixed(0)} s`);
process.exit(failed === 0 ? 0 : 1);
