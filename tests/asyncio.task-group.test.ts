// unirun/asyncio: TaskGroup — structured concurrency over AbortSignals.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { CancelledError, InvalidStateError } from "../src/api/futures.js";
import { TaskGroup, sleep, timeout, TimeoutError } from "../src/asyncio/index.js";
import { aborted, settled, turns, untilAborted } from "./fixtures/asyncio-helpers.js";
import { deferred, thrown, within } from "./helpers.js";

describe("TaskGroup.run", () => {
  it("runs tasks concurrently and returns the body's value once all succeed", async () => {
    const started: string[] = [];
    const gate = deferred();
    const out = await within(TaskGroup.run(async (tg) => {
      const a = tg.createTask(async () => {
        started.push("a");
        await gate.promise;
        return 1;
      });
      const b = tg.createTask(async () => {
        started.push("b");
        await gate.promise;
        return "two";
      });
      await turns(1);
      expect(started).toEqual(["a", "b"]); // both running before either finished
      gate.resolve();
      return [await a, await b] as const;
    }));
    expect(out).toEqual([1, "two"]);
  });

  it("starts a function task on a later microtask with the group's signal; accepts a running promise", async () => {
    await within(TaskGroup.run(async (tg) => {
      let called = false;
      const task = tg.createTask((signal) => {
        called = true;
        return signal;
      });
      expect(called).toBe(false);
      expect(await task).toBe(tg.signal);
      expect(await tg.createTask(Promise.resolve("already running"))).toBe("already running");
    }));
  });

  it("waits for tasks the body did not await", async () => {
    const gate = deferred();
    let finished = false;
    const run = TaskGroup.run((tg) => {
      tg.createTask(async () => {
        await gate.promise;
        finished = true;
      });
      return "body done";
    });
    expect(await settled(run)).toBe("pending");
    gate.resolve();
    expect(await within(run)).toBe("body done");
    expect(finished).toBe(true);
  });

  it("the first failure aborts the siblings, waits for them, and is rethrown as itself", async () => {
    const failure = new Error("task failed");
    const siblingCleanup = deferred();
    let siblingReason: unknown;
    const run = TaskGroup.run(async (tg) => {
      tg.createTask(async (signal) => {
        siblingReason = await aborted(signal);
        await siblingCleanup.promise;
        throw signal.reason; // how a cancelled task usually ends
      });
      tg.createTask(async () => {
        throw failure;
      });
    });
    await within(new Promise<void>((resolve) => {
      const check = (): void => (siblingReason ? resolve() : void setTimeout(check, 1));
      check();
    }));
    expect(siblingReason).toBeInstanceOf(CancelledError);
    expect((siblingReason as Error).cause).toBe(failure);
    expect(await settled(run)).toBe("pending"); // still waiting for the sibling
    siblingCleanup.resolve();
    await expect(within(run)).rejects.toBe(failure);
  });

  it("several failures reject with an AggregateError of all of them, in the order they failed", async () => {
    const first = new RangeError("first");
    const second = new TypeError("cleanup failed");
    const error = await within(TaskGroup.run(async (tg) => {
      tg.createTask(async (signal) => {
        await aborted(signal);
        throw second;
      });
      tg.createTask(async () => {
        throw first;
      });
    })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([first, second]);
    expect((error as Error).message).toBe("unhandled errors in a TaskGroup (2 sub-exceptions)");
  });

  it("tasks ending by AbortError or CancelledError after the abort are not failures", async () => {
    const failure = new Error("only this");
    const run = TaskGroup.run(async (tg) => {
      tg.createTask((signal) => sleep(60, null, { signal })); // rejects with an AbortError-like reason
      tg.createTask(async (signal) => {
        await aborted(signal);
        throw new DOMException("aborted", "AbortError");
      });
      tg.createTask(async (signal) => {
        await aborted(signal);
        throw new CancelledError("gave up");
      });
      tg.createTask(async () => {
        throw failure;
      });
    });
    await expect(within(run)).rejects.toBe(failure);
  });

  it("a failing task's promise left unawaited is reported by the group, never as unhandled", async () => {
    const failure = new Error("unawaited");
    await expect(within(TaskGroup.run((tg) => {
      tg.createTask(() => Promise.reject(failure));
    }))).rejects.toBe(failure);
    await turns();
  });

  it("a body that rethrows a task's error yields that error once", async () => {
    const failure = new Error("awaited in the body");
    const run = TaskGroup.run(async (tg) => {
      await tg.createTask(async () => {
        throw failure;
      });
    });
    await expect(within(run)).rejects.toBe(failure);
  });

  it("a body that throws aborts the tasks; its error joins theirs", async () => {
    const bodyError = new Error("body");
    let taskReason: unknown;
    await expect(within(TaskGroup.run(async (tg) => {
      tg.createTask(async (signal) => {
        taskReason = await aborted(signal);
        throw signal.reason;
      });
      await turns(1);
      throw bodyError;
    }))).rejects.toBe(bodyError);
    expect((taskReason as Error).cause).toBe(bodyError);

    const taskError = new Error("task");
    const both = await within(TaskGroup.run(async (tg) => {
      tg.createTask(async () => {
        throw taskError;
      });
      await aborted(tg.signal);
      throw bodyError;
    })).catch((e: unknown) => e);
    expect((both as AggregateError).errors).toEqual([taskError, bodyError]);
  });

  it("after the abort, a new function task never runs and rejects with CancelledError", async () => {
    const failure = new Error("x");
    let ran = false;
    let late: Promise<unknown> | undefined;
    await expect(within(TaskGroup.run(async (tg) => {
      tg.createTask(async () => {
        throw failure;
      });
      await aborted(tg.signal);
      late = tg.createTask(async () => {
        ran = true;
      });
    }))).rejects.toBe(failure);
    await expect(late).rejects.toBeInstanceOf(CancelledError);
    expect(ran).toBe(false);
  });

  it("tasks may create tasks while the group waits; once finished, createTask throws InvalidStateError", async () => {
    let group: TaskGroup | undefined;
    const results: number[] = [];
    await within(TaskGroup.run((tg) => {
      group = tg;
      tg.createTask(async () => {
        await sleep(0);
        tg.createTask(async () => {
          results.push(2);
        });
        results.push(1);
      });
    }));
    expect(results).toEqual([1, 2]);
    const error = thrown(() => group!.createTask(async () => 1));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toMatch(/^TaskGroup is finished/);
  });

  it("an outer signal aborts the tasks and the group rejects with its reason", async () => {
    const outer = new AbortController();
    let taskReason: unknown;
    const run = TaskGroup.run((tg) => {
      tg.createTask(async (signal) => {
        taskReason = await aborted(signal);
        throw signal.reason;
      });
    }, { signal: outer.signal });
    await turns(1);
    outer.abort("shutting down");
    await expect(within(run)).rejects.toBe("shutting down");
    expect(taskReason).toBe("shutting down");
  });

  it("nests in a timeout scope through the scope's signal", async () => {
    const run = timeout(0.01, (signal) => TaskGroup.run((tg) => {
      tg.createTask((taskSignal) => untilAborted(taskSignal));
      tg.createTask((taskSignal) => untilAborted(taskSignal));
    }, { signal }));
    await expect(within(run)).rejects.toBeInstanceOf(TimeoutError);
  });

  it("tasks run in the AsyncLocalStorage context of the code that created them", async () => {
    const als = new AsyncLocalStorage<string>();
    const seen = await within(TaskGroup.run((tg) => als.run("request-1", () => tg.createTask(async () => {
      await sleep(0);
      return als.getStore();
    }))));
    expect(seen).toBe("request-1");
  });

  it("rejects bad arguments synchronously, naming them", async () => {
    expect((thrown(() => TaskGroup.run(5 as never)) as Error).message)
      .toBe("TaskGroup.run(body): body must be a function (tg) => ...; got number 5");
    expect(thrown(() => new TaskGroup({ signal: 1 } as never))).toBeInstanceOf(TypeError);
    expect(thrown(() => new TaskGroup({ timeout: 1 } as never))).toBeInstanceOf(TypeError);
    await within(TaskGroup.run((tg) => {
      const error = thrown(() => tg.createTask(5 as never)) as TypeError;
      expect(error.message).toBe(
        "TaskGroup.createTask(work): work must be a function (signal) => ... or a Promise; got number 5",
      );
    }));
  });
});

describe("TaskGroup with await using", () => {
  it("waits for the tasks when the block ends", async () => {
    const gate = deferred();
    const log: string[] = [];
    const block = (async () => {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        await gate.promise;
        log.push("task");
      });
      log.push("block end");
    })();
    expect(await settled(block)).toBe("pending");
    gate.resolve();
    await within(block);
    expect(log).toEqual(["block end", "task"]);
  });

  it("rethrows a task's failure from the disposal", async () => {
    const failure = new Error("in a task");
    const block = (async () => {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        throw failure;
      });
    })();
    await expect(within(block)).rejects.toBe(failure);
  });

  it("disposing twice returns the same promise", async () => {
    const tg = new TaskGroup();
    const first = tg[Symbol.asyncDispose]();
    expect(tg[Symbol.asyncDispose]()).toBe(first);
    await within(first);
  });
});
