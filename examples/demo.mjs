// unirun in one screen: `npm run demo` builds the package and runs this file.
// Nothing to configure: it uses the built package on its embedded defaults.
//   1. the same workload through unirun/compat in passthrough and in managed mode;
//   2. what the scheduler decided, and why (formatDecision);
//   3. a downgrade warning, triggered on purpose;
//   4. a small speed comparison: one thread against worker threads.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Run, RuntimeConfig, formatDecision } from "unirun";
import { InterpreterPoolExecutor } from "unirun/futures";
import { countPrimes, countPrimesTask } from "unirun/workloads";

const examples = fileURLToPath(new URL(".", import.meta.url));

/**
 * Run examples/demo-workload.mjs in a child `node` with these UNIRUN_* variables
 * and no others (so your shell's settings and .env do not change the demo).
 * `--no-warnings`: the child collects its warnings itself (`process.on("warning")`
 * still fires), so Node need not print them on stderr as well.
 */
function runWorkload(vars) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("UNIRUN_")));
  const args = ["--no-warnings", "demo-workload.mjs"];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: examples, env: { ...env, ...vars }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (stderr) process.stderr.write(stderr);
      if (error) reject(error);
      else resolve(JSON.parse(stdout));
    });
  });
}

const settings = [
  { label: "passthrough", vars: { UNIRUN_COMPAT_MODE: "passthrough", UNIRUN_THREAD_MODE: "auto" } },
  { label: "managed", vars: { UNIRUN_COMPAT_MODE: "managed", UNIRUN_THREAD_MODE: "auto" } },
  { label: "managed + nogil", vars: { UNIRUN_COMPAT_MODE: "managed", UNIRUN_THREAD_MODE: "nogil" } },
];
const outcomes = await Promise.all(settings.map(({ vars }) => runWorkload(vars)));
const same = outcomes.every((o) => JSON.stringify([o.primes, o.pages]) === JSON.stringify([outcomes[0].primes, outcomes[0].pages]));

console.log("unirun demo: Python's concurrent.futures on Node " + process.version);
console.log("\n1. One workload, one child `node` per setting (unirun/compat reads UNIRUN_* at import):");
console.log("   ThreadPoolExecutor({ maxWorkers: 4 }): map(countPrimesTask, 4 limits), then map(fetchPage, 3 pages)");
settings.forEach(({ label }, i) => {
  const { primes, pages } = outcomes[i];
  console.log(`   ${label.padEnd(16)} primes ${primes.join(" ")} | ${pages.length} pages: ${pages[0]}, ...`);
});
console.log(`   same results under every setting: ${same ? "yes" : "NO"}`);

console.log("\n2. The scheduler's decisions (formatDecision), per setting:");
const column = (label, lines) => lines.forEach((line, i) => console.log(`   ${(i ? "" : label).padEnd(16)} ${line}`));
settings.forEach(({ label }, i) => {
  const { decisions } = outcomes[i];
  column(label, decisions.length ? decisions : ["(none: passthrough hands out the native unirun/futures classes)"]);
});
const config = new RuntimeConfig(); // the embedded defaults, whatever the environment says
const runs = [];
for (const flavor of ["auto", "threads", "interpreters", "processes", "none"]) {
  const run = new Run({ flavor, config }); // decides at construction; starts no worker until a submit
  runs.push(formatDecision(run.decision));
  await run.shutdown();
}
column("new Run(...)", runs);

console.log("\n3. A downgrade warning, on purpose: under nogil, fetchPage is a closure and cannot leave the event loop.");
console.log('   The child caught it with process.on("warning") (with UNIRUN_WARNINGS=error, submit() would throw DowngradeError):');
for (const warning of outcomes[2].warnings) console.log(`   ${warning}`);

// CPU-bound work: one call after another on this thread, then spread over worker threads.
const limits = Array(8).fill(300_000);
const pool = new InterpreterPoolExecutor();
await Promise.all(Array.from({ length: pool.maxWorkers }, () => pool.submit(countPrimesTask, 1_000))); // start the workers
let start = performance.now();
const sequential = limits.map((limit) => countPrimes(limit));
const oneThread = performance.now() - start;
start = performance.now();
const parallel = await pool.map(countPrimesTask, limits).toArray();
const workers = performance.now() - start;
await pool.shutdown();
console.log(`\n4. Speed, CPU-bound: ${limits.length} × countPrimes(${limits[0]}), results equal: ${sequential.join() === parallel.join() ? "yes" : "NO"}`);
const rows = [["one thread, one call after another", oneThread], [`InterpreterPoolExecutor, ${pool.maxWorkers} worker threads`, workers]];
for (const [label, ms] of rows) console.log(`   ${`${label}:`.padEnd(42)} ${ms.toFixed(0).padStart(5)} ms`);
console.log(`   ratio: ${(oneThread / workers).toFixed(2)}x the speed of one thread (one run on this machine; \`npm run bench\` measures properly)`);
