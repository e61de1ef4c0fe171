/**
 * The readable report on stdout: per scenario, a line with its target and
 * verdict, then each contender's median and spread.
 */
import { formatActual, formatNumber, formatRatio, formatSpread, verdict } from "./format.js";
import type { BenchReport, ScenarioResult } from "./types.js";

const ROLE_MARK = { unirun: "▶", baseline: "=", reference: " " } as const;

/** Left-align each column of `rows` to its widest cell. */
function columns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => row.map((cell, i) => cell + " ".repeat(widths[i]! - [...cell].length)).join("  ").trimEnd());
}

function scenarioLines(result: ScenarioResult): string[] {
  const size = Object.entries({ ...result.size, warmup: result.warmup, samples: result.samples })
    .map(([key, value]) => `${key} ${value.toLocaleString("en-US")}`)
    .join(", ");
  const head = `${result.id}  ${result.title}  [${size}]`;
  const judged = `    target ${result.target.description}: ${formatActual(result)} → ${verdict(result)}`
    + (result.ratio === null || result.target.metric === "ratio" ? "" : `  (ratio ${formatRatio(result.ratio)})`)
    + (result.target.why ? `; ${result.target.why}` : "");
  const rows = result.contenders.map((c) => [
    `    ${ROLE_MARK[c.role]} ${c.name}`,
    `${formatNumber(c.median)} ${result.unit}`,
    formatSpread(c.spread.relative),
    `${formatNumber(c.spread.min)}–${formatNumber(c.spread.max)}`,
    `cpu ${formatNumber(c.cpuMs)} ms/run`,
  ]);
  const lines = [head, judged, ...columns(rows)];
  if (result.error !== undefined) lines.push(`    error: ${result.error}`);
  return lines;
}

/** The whole report as text (no trailing newline). */
export function formatTable(report: BenchReport): string {
  const { machine } = report;
  const header = [
    `unirun ${report.unirun} bench, profile ${report.profile}: ${report.scenarios.length} scenario(s) in ${report.durationSeconds.toFixed(0)} s`,
    `${machine.cpuModel}, ${machine.availableParallelism} cores, Node ${machine.node}, ${machine.platform}/${machine.arch}; `
      + `load average ${report.loadAverage.start[0]} at start, ${report.loadAverage.end[0]} at end`,
    "medians of each contender's samples after its warm-up runs; ±: median absolute deviation; ▶ unirun, = baseline;",
    "cpu: median CPU time of one run, this process and its threads (child processes not counted)",
  ];
  const summary = columns([
    ["id", "target", "actual", "result"],
    ...report.scenarios.map((r) => [r.id, r.target.description, formatActual(r), verdict(r)]),
  ]);
  return [...header, "", ...report.scenarios.flatMap((r) => [...scenarioLines(r), ""]), ...summary].join("\n");
}
