// The benchmark harness (`unirun bench`): every scenario runs in the tiny
// profile and reports well-formed JSON, a table and an SVG chart; bad command
// lines are refused with exit code 2. Nothing here asserts a timing: only the
// shape of what is reported, and that its numbers are finite.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBenchArgs } from "../src/bench/args.js";
import { escapeXml, renderChart } from "../src/bench/chart.js";
import { benchCommand } from "../src/bench/command.js";
import { formatNumber } from "../src/bench/format.js";
import { ProgressBar } from "../src/bench/progress.js";
import { SCENARIO_IDS } from "../src/bench/scenarios/index.js";
import { median, spread } from "../src/bench/stats.js";
import { formatTable } from "../src/bench/table.js";
import type { BenchReport } from "../src/bench/types.js";
import { runNode } from "./run-node.js";

/** A stream that records what is written to it. */
function sink(isTTY = false): { isTTY: boolean; columns: number; text: string; write(chunk: string): boolean } {
  return { isTTY, columns: 100, text: "", write(chunk: string) { this.text += chunk; return true; } };
}

/**
 * Whether `xml` is well-formed enough for any SVG viewer: one root, every tag
 * closed in order, quoted attributes, and no bare `<` or `&` in text.
 */
function wellFormed(xml: string): string | null {
  const stack: string[] = [];
  let roots = 0;
  const body = xml.trim().replace(/^<\?xml[^>]*\?>\s*/, "");
  for (const part of body.split(/(<[^>]*>)/)) {
    if (part.startsWith("<")) {
      const close = /^<\/([\w:-]+)\s*>$/.exec(part);
      if (close) {
        if (stack.pop() !== close[1]) return `unexpected ${part}`;
        continue;
      }
      const open = /^<([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(part);
      if (!open) return `malformed tag ${part.slice(0, 60)}`;
      if (stack.length === 0 && ++roots > 1) return "more than one root element";
      if (open[3] !== "/") stack.push(open[1]!);
    } else if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/.test(part)) {
      return `bare markup in text ${JSON.stringify(part.slice(0, 60))}`;
    } else if (stack.length === 0 && part.trim() !== "") {
      return "text outside the root element";
    }
  }
  return stack.length === 0 ? null : `unclosed <${stack.at(-1)}>`;
}

describe("a tiny run of every scenario through the command", () => {
  let dir: string;
  let report: BenchReport;
  let svg: string;
  const out = sink();
  const err = sink();
  let code: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "unirun-bench-"));
    const json = path.join(dir, "out", "bench.json");
    const chart = path.join(dir, "bench.svg");
    code = await benchCommand(["--profile", "tiny", "--json", json, "--chart", chart], { stdout: out, stderr: err });
    report = JSON.parse(readFileSync(json, "utf8")) as BenchReport;
    svg = readFileSync(chart, "utf8");
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("succeeds, draws no progress bar off a terminal, and writes the JSON and the chart", () => {
    expect(err.text).toBe("");
    expect(code).toBe(0);
    expect(out.text).toContain(`JSON: ${path.join(dir, "out", "bench.json")}`);
    expect(out.text).toContain(`chart: ${path.join(dir, "bench.svg")}`);
  });

  it("reports every scenario, in order, with the run's profile and machine", () => {
    expect(report).toMatchObject({ schema: "unirun-bench/1", profile: "tiny", unirun: expect.any(String) });
    expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
    expect(report.durationSeconds).toBeGreaterThan(0);
    expect(report.machine).toMatchObject({ node: process.version, platform: process.platform, arch: process.arch });
    expect(report.machine.availableParallelism).toBeGreaterThan(0);
    for (const load of [report.loadAverage.start, report.loadAverage.end]) {
      expect(load.length === 3 && load.every((n) => Number.isFinite(n) && n >= 0)).toBe(true);
    }
    expect(report.scenarios.map((s) => s.id)).toEqual(SCENARIO_IDS);
  });

  it("gives each scenario a unirun contender, one baseline, medians, spreads and a finite ratio", () => {
    for (const s of report.scenarios) {
      expect(s.error, s.id).toBeUndefined();
      expect(s.contenders.filter((c) => c.role === "baseline"), s.id).toHaveLength(1);
      expect(s.contenders[0]!.role, s.id).toBe("unirun");
      expect(s.unirun, s.id).toBe(s.contenders[0]!.name);
      expect(s.baseline, s.id).toBe(s.contenders.find((c) => c.role === "baseline")!.name);
      expect(s).toMatchObject({ title: expect.any(String), measures: expect.any(String), unit: expect.any(String) });
      expect(["lower", "higher"], s.id).toContain(s.better);
      expect(Object.values(s.size).every((n) => Number.isInteger(n) && n > 0), s.id).toBe(true);
      for (const c of s.contenders) {
        expect(c.samples, `${s.id} ${c.name}`).toHaveLength(s.samples);
        const numbers = [c.median, c.spread.min, c.spread.max, c.spread.mad, c.spread.relative, c.cpuMs, ...c.samples];
        expect(numbers.every((n) => Number.isFinite(n) && n >= 0), `${s.id} ${c.name}`).toBe(true);
        expect(c.spread.min).toBeLessThanOrEqual(c.median);
        expect(c.spread.max).toBeGreaterThanOrEqual(c.median);
      }
      expect(Number.isFinite(s.ratio) && s.ratio! > 0, s.id).toBe(true);
      expect(s.target).toMatchObject({ description: expect.any(String), op: expect.stringMatching(/^(<=|>=)$/) });
      expect(Number.isFinite(s.target.actual), s.id).toBe(true);
      expect(typeof s.target.met, s.id).toBe("boolean");
    }
  });

  it("records what the import of unirun/compat started (P7)", () => {
    const details = report.scenarios.find((s) => s.id === "P7")!.details as Record<string, { threads: number; children: number }>;
    expect(Object.keys(details)).toContain('import "unirun/compat"');
    for (const seen of Object.values(details)) {
      expect(seen).toMatchObject({ threads: expect.any(Number), children: expect.any(Number) });
    }
  });

  it("prints a table with every scenario, contender and verdict", () => {
    for (const s of report.scenarios) {
      expect(out.text).toContain(`${s.id}  ${s.title}`);
      for (const c of s.contenders) expect(out.text).toContain(c.name);
    }
    expect(out.text).toMatch(/^id\s+target\s+actual\s+result$/m);
    expect(out.text).toMatch(/^P8\s+.*\s(pass|MISS)$/m);
    expect(formatTable(report)).toBe(out.text.slice(0, out.text.indexOf("\n\nJSON:")));
  });

  it("writes a well-formed SVG chart with a bar per contender", () => {
    expect(wellFormed(svg)).toBeNull();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    for (const s of report.scenarios) expect(svg).toContain(`${s.id}  ${escapeXml(s.title)}`);
    // A bar for every contender with a positive median (against a positive baseline); "no result" for the others (none, usually).
    const contenders = report.scenarios.flatMap((s) => s.contenders);
    const drawn = report.scenarios.flatMap((s) => {
      const base = s.contenders.find((c) => c.role === "baseline")!.median;
      return s.contenders.filter((c) => base > 0 && c.median > 0);
    });
    const bars = drawn.length;
    expect(bars).toBeGreaterThan(contenders.length / 2);
    expect(svg.match(/<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="\d+" fill="#[0-9a-f]{6}"\/>/g)).toHaveLength(bars);
    expect(svg.match(/>no result</g) ?? []).toHaveLength(contenders.length - bars);
    expect(renderChart(report)).toBe(svg);
  });

  it("escapes contender names in the chart", () => {
    const odd = structuredClone(report);
    odd.scenarios[0]!.contenders[0]!.name = `a <b> & "c"`;
    const chart = renderChart(odd);
    expect(wellFormed(chart)).toBeNull();
    expect(chart).toContain("a &lt;b&gt; &amp; &quot;c&quot;");
  });
});

describe("the command line", () => {
  it("parses profiles, files and scenario ids", () => {
    expect(parseBenchArgs([])).toEqual({ help: false, profile: "quick", json: null, chart: null, only: null });
    expect(parseBenchArgs(["--profile", "full", "--json", "r.json", "--chart=c.svg", "--only", "p1, P3"])).toEqual({
      help: false, profile: "full", json: "r.json", chart: "c.svg", only: ["P1", "P3"],
    });
    expect(parseBenchArgs(["-h"])).toEqual({ help: true });
  });

  it.each([
    [["--frobnicate"], /unirun bench: unknown option "--frobnicate"\n/],
    [["--profile", "huge"], /unknown profile "huge"; choose one of tiny, quick, full/],
    [["--only", "P1,P42"], /unknown scenario id\(s\) "P42"; choose from P1, P2/],
    [["--only", ","], /unknown scenario id/],
    [["--json"], /argument missing|requires an argument|needs a file name/i],
    [["extra"], /unexpected argument "extra"/],
  ])("refuses %j with exit code 2 and the usage", async (argv, message) => {
    const out = sink();
    const err = sink();
    await expect(benchCommand(argv, { stdout: out, stderr: err })).resolves.toBe(2);
    expect(err.text).toMatch(message);
    expect(err.text).toContain("usage: unirun bench");
    expect(out.text).toBe("");
  });

  it("answers --help with the usage and exit code 0", async () => {
    const out = sink();
    await expect(benchCommand(["--help"], { stdout: out, stderr: sink() })).resolves.toBe(0);
    expect(out.text).toContain("usage: unirun bench [--profile quick|full|tiny]");
  });

  it("the built unirun bin refuses an unknown flag with exit code 2", async () => {
    const run = await runNode(["dist/cli.js", "bench", "--frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unirun bench: unknown option "--frobnicate"');
    expect(run.stdout).toBe("");
  });
});

describe("the progress bar", () => {
  it("draws in place on a terminal and erases itself at the end", () => {
    const tty = sink(true);
    const bar = new ProgressBar(4, tty);
    bar.tick("P1 piscina run() sample 1/2");
    bar.tick("P1 piscina run() sample 2/2");
    expect(tty.text).toMatch(/^\r\[█+░+\]  25% \d+s P1 piscina run\(\) sample 1\/2 */);
    expect(tty.text).toContain(" 50% ");
    bar.finish();
    expect(tty.text.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("writes nothing when the stream is not a terminal", () => {
    const pipe = sink(false);
    const bar = new ProgressBar(2, pipe);
    bar.tick("x");
    bar.finish();
    expect(bar.enabled).toBe(false);
    expect(pipe.text).toBe("");
  });
});

describe("statistics and formatting", () => {
  it("takes medians and the median absolute deviation", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(spread([1, 2, 3, 4, 100])).toEqual({ min: 1, max: 100, mad: 1, relative: 1 / 3 });
  });

  it("prints numbers with about three significant digits", () => {
    expect([0.12345, 1.2345, 12.345, 123.45, 12_345, 1_234_567].map(formatNumber)).toEqual([
      "0.123", "1.23", "12.3", "123", "12.3 k", "1.23 M",
    ]);
    expect(formatNumber(Number.NaN)).toBe("—");
  });
});
