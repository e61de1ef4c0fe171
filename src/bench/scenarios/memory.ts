/**
 * P8: the heap a pending future costs, with many pending at once — what a
 * program that queues a large backlog pays per queued call. Measured from
 * the V8 heap after a full collection, before and after creating them.
 */
import { Future, InterpreterPoolExecutor, ProcessPoolExecutor, ThreadPoolExecutor } from "../../api/futures.js";
import type { Executor } from "../../futures/index.js";
import { collectGarbage, heapUsed } from "../measure.js";
import type { Contender, Profile, ScenarioContext, ScenarioDef } from "../types.js";
import { plain, tasksFor } from "./common.js";

/**
 * Bytes per item that `create(n)` keeps alive: the heap after it minus the
 * heap before, over `n`, each after a full collection. `dispose` then lets
 * them go.
 */
async function bytesEach<T>(n: number, create: (n: number) => T, dispose: (held: T) => Promise<unknown> | void): Promise<number> {
  collectGarbage();
  const before = heapUsed();
  const held = create(n);
  collectGarbage();
  const after = heapUsed();
  await dispose(held);
  return Math.max(0, after - before) / n;
}

function noopFn(): void {}

/**
 * Futures queued behind a busy executor: submitted, measured and cancelled
 * in one synchronous stretch, so none starts (tasks start on a later tick)
 * and no worker is ever spawned.
 */
function pendingOn(name: string, make: () => Executor, fn: (...args: any[]) => unknown, profile: Profile): Contender {
  return plain(name, "unirun", () =>
    bytesEach(
      profile.pending,
      (n) => {
        const ex = make();
        const futures = new Array<Future<unknown>>(n);
        for (let i = 0; i < n; i++) futures[i] = ex.submit(fn);
        return { ex, futures };
      },
      ({ ex }) => ex.shutdown({ cancelFutures: true }),
    ));
}

export const P8: ScenarioDef = {
  id: "P8",
  title: "heap per pending future, 100,000 pending",
  measures: "bytes of V8 heap each pending future keeps alive, with all of them pending at once",
  unit: "bytes",
  better: "lower",
  target: { description: "<= 1 KB per pending future (every executor)", metric: "value", op: "<=", value: 1024 },
  size: (profile) => ({ pending: profile.pending }),
  contenders: (profile: Profile, context: ScenarioContext) => {
    const noop = tasksFor(context).noop;
    return [
      pendingOn("ThreadPoolExecutor submit (queued)", () => new ThreadPoolExecutor({ maxWorkers: 1 }), noopFn, profile),
      pendingOn("InterpreterPoolExecutor submit (queued)", () => new InterpreterPoolExecutor({ maxWorkers: 1 }), noop, profile),
      pendingOn("ProcessPoolExecutor submit (queued)", () => new ProcessPoolExecutor({ maxWorkers: 1 }), noop, profile),
      plain("pending Promise with its resolvers", "baseline", () =>
        bytesEach(
          profile.pending,
          (n) => {
            const held: { promise: Promise<unknown>; resolve: (value: unknown) => void }[] = [];
            for (let i = 0; i < n; i++) {
              let resolve!: (value: unknown) => void;
              const promise = new Promise((r) => (resolve = r));
              held.push({ promise, resolve });
            }
            return held;
          },
          () => undefined,
        )),
      plain("bare new Future()", "reference", () =>
        bytesEach(profile.pending, (n) => Array.from({ length: n }, () => new Future()), () => undefined)),
    ];
  },
};
