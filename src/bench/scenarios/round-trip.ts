/**
 * P1 and P6: the cost of one task's round trip — submit one no-op task, wait
 * for its result, repeat — on worker threads and on child processes, against
 * the same round trip written by hand.
 */
import { InterpreterPoolExecutor, ProcessPoolExecutor } from "../../api/futures.js";
import type { Executor } from "../../futures/index.js";
import { microsEach, timeMs } from "../measure.js";
import { childPingPong, rawPiscina, workerPingPong } from "../raw.js";
import type { Contender, Profile, ScenarioContext, ScenarioDef } from "../types.js";
import { contender, tasksFor } from "./common.js";

/** `n` sequential round trips of `roundTrip`, in microseconds each. */
async function sequential(n: number, roundTrip: (i: number) => Promise<unknown>): Promise<number> {
  const ms = await timeMs(async () => {
    for (let i = 0; i < n; i++) await roundTrip(i);
  });
  return microsEach(ms, n);
}

function executorRoundTrip(name: string, make: () => Executor, profile: Profile, context: ScenarioContext): Contender {
  const noop = tasksFor(context).noop;
  return contender(
    name,
    "unirun",
    make,
    (ex) => sequential(profile.roundTrips, (i) => ex.submit(noop, i).result()),
    (ex) => ex.shutdown(),
  );
}

function pingPong(name: string, role: "baseline" | "reference", open: typeof workerPingPong, profile: Profile): Contender {
  return contender(
    name,
    role,
    open,
    (channel) => sequential(profile.roundTrips, (i) => channel.roundTrip(i)),
    (channel) => channel.stop(),
  );
}

export const P1: ScenarioDef = {
  id: "P1",
  title: "no-op round trip, InterpreterPoolExecutor vs raw piscina run()",
  measures: "microseconds for one no-op task to go to a worker thread and back, one at a time, on one worker",
  unit: "µs/task",
  better: "lower",
  target: { description: "ratio <= 1.1", metric: "ratio", op: "<=", value: 1.1 },
  size: (profile) => ({ roundTrips: profile.roundTrips, workers: 1 }),
  contenders: (profile, context) => {
    const piscina = (name: string, role: "baseline" | "reference", atomics?: "async" | "disabled"): Contender =>
      contender(
        name,
        role,
        () => rawPiscina(context, 1, atomics ? { atomics } : {}),
        (pool) => sequential(profile.roundTrips, (i) => pool.run(i, { name: "noop" })),
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
  contenders: (profile, context) => [
    executorRoundTrip("ProcessPoolExecutor submit+result", () => new ProcessPoolExecutor({ maxWorkers: 1 }), profile, context),
    pingPong("child_process IPC ping-pong (advanced serialization)", "baseline", childPingPong, profile),
  ],
};
