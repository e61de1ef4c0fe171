#!/usr/bin/env node
/**
 * The CI matrix (`npm run test:matrix`, called by .ci/run after `npm test`):
 *
 * 1. the compat and double tests (tests/compat*.test.ts, tests/*.double.test.ts)
 *    under every UNIRUN_COMPAT_MODE (managed, passthrough) × UNIRUN_THREAD_MODE
 *    (auto, gil, nogil);
 * 2. the capability tests (capabilities and the permission model, which
 *    differ by Node version) under Node 22 and 24 too, run with npm's `node@22`
 *    / `node@24` packages (`npx -y node@22 ...`).
 *
 * Runs from source (vitest + tsx), so it needs no build. Every other UNIRUN_*
 * variable is cleared, so the runs do not depend on the caller's shell.
 * Prints one line per run and a summary; exits 1 if any run failed.
 *
 * Environment: UNIRUN_MATRIX_NODES — the extra Node majors, comma-separated
 * (default "22,24"; empty to skip them, e.g. offline).
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
const tests = readdirSync(path.join(root, "tests"));
const compatFiles = tests
  .filter((f) => /^compat.*\.test\.ts$/.test(f) || /\.double\.test\.ts$/.test(f))
  .sort()
  .map((f) => `tests/${f}`);
const capabilityFiles = ["tests/run-capabilities.test.ts", "tests/compat-permission.test.ts"];
const nodes = (process.env.UNIRUN_MATRIX_NODES ?? "22,24").split(",").map((s) => s.trim()).filter(Boolean);
// A whole vitest run is bounded: a hang fails the matrix instead of stalling CI.
const RUN_TIMEOUT_MS = 10 * 60_000;

/** The environment of a run: ours without UNIRUN_*, plus `vars`. */
function envWith(vars) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("UNIRUN_")) delete env[name];
  return { ...env, ...vars };
}

function run(label, command, args, vars) {
  const started = Date.now();
  console.log(`\n=== ${label}: ${[command === process.execPath ? "node" : command, ...args].join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: envWith(vars), stdio: "inherit" });
    const timer = setTimeout(() => {
      console.error(`${label}: no result after ${RUN_TIMEOUT_MS / 60_000} minutes, stopping it`);
      child.kill("SIGKILL");
    }, RUN_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      console.error(`${label}: ${error.message}`);
      resolve({ label, ok: false, detail: error.message, seconds: (Date.now() - started) / 1000 });
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ label, ok: code === 0, detail: signal ?? `exit ${code}`, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const vitestArgs = (files) => ["run", "--reporter=dot", ...files];
const results = [];
for (const compat of ["managed", "passthrough"]) {
  for (const thread of ["auto", "gil", "nogil"]) {
    const vars = { UNIRUN_COMPAT_MODE: compat, UNIRUN_THREAD_MODE: thread };
    results.push(await run(`compat=${compat} thread=${thread}`, process.execPath, [vitest, ...vitestArgs(compatFiles)], vars));
  }
}
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
for (const major of nodes) {
  results.push(await run(`node@${major} capabilities`, npx, ["-y", `node@${major}`, vitest, ...vitestArgs(capabilityFiles)], {}));
}

console.log("\ntest matrix:");
for (const r of results) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.label} (${r.seconds.toFixed(1)} s${r.ok ? "" : `, ${r.detail}`})`);
const failed = results.filter((r) => !r.ok).length;
const total = results.reduce((sum, r) => sum + r.seconds, 0);
console.log(`${results.length - failed} of ${results.length} runs passed in ${total.toFixed(0)} s`);
process.exit(failed === 0 ? 0 : 1);
