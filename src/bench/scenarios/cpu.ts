/**
 * P4: CPU-bound work on every core against the same work done sequentially
 * on the calling thread — the speedup a user buys with a pool.
 */
import os from "node:os";
import { InterpreterPoolExecutor, ProcessPoolExecutor } from "../../api/futures.js";
import type { Executor } from "../../futures/index.js";
import { countPrimes } from "../../workloads/cpu.js";
import { perSecond, timeMs } from "../measure.js";
import { rawPiscina } from "../raw.js";
import type { Profile, ScenarioContext, ScenarioDef } from "../types.js";
import { contender, expectEqual, plain, tasksFor } from "./common.js";

function executorMap(name: string, role: "unirun" | "reference", make: () => Executor, profile: Profile, context: ScenarioContext) {
  const task = tasksFor(context).countPrimes;
  const limits = new Array<number>(profile.primeTasks).fill(profile.primeLimit);
  let expected: number | undefined;
  return contender(
    name,
    role,
    make,
    async (ex) => {
      let out: number[] = [];
      const ms = await timeMs(async () => (out = await ex.map(task, limits).toArray()));
      expectEqual(name, out, limits.map(() => (expected ??= countPrimes(profile.primeLimit))));
      return perSecond(limits.length, ms);
    },
    (ex) => ex.shutdown(),
  );
}

export const P4: ScenarioDef = {
  id: "P4",
  title: "countPrimes map on all cores vs sequential on the calling thread",
  measures: "countPrimes(limit) calls per second; the ratio is the speedup over running them one after another",
  unit: "tasks/s",
  better: "higher",
  target: { description: "speedup >= 1.8", metric: "ratio", op: ">=", value: 1.8 },
  size: (profile) => ({ tasks: profile.primeTasks, limit: profile.primeLimit, workers: os.availableParallelism() }),
  contenders: (profile, context) => {
    const limits = new Array<number>(profile.primeTasks).fill(profile.primeLimit);
    const workers = os.availableParallelism();
    return [
      executorMap("InterpreterPoolExecutor map", "unirun", () => new InterpreterPoolExecutor({ maxWorkers: workers }), profile, context),
      plain("sequential on the calling thread", "baseline", async () => {
        const ms = await timeMs(async () => limits.map((limit) => countPrimes(limit)));
        return perSecond(limits.length, ms);
      }),
      executorMap("ProcessPoolExecutor map", "reference", () => new ProcessPoolExecutor({ maxWorkers: workers }), profile, context),
      contender(
        "piscina run() × N",
        "reference",
        () => rawPiscina(context, workers),
        async (pool) => {
          const ms = await timeMs(() => Promise.all(limits.map((limit) => pool.run(limit, { name: "countPrimes" }))));
          return perSecond(limits.length, ms);
        },
        (pool) => pool.destroy(),
      ),
    ];
  },
};
