/**
 * `unirun bench` arguments. Anything unknown is a usage error (exit code 2)
 * whose message says what is accepted.
 */
import { parseArgs } from "node:util";
import { isProfileName, PROFILE_NAMES } from "./profiles.js";
import { SCENARIO_IDS } from "./scenarios/index.js";
import type { ProfileName } from "./types.js";

export const BENCH_USAGE = `usage: unirun bench [--profile quick|full|tiny] [--json FILE] [--chart FILE] [--only P1,P3]

Runs the benchmark scenarios (${SCENARIO_IDS.join(", ")}) against their baselines
and prints a table of medians, spreads and ratios on stdout.

options:
  --profile NAME  tiny (checks the harness), quick (default) or full (the record)
  --json FILE     also write the results as JSON (schema unirun-bench/1)
  --chart FILE    also write an SVG chart of the results
  --only IDS      run only these scenarios, comma-separated (e.g. P1,P3)
  -h, --help      show this help`;

/** A command line `unirun bench` cannot run; the message says why and what is accepted. */
export class BenchUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n\n${BENCH_USAGE}`);
    this.name = "BenchUsageError";
  }
}

export type BenchArgs =
  | { help: true }
  | { help: false; profile: ProfileName; json: string | null; chart: string | null; only: string[] | null };

/**
 * Parse the arguments after `bench`.
 *
 * @throws BenchUsageError for an unknown flag, a positional argument, a
 *   missing value, an unknown profile or an unknown scenario id.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        profile: { type: "string" },
        json: { type: "string" },
        chart: { type: "string" },
        only: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    // Node's wording suggests "--" for positionals, which bench does not take.
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new BenchUsageError(`unirun bench: ${unknown ? `unknown option "${unknown[1]}"` : message}`);
  }
  if (positionals.length > 0) throw new BenchUsageError(`unirun bench: unexpected argument "${positionals[0]}"`);
  if (values.help === true) return { help: true };
  const profile = (values.profile as string | undefined) ?? "quick";
  if (!isProfileName(profile)) {
    throw new BenchUsageError(`unirun bench: unknown profile "${profile}"; choose one of ${PROFILE_NAMES.join(", ")}`);
  }
  return {
    help: false,
    profile,
    json: nonEmpty("--json", values.json),
    chart: nonEmpty("--chart", values.chart),
    only: values.only === undefined ? null : scenarioIds(values.only as string),
  };
}

function nonEmpty(flag: string, value: string | boolean | undefined): string | null {
  if (value === undefined) return null;
  if (value === "" || typeof value !== "string") throw new BenchUsageError(`unirun bench: ${flag} needs a file name`);
  return value;
}

function scenarioIds(list: string): string[] {
  const ids = list.split(",").map((id) => id.trim().toUpperCase()).filter((id) => id !== "");
  const unknown = ids.filter((id) => !SCENARIO_IDS.includes(id));
  if (ids.length === 0 || unknown.length > 0) {
    throw new BenchUsageError(
      `unirun bench: unknown scenario id(s) ${JSON.stringify(unknown.length > 0 ? unknown.join(",") : list)}; `
        + `choose from ${SCENARIO_IDS.join(", ")}`,
    );
  }
  return ids;
}
