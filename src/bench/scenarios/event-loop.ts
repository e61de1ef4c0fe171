/**
 * P5: a flood of no-op async tasks on the event loop with a concurrency
 * limit — ThreadPoolExecutor against p-limit, the package a Node user reaches
 * for, with p-map and an unbounded Promise.all for context.
 */
import pLimit from "p-limit";
import pMap from "p-map";
import { ThreadPoolExecutor } from "../../api/futures.js";
import { range, timeMs } from "../measure.js";
import type { ScenarioDef } from "../types.js";
import { contender, plain } from "./common.js";

async function asyncNoop(): Promise<void> {}

export const P5: ScenarioDef = {
  id: "P5",
  title: "100,000 no-op async tasks, 64 in flight, ThreadPoolExecutor vs p-limit",
  measures: "milliseconds to run every task and await them all, at most 64 running at once",
  unit: "ms",
  better: "lower",
  target: { description: "ratio <= 2", metric: "ratio", op: "<=", value: 2 },
  size: (profile) => ({ tasks: profile.asyncTasks, inFlight: profile.inFlight }),
  contenders: (profile) => {
    const n = profile.asyncTasks;
    const items = range(n);
    return [
      contender(
        "ThreadPoolExecutor submit × N",
        "unirun",
        () => new ThreadPoolExecutor({ maxWorkers: profile.inFlight }),
        (ex) =>
          timeMs(() => {
            const futures = new Array<PromiseLike<void>>(n);
            for (let i = 0; i < n; i++) futures[i] = ex.submit(asyncNoop);
            return Promise.all(futures);
          }),
        (ex) => ex.shutdown(),
      ),
      contender(
        "p-limit",
        "baseline",
        () => pLimit(profile.inFlight),
        (limit) =>
          timeMs(() => {
            const results = new Array<Promise<void>>(n);
            for (let i = 0; i < n; i++) results[i] = limit(asyncNoop);
            return Promise.all(results);
          }),
      ),
      plain("p-map", "reference", () => timeMs(() => pMap(items, asyncNoop, { concurrency: profile.inFlight }))),
      plain("Promise.all, unbounded", "reference", () =>
        timeMs(() => {
          const results = new Array<Promise<void>>(n);
          for (let i = 0; i < n; i++) results[i] = asyncNoop();
          return Promise.all(results);
        })),
    ];
  },
};
