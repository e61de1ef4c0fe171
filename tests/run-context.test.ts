// A managed executor's calls run in the async context of their submitter,
// also when they wait for a slot (the native executors' behaviour).
import { AsyncLocalStorage } from "node:async_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { ThreadPoolExecutor as NativeThreadPool } from "../src/api/futures.js";
import { ThreadPoolExecutor as ManagedThreadPool } from "../src/run/managed-executors.js";
import { Run } from "../src/run/run.js";
import { reset } from "../src/run/scheduler.js";

const store = new AsyncLocalStorage<string>();

async function contextsSeen(ex: { submit: NativeThreadPool["submit"]; shutdown: NativeThreadPool["shutdown"] }) {
  const futures = ["c1", "c2", "c3", "c4"].map((label) =>
    store.run(label, () => ex.submit(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return store.getStore();
    }))
  );
  const seen = await Promise.all(futures);
  await ex.shutdown();
  return seen;
}

describe("async context of queued calls", () => {
  afterEach(() => reset());

  it("natively, each call sees its submitter's context", async () => {
    expect(await contextsSeen(new NativeThreadPool({ maxWorkers: 1 }))).toEqual(["c1", "c2", "c3", "c4"]);
  });

  it("managed, a call that waited for a slot still sees its submitter's context", async () => {
    expect(await contextsSeen(new ManagedThreadPool({ maxWorkers: 1 }))).toEqual(["c1", "c2", "c3", "c4"]);
  });

  it("in a Run with one slot, the same", async () => {
    expect(await contextsSeen(new Run({ flavor: "threads", maxWorkers: 1 }))).toEqual(["c1", "c2", "c3", "c4"]);
  });
});
