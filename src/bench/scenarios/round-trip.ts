/**
 * P1 and P6: the cost of one task's round trip — submit one no-op task, wait
 * for its result, repeat — on worker threads and on child processes, against
 * the same round trip written by hand.
 */
import { InterpreterPoolExecutor, ProcessPoolExecutor } from "../../api/futures.js";
import type { Executor } from "../../futures/index.js";
import { microsEach, timeMs } from "../measure.js";
import { childPingPong, rawPiscina, workerPingPong } from "../raw.js";
import type { Contender, Profile, Role, ScenarioContext, ScenarioDef } from "../types.js";
import { plain, tasksFor } from "./common.js";

/** `n` sequential round trips of `roundTrip`, in microseconds each. */
async function sequential(n: number, roundTrip: (i: number) => Promise<unknown>): Promise<number> {
  const ms = await timeMs(async () => {
    for (let i = 0; i < n; i++) await roundTrip(i);
  });
  return microsEach(ms, n);
}

/**
 * A round-trip contender on a fresh worker (or child) every run: started,
 * warmed with as many round trips as are measured (a new thread's JIT starts
 * cold), measured, stopped. Where the OS
 * places a thread or process against the caller is luck that lasts as long as
 * that thread or process: on this project's 2 shared cores one echo child
 * measured twice as fast as another, run after run. A fresh one per run
 * samples that luck equally for every contender.
 */
function freshEachRun<T>(
  name: string,
  role: Role,
  profile: Profile,
  open: () => T | Promise<T>,
  roundTrip: (resource: T, i: number) => Promise<unknown>,
  close: (resource: T) => unknown,
): Contender {
  return plain(name, role, async () => {
    const resource = await open();
    try {
      for (let i = 0; i < profile.roundTrips; i++) await roundTrip(resource, i);
      const before = process.cpuUsage();
      const value = await sequential(profile.roundTrips, (i) => roundTrip(resource, i));
      const used = process.cpuUsage(before);
      return { value, cpuMs: (used.user + used.system) / 1000 };
    } finally {
      await close(resource);
    }
  });
}

function executorRoundTrip(name: string, make: () => Executor, profile: Profile, context: ScenarioContext): Contender {
  const noop = tasksFor(context).noop;
  return freshEachRun(name, "unirun", profile, make, (ex, i) => ex.submit(noop, i).result(), (ex) => ex.shutdown());
}

function pingPong(name: string, role: "baseline" | "reference", open: typeof workerPingPong, profile: Profile): Contender {
  return freshEachRun(name, role, profile, open, (channel, i) => channel.roundTrip(i), (channel) => channel.stop());
}

/** Twice the profile's samples: each run has a thread or process of its own (see {@link freshEachRun}). */
const moreSamples = (profile: Profile): { warmup: number; samples: number } => ({
  warmup: profile.warmup,
  samples: profile.samples * 2,
});

export const P1: ScenarioDef = {
  id: "P1",
  title: "no-op round trip, InterpreterPoolExecutor vs raw piscina run()",
  measures: "microseconds for one no-op task to go to a worker thread and back, one at a time, on one worker",
  unit: "µs/task",
  better: "lower",
  target: { description: "ratio <= 1.1", metric: "ratio", op: "<=", value: 1.1 },
  size: (profile) => ({ roundTrips: profile.roundTrips, workers: 1 }),
  runs: moreSamples,
  contenders: (profile, context) => {
    const piscina = (name: string, role: "baseline" | "reference", atomics?: "async" | "disabled"): Contender =>
      freshEachRun(
        name,
        role,
        profile,
        () => rawPiscina(context, 1, atomics ? { atomics } : {}),
        (pool, i) => pool.run(i, { name: "noop" }),
        (pool) => pool.destroy(),
      );
    return [
      executorRoundTrip("InterpreterPoolExecutor submit+result", () => new InterpreterPoolExecutor({ maxWorkers: 1 }), profile, context),
      piscina("piscina run()", "baseline"),
      // unirun's pool runs piscina with atomics: 'async'; these two show what that choice costs.
      piscina("piscina run(), atomics: 'async'", "reference", "async"),
      piscina("piscina run(), atomics: 'disabled'", "reference", "disabled"),
      pingPong("worker_threads postMessage ping-pong", "reference", workerPingPong, profile),
    ];
  },
};

export const P6: ScenarioDef = {
  id: "P6",
  title: "no-op round trip, ProcessPoolExecutor vs raw child_process IPC",
  measures: "microseconds for one no-op task to go to a child process and back, one at a time, on one child",
  unit: "µs/task",
  better: "lower",
  target: { description: "ratio <= 1.2", metric: "ratio", op: "<=", value: 1.2 },
  size: (profile) => ({ roundTrips: profile.roundTrips, children: 1 }),
  runs: moreSamples,
  contenders: (profile, context) => [
    executorRoundTrip("ProcessPoolExecutor submit+result", () => new ProcessPoolExecutor({ maxWorkers: 1 }), profile, context),
    pingPong("child_process IPC ping-pong (advanced serialization)", "baseline", childPingPong, profile),
  ],
};
