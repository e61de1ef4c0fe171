/**
 * Running one scenario: every contender set up, warmed the same number of
 * times, then sampled in turn (the order rotates each round, so no contender
 * always runs first after a collection), then torn down; and its result judged.
 */
import { collectGarbage } from "./measure.js";
import { median, meets, spread } from "./stats.js";
import type { Contender, ContenderResult, Profile, ScenarioContext, ScenarioDef, ScenarioResult } from "./types.js";

/** Told after every run, for the progress bar. */
export type StepListener = (label: string) => void;

/** How many runs `def` makes under `profile` (for the progress bar's total). */
export function stepsOf(def: ScenarioDef, profile: Profile, context: ScenarioContext): number {
  const { warmup, samples } = runsOf(def, profile);
  return def.contenders(profile, context).length * (warmup + samples);
}

function runsOf(def: ScenarioDef, profile: Profile): { warmup: number; samples: number } {
  return def.runs?.(profile) ?? { warmup: profile.warmup, samples: profile.samples };
}

/** `items` rotated left by `by`. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Run `def` under `profile`. A failure is reported in the result's `error`
 * (with whatever was measured before it), never thrown.
 */
export async function runScenario(
  def: ScenarioDef,
  profile: Profile,
  context: ScenarioContext,
  onStep: StepListener = () => {},
): Promise<ScenarioResult> {
  const contenders = def.contenders(profile, context);
  const { warmup, samples } = runsOf(def, profile);
  const measured = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  const cpu = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  let error: string | undefined;
  let inspected: Awaited<ReturnType<NonNullable<ScenarioDef["inspect"]>>> | undefined;
  try {
    for (const contender of contenders) await contender.setup?.();
    for (let round = 0; round < warmup + samples; round++) {
      const warm = round < warmup;
      for (const contender of rotate(contenders, round)) {
        collectGarbage();
        const before = process.cpuUsage();
        const outcome = await contender.run();
        const used = process.cpuUsage(before);
        if (!warm) {
          const own = typeof outcome === "number" ? null : outcome;
          measured.get(contender)!.push(own === null ? (outcome as number) : own.value);
          cpu.get(contender)!.push(own === null ? (used.user + used.system) / 1000 : own.cpuMs);
        }
        onStep(`${def.id} ${contender.name} ${warm ? "warm-up" : `sample ${round - warmup + 1}/${samples}`}`);
      }
    }
    inspected = await def.inspect?.(context);
  } catch (caught) {
    error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
  } finally {
    for (const contender of contenders) {
      try {
        await contender.teardown?.();
      } catch (caught) {
        error ??= `teardown of ${contender.name} failed: ${String(caught)}`;
      }
    }
  }
  const results = contenders.map((c) => summarize(c, measured.get(c)!, cpu.get(c)!));
  return judge(def, profile, results, inspected, error);
}

function summarize(contender: Contender, samples: number[], cpuMs: number[]): ContenderResult {
  const empty = samples.length === 0;
  return {
    name: contender.name,
    role: contender.role,
    median: empty ? Number.NaN : median(samples),
    spread: empty ? { min: Number.NaN, max: Number.NaN, mad: Number.NaN, relative: Number.NaN } : spread(samples),
    samples,
    cpuMs: median(cpuMs),
  };
}

function judge(
  def: ScenarioDef,
  profile: Profile,
  results: ContenderResult[],
  inspected: { details: Record<string, unknown>; ok: boolean; why?: string } | undefined,
  error: string | undefined,
): ScenarioResult {
  const unirun = results.find((r) => r.role === "unirun") ?? null;
  const baseline = results.find((r) => r.role === "baseline") ?? null;
  const complete = error === undefined && unirun !== null && baseline !== null;
  const ratio = complete ? unirun.median / baseline.median : null;
  let actual: number | null = null;
  if (complete) {
    if (def.target.metric === "ratio") actual = ratio;
    else if (def.target.metric === "added") actual = unirun.median - baseline.median;
    else actual = Math.max(...results.filter((r) => r.role === "unirun").map((r) => r.median));
  }
  let met = actual === null ? null : meets(actual, def.target.op, def.target.value);
  let why: string | undefined;
  if (met !== null && inspected && !inspected.ok) {
    met = false;
    why = inspected.why;
  }
  return {
    id: def.id,
    title: def.title,
    measures: def.measures,
    unit: def.unit,
    better: def.better,
    size: def.size(profile),
    ...runsOf(def, profile),
    contenders: results,
    unirun: unirun?.name ?? null,
    baseline: baseline?.name ?? null,
    ratio,
    target: { ...def.target, actual, met, ...(why === undefined ? {} : { why }) },
    details: inspected?.details ?? {},
    ...(error === undefined ? {} : { error }),
  };
}
