/**
 * `unirun bench`: parse the arguments, run, print the table, write the JSON
 * and the chart. Exit codes: 0 when every scenario ran (missed targets
 * included: they are results), 1 when a scenario failed or the package is
 * not usable, 2 for a usage error.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BENCH_USAGE, BenchUsageError, parseBenchArgs } from "./args.js";
import { renderChart } from "./chart.js";
import { BenchSetupError } from "./locate.js";
import type { ProgressStream } from "./progress.js";
import { runBench } from "./run.js";
import { formatTable } from "./table.js";

/** Where the command writes. */
export interface CommandIo {
  stdout: { write(chunk: string): unknown };
  stderr: ProgressStream;
}

function writeOut(file: string, content: string): string {
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  return target;
}

/**
 * Run `unirun bench` with the arguments after `bench`.
 *
 * @returns the process exit code.
 */
export async function benchCommand(argv: readonly string[], io: CommandIo = process): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  try {
    const report = await runBench({ profile: args.profile, ...(args.only ? { only: args.only } : {}), progress: io.stderr });
    io.stdout.write(`${formatTable(report)}\n`);
    if (args.json !== null) io.stdout.write(`\nJSON: ${writeOut(args.json, `${JSON.stringify(report, null, 2)}\n`)}\n`);
    if (args.chart !== null) io.stdout.write(`chart: ${writeOut(args.chart, renderChart(report))}\n`);
    const failed = report.scenarios.filter((s) => s.error !== undefined).map((s) => s.id);
    if (failed.length > 0) io.stderr.write(`unirun bench: scenario(s) ${failed.join(", ")} failed; see the table\n`);
    return failed.length > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof BenchSetupError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 1;
  }
}
