/**
 * The SVG chart: one group of bars per scenario, each contender's speed
 * relative to the scenario's baseline on a log scale, so that every scenario
 * reads the same way — right of 1× is better than the baseline, left is
 * worse — with the target as a dashed line unirun's bar must reach.
 */
import { formatNumber, verdict } from "./format.js";
import type { BenchReport, ContenderResult, ScenarioResult } from "./types.js";

const WIDTH = 1000;
const LABEL_X = 16;
const PLOT_LEFT = 360;
const PLOT_RIGHT = 790;
const VALUE_X = 800;
const ROW = 20;
const GROUP_HEAD = 24;
const GROUP_GAP = 14;
const TOP = 92;
const COLORS = { met: "#2e8b57", missed: "#c0392b", unjudged: "#4a78b5", baseline: "#8a8a8a", reference: "#9ec1e6" };

/** Escape text for SVG (XML) content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** How much better than the baseline a median is (>1: better), in either direction of "better". */
function relative(result: ScenarioResult, median: number, base: number): number {
  return result.better === "higher" ? median / base : base / median;
}

/** The target as a relative value unirun's bar must reach (>=), or null. */
function relativeTarget(result: ScenarioResult, base: number): number | null {
  const { metric, value } = result.target;
  if (metric === "ratio") return result.better === "higher" ? value : 1 / value;
  if (metric === "added") return base / (base + value);
  return base / value;
}

interface Bar {
  contender: ContenderResult;
  rel: number | null;
}

function barsOf(result: ScenarioResult): { bars: Bar[]; target: number | null } {
  const base = result.contenders.find((c) => c.role === "baseline")?.median ?? Number.NaN;
  const ok = (value: number): boolean => Number.isFinite(value) && value > 0;
  const bars = result.contenders.map((contender) => ({
    contender,
    rel: ok(base) && ok(contender.median) ? relative(result, contender.median, base) : null,
  }));
  return { bars, target: ok(base) ? relativeTarget(result, base) : null };
}

function domain(values: number[]): [number, number] {
  const lo = Math.min(0.25, ...values.map((v) => v / 1.25));
  const hi = Math.max(4, ...values.map((v) => v * 1.25));
  return [Math.log2(lo), Math.log2(hi)];
}

/**
 * The judged unirun bar shows the verdict; another unirun bar (P8 judges every
 * executor) shows whether it reaches the target line itself.
 */
function colorOf(bar: Bar, result: ScenarioResult, first: boolean, target: number | null): string {
  if (bar.contender.role === "baseline") return COLORS.baseline;
  if (bar.contender.role === "reference") return COLORS.reference;
  if (first && result.target.met !== null) return result.target.met ? COLORS.met : COLORS.missed;
  if (target === null || bar.rel === null) return COLORS.unjudged;
  return bar.rel >= target ? COLORS.met : COLORS.missed;
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ` ${attrs}` : ""}>${escapeXml(content)}</text>`;
}

function groupSvg(result: ScenarioResult, y: number, scale: (v: number) => number): { svg: string[]; height: number } {
  const { bars, target } = barsOf(result);
  const svg = [text(LABEL_X, y + 15, `${result.id}  ${result.title}`, 'font-weight="bold"')];
  const outcome = verdict(result);
  const fill = outcome === "pass" ? COLORS.met : outcome === "—" ? "#555" : COLORS.missed;
  svg.push(text(WIDTH - 20, y + 15, outcome, `text-anchor="end" font-weight="bold" fill="${fill}"`));
  const one = scale(1);
  let rowY = y + GROUP_HEAD;
  let firstUnirun = true;
  for (const bar of bars) {
    const name = bar.contender.name.length > 54 ? `${bar.contender.name.slice(0, 53)}…` : bar.contender.name;
    svg.push(text(LABEL_X + 12, rowY + 14, name));
    if (bar.rel !== null) {
      const end = scale(bar.rel);
      const x = Math.min(one, end);
      const width = Math.max(2, Math.abs(end - one));
      const color = colorOf(bar, result, bar.contender.role === "unirun" && firstUnirun, target);
      svg.push(`<rect class="bar" x="${x.toFixed(1)}" y="${(rowY + 4).toFixed(1)}" width="${width.toFixed(1)}" height="${ROW - 7}" fill="${color}"/>`);
      svg.push(text(VALUE_X, rowY + 14, `${bar.rel.toFixed(2)}×  ${formatNumber(bar.contender.median)} ${result.unit}`));
    } else {
      svg.push(text(VALUE_X, rowY + 14, "no result"));
    }
    if (bar.contender.role === "unirun") firstUnirun = false;
    rowY += ROW;
  }
  if (target !== null && Number.isFinite(target) && target > 0) {
    const x = scale(target).toFixed(1);
    svg.push(`<line x1="${x}" y1="${y + GROUP_HEAD}" x2="${x}" y2="${rowY}" stroke="#222" stroke-dasharray="4 3"/>`);
  }
  return { svg, height: rowY - y + GROUP_GAP };
}

function axisSvg(lo: number, hi: number, scale: (v: number) => number, bottom: number): string[] {
  const svg: string[] = [];
  for (let power = Math.ceil(lo); power <= Math.floor(hi); power++) {
    const x = scale(2 ** power).toFixed(1);
    const label = power >= 0 ? `${2 ** power}×` : `1/${2 ** -power}×`;
    svg.push(`<line x1="${x}" y1="${TOP - 8}" x2="${x}" y2="${bottom}" stroke="${power === 0 ? "#555" : "#ddd"}"/>`);
    svg.push(text(Number(x), TOP - 12, label, 'text-anchor="middle" fill="#555"'));
  }
  return svg;
}

function legendSvg(y: number): string[] {
  const items: [string, string][] = [
    [COLORS.met, "unirun, target met"],
    [COLORS.missed, "unirun, target missed"],
    [COLORS.baseline, "baseline"],
    [COLORS.reference, "other contenders"],
  ];
  const svg = items.map(([color, label], i) =>
    `<rect x="${LABEL_X + i * 190}" y="${y}" width="12" height="12" fill="${color}"/>${text(LABEL_X + i * 190 + 18, y + 11, label)}`);
  svg.push(`<line x1="${LABEL_X + 760}" y1="${y + 6}" x2="${LABEL_X + 790}" y2="${y + 6}" stroke="#222" stroke-dasharray="4 3"/>`);
  svg.push(text(LABEL_X + 796, y + 11, "target"));
  return svg;
}

/** The report as a standalone SVG document. */
export function renderChart(report: BenchReport): string {
  const rels = report.scenarios.flatMap((r) => {
    const { bars, target } = barsOf(r);
    return [...bars.map((b) => b.rel), target].filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  });
  const [lo, hi] = domain(rels);
  const scale = (v: number): number => PLOT_LEFT + ((Math.log2(v) - lo) / (hi - lo)) * (PLOT_RIGHT - PLOT_LEFT);
  const body: string[] = [];
  let y = TOP;
  for (const result of report.scenarios) {
    const group = groupSvg(result, y, scale);
    body.push(...group.svg);
    y += group.height;
  }
  const { machine } = report;
  const height = y + 46;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(LABEL_X, 26, `unirun ${report.unirun} bench (profile ${report.profile}): speed relative to each scenario's baseline`, 'font-size="16" font-weight="bold"'),
    text(LABEL_X, 46, "log scale; right of 1× is better than the baseline, left is worse; medians of each contender's samples", 'fill="#555"'),
    ...legendSvg(56),
    ...axisSvg(lo, hi, scale, y - GROUP_GAP),
    ...body,
    text(LABEL_X, y + 24, `${machine.cpuModel}, ${machine.availableParallelism} cores, ${machine.totalMemoryGiB} GiB, `
      + `Node ${machine.node}, ${machine.platform}/${machine.arch}; load average ${report.loadAverage.start[0]}; ${report.startedAt}`, 'fill="#555"'),
    "</svg>",
    "",
  ].join("\n");
}
