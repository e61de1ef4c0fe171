/**
 * PoolBackend.run answers through callbacks (pool-backend.ts): run() returns
 * nothing, and each request gets exactly one onReply or onFailure, never
 * from inside run() itself.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcessBackend } from "../src/executors/child-backend.js";
import { PiscinaBackend } from "../src/executors/piscina-backend.js";
import { SendRefused, type PoolBackend, type RunOptions } from "../src/executors/pool-backend.js";
import { toCallSpec } from "../src/executors/transport/call-spec.js";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "../src/executors/transport/runner.js";
import { task } from "../src/executors/transport/task.js";
import type * as MathModule from "./fixtures/task-math.js";

const MATH = new URL("./fixtures/task-math.ts", import.meta.url);
const add = toCallSpec(task<typeof MathModule, "add">(MATH, "add"), "submit(fn, ...args)");

interface Outcome {
  calls: number;
  inside: boolean;
  reply?: WorkerReply;
  error?: unknown;
}

/** Run `request` and resolve with what the callbacks saw. */
function runOnce(backend: PoolBackend, request: WorkerRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { calls: 0, inside: true };
    const options: RunOptions = {
      onReply(reply) {
        outcome.calls++;
        outcome.reply = reply;
        setTimeout(() => resolve(outcome), 20);
      },
      onFailure(error) {
        outcome.calls++;
        outcome.error = error;
        setTimeout(() => resolve(outcome), 20);
      },
    };
    const returned: unknown = backend.run(request, options);
    expect(returned).toBeUndefined();
    // A callback that ran inside run() would have counted while `inside` was true.
    if (outcome.calls > 0) resolve(outcome);
    outcome.inside = false;
  });
}

const made: PoolBackend[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((backend) => backend.destroy("terminate")));
});

const backends: [string, (config: WorkerConfig) => PoolBackend][] = [
  ["PiscinaBackend", (config) => new PiscinaBackend({ config, size: 1, resourceLimits: undefined, onFatal: () => undefined })],
  [
    "ChildProcessBackend",
    (config) =>
      new ChildProcessBackend({ config, size: 1, maxTasksPerChild: null, execArgv: null, env: null, onFatal: () => undefined }),
  ],
];

describe.each(backends)("%s.run answers through callbacks", (name, create) => {
  const open = (transport: WorkerConfig["transport"]): PoolBackend => {
    const backend = create({ transport, initializer: null, initargs: [] });
    made.push(backend);
    return backend;
  };
  const transport = name === "PiscinaBackend" ? "thread" : "process";

  it("one onReply, after run() has returned", async () => {
    const backend = open(transport);
    for (const n of [1, 2]) {
      const outcome = await runOnce(backend, [[add], 0, [[n, 10]]]);
      expect(outcome.calls).toBe(1);
      expect(outcome.inside).toBe(false);
      expect(outcome.reply).toEqual([[n + 10], 0, expect.any(Number)]);
    }
  }, 20_000);

  it("one onFailure with SendRefused for a request the serializer refuses, after run() has returned", async () => {
    const backend = open(transport);
    const outcome = await runOnce(backend, [[add], 0, [[() => 1, 10]]]);
    expect(outcome.calls).toBe(1);
    expect(outcome.inside).toBe(false);
    expect(outcome.error).toBeInstanceOf(SendRefused);
    // The worker is fine: the next request is answered.
    const next = await runOnce(backend, [[add], 0, [[1, 2]]]);
    expect(next.reply).toEqual([[3], 0, expect.any(Number)]);
  }, 20_000);
});
