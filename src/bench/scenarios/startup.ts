/**
 * P7: what `import "unirun/compat"` costs a fresh process, against a process
 * that imports nothing, and whether the import starts any thread or child
 * process (it must not: pools start on first use). `unirun` and
 * `unirun/futures` are measured the same way for context. The built package
 * (dist/) is measured, whatever it holds when the bench runs.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { builtFile } from "../locate.js";
import { timeMs } from "../measure.js";
import type { Contender, ScenarioContext, ScenarioDef } from "../types.js";
import { plain } from "./common.js";

const IMPORTS = [
  { name: 'import "unirun/compat"', file: "compat/index.js", role: "unirun" },
  { name: 'import "unirun"', file: "index.js", role: "reference" },
  { name: 'import "unirun/futures"', file: "futures/index.js", role: "reference" },
] as const;

// Loaded with --import before the script: counts every worker thread and
// child process started, and prints the counts when the process exits.
const PROBE = `
import cp from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
const probe = { threads: 0, children: 0 };
globalThis.__unirunBenchProbe = probe;
process.on("worker", () => probe.threads++);
const spawn = cp.ChildProcess.prototype.spawn;
cp.ChildProcess.prototype.spawn = function (...args) { probe.children++; return spawn.apply(this, args); };
for (const name of ["spawnSync", "execSync", "execFileSync"]) {
  const original = cp[name];
  cp[name] = function (...args) { probe.children++; return original.apply(this, args); };
}
syncBuiltinESMExports();
process.on("exit", () => process.stdout.write(JSON.stringify({
  ...probe,
  importMs: Math.round((globalThis.__unirunBenchImportMs ?? NaN) * 10) / 10,
  resources: globalThis.__unirunBenchResources ?? null,
})));
`;

/** Run `node <args>`; resolves with stdout, rejects when it fails or outlives `timeoutMs`. */
function node(args: string[], cwd: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`node ${args.join(" ").slice(0, 120)} failed: ${error.message}${stderr ? `\n${stderr}` : ""}`));
      else resolve(stdout);
    });
  });
}

let scripts: string | null = null;

/**
 * A script file that imports `file` (or nothing): what a user runs. Both
 * sides load a script file, so the baseline pays Node's own ESM file loader
 * too (an empty `-e` script would not) and the difference is the import's.
 */
function script(file: string | null): string {
  if (scripts === null) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "unirun-bench-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    scripts = dir;
  }
  const name = path.join(scripts, file === null ? "empty.mjs" : `import-${path.basename(path.dirname(file))}-${path.basename(file)}.mjs`);
  writeFileSync(name, file === null ? "" : `import ${JSON.stringify(pathToFileURL(file).href)};\n`);
  return name;
}

function startup(name: string, role: Contender["role"], file: () => string | null, cwd: string): Contender {
  let made: string | null = null;
  return plain(name, role, () => {
    made ??= script(file());
    const run = made;
    return timeMs(() => node([run], cwd));
  });
}

/**
 * Threads and children each import starts, the handles it leaves open, and
 * how long the import itself took inside the process (one run: a hint, not a sample).
 */
async function probe(context: ScenarioContext): Promise<{ details: Record<string, unknown>; ok: boolean; why?: string }> {
  const details: Record<string, unknown> = {};
  let why: string | undefined;
  for (const { name, file } of IMPORTS) {
    const url = pathToFileURL(builtFile(context.root, file)).href;
    const script = `const started = performance.now();
      await import(${JSON.stringify(url)});
      globalThis.__unirunBenchImportMs = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 50));
      globalThis.__unirunBenchResources = process.getActiveResourcesInfo();`;
    const out = await node(["--import", `data:text/javascript,${encodeURIComponent(PROBE)}`, "--input-type=module", "-e", script], context.root);
    const seen = JSON.parse(out) as { threads: number; children: number; importMs: number; resources: string[] | null };
    details[name] = seen;
    if (file === IMPORTS[0].file && (seen.threads > 0 || seen.children > 0)) {
      why = `${name} started ${seen.threads} thread(s) and ${seen.children} child process(es)`;
    }
  }
  return { details, ok: why === undefined, ...(why === undefined ? {} : { why }) };
}

export const P7: ScenarioDef = {
  id: "P7",
  title: 'cost of import "unirun/compat" in a fresh process vs an empty script',
  measures: "milliseconds from starting `node script.mjs` to its exit, the script importing the built module or nothing",
  unit: "ms",
  better: "lower",
  target: { description: "<= 30 ms added, no thread or child process started", metric: "added", op: "<=", value: 30 },
  size: (profile) => ({ processes: profile.startupSamples }),
  // Process starts are cheap and noisy: more samples, one warm-up (for the file cache).
  runs: (profile) => ({ warmup: 1, samples: profile.startupSamples }),
  contenders: (_profile, context) => [
    ...IMPORTS.filter((each) => each.role === "unirun").map(({ name, file, role }) =>
      startup(name, role, () => builtFile(context.root, file), context.root)),
    startup("empty script", "baseline", () => null, context.root),
    ...IMPORTS.filter((each) => each.role !== "unirun").map(({ name, file, role }) =>
      startup(name, role, () => builtFile(context.root, file), context.root)),
  ],
  inspect: probe,
};
