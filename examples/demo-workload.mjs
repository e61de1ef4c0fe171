// The demo's workload (examples/demo.mjs runs it in a child `node` process per
// setting, since unirun/compat reads UNIRUN_COMPAT_MODE and UNIRUN_THREAD_MODE
// when it is first imported). It prints one JSON line: the results, the
// scheduler's decisions and the downgrade warnings this process saw.
import { formatDecision, observeDecisions } from "unirun";
import { ThreadPoolExecutor } from "unirun/compat";
import { countPrimesTask } from "unirun/workloads";

const decisions = new Set();
observeDecisions((decision) => decisions.add(formatDecision(decision)));
const warnings = [];
process.on("warning", (warning) => {
  if (warning.code === "UNIRUN_DOWNGRADE") warnings.push(`${warning.name} [${warning.code}]: ${warning.message}`);
});

// I/O-shaped work, written as most callbacks are: a closure (it reads `latency`).
const latency = 0.02;
const fetchPage = async (page) => {
  await new Promise((resolve) => setTimeout(resolve, latency * 1000));
  return `page ${page}: 200`;
};

const executor = new ThreadPoolExecutor({ maxWorkers: 4 });
const primes = await executor.map(countPrimesTask, [50_000, 100_000, 150_000, 200_000]).toArray();
const pages = await executor.map(fetchPage, [1, 2, 3]).toArray();
await executor.shutdown();
await new Promise((resolve) => setImmediate(resolve)); // warnings are delivered on a later tick
console.log(JSON.stringify({ primes, pages, decisions: [...decisions], warnings }));
