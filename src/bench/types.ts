/**
 * The shapes the benchmark harness works with: profiles, scenario
 * definitions, and the results it reports (the `--json` file's schema).
 */

/** How big and how often: `tiny` checks the harness, `quick` is a look, `full` is the record. */
export type ProfileName = "tiny" | "quick" | "full";

/** The sizes of one profile. Counts are plain numbers; no unit is a time. */
export interface Profile {
  name: ProfileName;
  /** Unmeasured runs per contender before sampling (every contender gets as many). */
  warmup: number;
  /** Measured runs per contender. */
  samples: number;
  /** P1, P6: sequential round trips in one sample. */
  roundTrips: number;
  /** P2: individually submitted no-op tasks in one sample. */
  tasks: number;
  /** P3: items in one `map`. */
  items: number;
  /** P3: the baseline's hand-made chunk size. */
  chunk: number;
  /** P4: `countPrimes` calls in one sample, and the limit each counts below. */
  primeTasks: number;
  primeLimit: number;
  /** P5: no-op async tasks in one sample, and how many run at once. */
  asyncTasks: number;
  inFlight: number;
  /** P7: process starts per contender (warm-up excluded). */
  startupSamples: number;
  /** P8: futures pending at once. */
  pending: number;
}

export type Better = "lower" | "higher";

/** The three kinds of contender: the unirun code under test, what it is judged against, and context. */
export type Role = "unirun" | "baseline" | "reference";

/** One way of doing a scenario's work, measured the same way as the others. */
export interface Contender {
  name: string;
  role: Role;
  /** Start what the runs need (pools, workers); not measured. */
  setup?(): Promise<void>;
  /**
   * One run; returns the measurement in the scenario's unit, or that and the
   * CPU time of the measured part when the run does unmeasured work too
   * (starting a worker of its own).
   */
  run(): Promise<number | { value: number; cpuMs: number }>;
  /** Stop what `setup` started; always called, even after a failure. */
  teardown?(): Promise<void>;
}

/** What a scenario's target is checked on. */
export interface Target {
  /** Human wording of the target, e.g. "ratio <= 1.1". */
  description: string;
  op: "<=" | ">=";
  value: number;
  /**
   * "ratio": unirun's median ÷ the baseline's; "added": their difference;
   * "value": the largest median among the `unirun` contenders.
   */
  metric: "ratio" | "added" | "value";
}

/** A scenario as the harness runs it. */
export interface ScenarioDef {
  id: string;
  title: string;
  /** One sentence: what one measurement is. */
  measures: string;
  unit: string;
  better: Better;
  target: Target;
  /** The parameters the profile gives this scenario, for the report. */
  size(profile: Profile): Record<string, number>;
  /** Fresh contenders for one scenario run (the first `unirun` and the `baseline` are judged). */
  contenders(profile: Profile, context: ScenarioContext): Contender[];
  /** Extra facts gathered after sampling (P7: threads started); may veto the target. */
  inspect?(context: ScenarioContext): Promise<{ details: Record<string, unknown>; ok: boolean; why?: string }>;
  /** Warm-up and measured runs per contender (default: the profile's). */
  runs?(profile: Profile): { warmup: number; samples: number };
}

/** What scenarios share: where the package and its workloads are. */
export interface ScenarioContext {
  /** The package's root directory. */
  root: string;
  /** The `unirun/workloads` module to import in workers: a file path (TypeScript source when running from it). */
  workloadsFile: string;
  /** True when the harness runs from TypeScript source (tests), false from dist/. */
  fromSource: boolean;
}

/** A contender's measurements. */
export interface ContenderResult {
  name: string;
  role: Role;
  median: number;
  spread: Spread;
  samples: number[];
  /**
   * Median CPU time of one measured run in milliseconds, for this process and
   * all its threads (child processes not included). Unlike the wall clock it
   * barely moves when other programs compete for the cores.
   */
  cpuMs: number;
}

/** How far the samples stray from the median. */
export interface Spread {
  min: number;
  max: number;
  /** Median absolute deviation, in the scenario's unit. */
  mad: number;
  /** `mad / median` (0 when the median is 0). */
  relative: number;
}

/** One scenario's outcome, as written to the `--json` file. */
export interface ScenarioResult {
  id: string;
  title: string;
  measures: string;
  unit: string;
  better: Better;
  size: Record<string, number>;
  warmup: number;
  samples: number;
  contenders: ContenderResult[];
  unirun: string | null;
  baseline: string | null;
  /** unirun's median ÷ the baseline's median (null when either is missing). */
  ratio: number | null;
  target: Target & { actual: number | null; met: boolean | null; why?: string };
  details: Record<string, unknown>;
  /** Set when the scenario could not run; its numbers are then missing. */
  error?: string;
}

/** The machine a run was made on. */
export interface Machine {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  availableParallelism: number;
  totalMemoryGiB: number;
}

/** The whole `--json` report. */
export interface BenchReport {
  schema: "unirun-bench/1";
  unirun: string;
  profile: ProfileName;
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  /**
   * The machine's 1-, 5- and 15-minute load averages when the run started and
   * ended: above the core count, other work competed with the benchmark.
   */
  loadAverage: { start: number[]; end: number[] };
  scenarios: ScenarioResult[];
}
