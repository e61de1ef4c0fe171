/**
 * P2 and P3: floods of tiny tasks on worker threads. P2 submits each task on
 * its own (unirun may carry several queued tasks in one message; piscina
 * sends one message per task). P3 maps over a million items with no
 * `chunksize`, against piscina fed hand-made chunks.
 */
import os from "node:os";
import { InterpreterPoolExecutor } from "../../api/futures.js";
import { perSecond, range, timeMs } from "../measure.js";
import { rawPiscina } from "../raw.js";
import type { ScenarioDef } from "../types.js";
import { contender, expectEqual, tasksFor } from "./common.js";

export const P2: ScenarioDef = {
  id: "P2",
  title: "100,000 individually submitted no-op tasks on 2 workers, throughput vs raw piscina",
  measures: "no-op tasks per second when each is submitted on its own and all are awaited, on 2 worker threads",
  unit: "tasks/s",
  better: "higher",
  target: { description: "ratio >= 3", metric: "ratio", op: ">=", value: 3 },
  size: (profile) => ({ tasks: profile.tasks, workers: 2 }),
  contenders: (profile, context) => {
    const noop = tasksFor(context).noop;
    const n = profile.tasks;
    return [
      contender(
        "InterpreterPoolExecutor submit × N",
        "unirun",
        () => new InterpreterPoolExecutor({ maxWorkers: 2 }),
        async (ex) => {
          const ms = await timeMs(() => {
            const futures = new Array<PromiseLike<unknown>>(n);
            for (let i = 0; i < n; i++) futures[i] = ex.submit(noop, i);
            return Promise.all(futures);
          });
          return perSecond(n, ms);
        },
        (ex) => ex.shutdown(),
      ),
      contender(
        "piscina run() × N",
        "baseline",
        () => rawPiscina(context, 2),
        async (pool) => {
          const ms = await timeMs(() => {
            const results = new Array<Promise<unknown>>(n);
            for (let i = 0; i < n; i++) results[i] = pool.run(i, { name: "noop" });
            return Promise.all(results);
          });
          return perSecond(n, ms);
        },
        (pool) => pool.destroy(),
      ),
    ];
  },
};

export const P3: ScenarioDef = {
  id: "P3",
  title: "map over 1,000,000 tiny items (no chunksize) vs piscina with 1,000-item chunks",
  measures: "items per second through a no-op on all worker threads, results collected in order",
  unit: "items/s",
  better: "higher",
  target: { description: "ratio >= 0.8", metric: "ratio", op: ">=", value: 0.8 },
  size: (profile) => ({ items: profile.items, baselineChunk: profile.chunk, workers: os.availableParallelism() }),
  // A million-item map takes seconds per run: fewer runs keep the full profile within minutes.
  runs: (profile) => ({ warmup: Math.min(profile.warmup, 1), samples: Math.min(profile.samples, 3) }),
  contenders: (profile, context) => {
    const { noop } = tasksFor(context);
    const items = range(profile.items);
    const workers = os.availableParallelism();
    const mapped = (name: string, role: "unirun" | "reference", chunksize?: number) =>
      contender(
        name,
        role,
        () => new InterpreterPoolExecutor({ maxWorkers: workers }),
        async (ex) => {
          let out: unknown[] = [];
          const options = chunksize === undefined ? {} : { chunksize };
          const ms = await timeMs(async () => (out = await ex.map(noop, items, options).toArray()));
          expectEqual(name, out.length, items.length);
          return perSecond(items.length, ms);
        },
        (ex) => ex.shutdown(),
      );
    return [
      mapped("InterpreterPoolExecutor map (no chunksize)", "unirun"),
      contender(
        `piscina run() per ${profile.chunk}-item chunk`,
        "baseline",
        () => rawPiscina(context, workers),
        async (pool) => {
          let out: unknown[] = [];
          const ms = await timeMs(async () => {
            const chunks: Promise<unknown[]>[] = [];
            for (let i = 0; i < items.length; i += profile.chunk) {
              chunks.push(pool.run(items.slice(i, i + profile.chunk), { name: "noopBatch" }));
            }
            out = (await Promise.all(chunks)).flat();
          });
          expectEqual("piscina", out.length, items.length);
          return perSecond(items.length, ms);
        },
        (pool) => pool.destroy(),
      ),
      mapped(`InterpreterPoolExecutor map, chunksize ${profile.chunk}`, "reference", profile.chunk),
    ];
  },
};
