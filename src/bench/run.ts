/**
 * One benchmark run: pick the scenarios, run them in order with a progress
 * bar, and assemble the report (the `--json` file's content).
 */
import os from "node:os";
import { benchContext, packageVersion } from "./locate.js";
import { PROFILES } from "./profiles.js";
import { ProgressBar, type ProgressStream } from "./progress.js";
import { describeMachine } from "./machine.js";
import { runScenario, stepsOf } from "./runner.js";
import { SCENARIOS } from "./scenarios/index.js";
import type { BenchReport, ProfileName } from "./types.js";

export interface RunOptions {
  profile: ProfileName;
  /** Scenario ids to run (all when absent), in report order whatever the order given. */
  only?: readonly string[];
  /** Where the progress bar goes (default stderr; drawn only on a TTY). */
  progress?: ProgressStream;
}

/**
 * Run the benchmark. Scenarios that fail are reported with an `error`, not thrown.
 *
 * @throws BenchSetupError when the package is not built or not found.
 */
export async function runBench(options: RunOptions): Promise<BenchReport> {
  const profile = PROFILES[options.profile];
  const context = benchContext();
  const chosen = SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.id));
  const started = new Date();
  const loadAtStart = os.loadavg();
  const startedMs = performance.now();
  const bar = new ProgressBar(chosen.reduce((sum, s) => sum + stepsOf(s, profile, context), 0), options.progress);
  const scenarios = [];
  try {
    for (const scenario of chosen) scenarios.push(await runScenario(scenario, profile, context, (label) => bar.tick(label)));
  } finally {
    bar.finish();
  }
  return {
    schema: "unirun-bench/1",
    unirun: packageVersion(context.root),
    profile: profile.name,
    startedAt: started.toISOString(),
    durationSeconds: (performance.now() - startedMs) / 1000,
    machine: describeMachine(),
    loadAverage: { start: round2(loadAtStart), end: round2(os.loadavg()) },
    scenarios,
  };
}

function round2(values: number[]): number[] {
  return values.map((value) => Math.round(value * 100) / 100);
}
