// unirun/asyncio: sleep, timeout scopes and waitFor. No test asserts a
// duration: deadlines are short and every wait is bounded by `within`.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { CancelledError, InvalidStateError, ThreadPoolExecutor, TimeoutError } from "../src/api/futures.js";
import { sleep, timeout, waitFor, TimeoutError as AsyncioTimeoutError } from "../src/asyncio/index.js";
import { aborted, settled, turns, untilAborted } from "./fixtures/asyncio-helpers.js";
import { createFuture, deferred, thrown, within } from "./helpers.js";

describe("sleep", () => {
  it("resolves with the value it was given, or undefined", async () => {
    expect(await within(sleep(0.001, "value"))).toBe("value");
    expect(await within(sleep(0))).toBeUndefined();
    const obj = { a: 1 };
    expect(await within(sleep(0, obj))).toBe(obj);
  });

  it("sleep(0) yields to the event loop: a ready setImmediate callback runs first", async () => {
    const order: string[] = [];
    setImmediate(() => order.push("immediate"));
    await sleep(0);
    order.push("after sleep");
    expect(order).toEqual(["immediate", "after sleep"]);
  });

  it("is ended early by its signal, rejecting with the signal's reason", async () => {
    const controller = new AbortController();
    const pending = sleep(60, "never", { signal: controller.signal });
    expect(await settled(pending)).toBe("pending");
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(within(pending)).rejects.toBe(reason);
  });

  it("rejects at once with an already aborted signal; sleep(Infinity) ends only by its signal", async () => {
    await expect(sleep(1, 1, { signal: AbortSignal.abort("gone") })).rejects.toBe("gone");
    const controller = new AbortController();
    const forever = sleep(Infinity, 1, { signal: controller.signal });
    expect(await settled(forever)).toBe("pending");
    controller.abort();
    await expect(within(forever)).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects bad arguments synchronously, naming them", () => {
    expect(thrown(() => sleep(-1))).toEqual(new RangeError("sleep(seconds) must be a non-negative number of seconds; got -1"));
    expect(thrown(() => sleep(Number.NaN))).toBeInstanceOf(RangeError);
    const notNumber = thrown(() => sleep("1" as unknown as number)) as TypeError;
    expect(notNumber).toBeInstanceOf(TypeError);
    expect(notNumber.message).toMatch(/^sleep\(seconds\) must be a number of seconds \(>= 0\); got "1"$/);
    expect(thrown(() => (sleep as (s?: number) => Promise<unknown>)())).toBeInstanceOf(TypeError);
    const option = thrown(() => sleep(1, 1, { sigal: null } as never)) as TypeError;
    expect(option.message).toMatch(/unknown option "sigal"; accepted options are signal/);
    expect(thrown(() => sleep(1, 1, { signal: {} as AbortSignal }))).toBeInstanceOf(TypeError);
  });
});

describe("timeout scope", () => {
  it("returns the body's result when it finishes in time, and its signal never aborts", async () => {
    let bodySignal: AbortSignal | undefined;
    const out = await within(timeout(0.02, async (signal) => {
      bodySignal = signal;
      return "done";
    }));
    expect(out).toBe("done");
    await sleep(0.05); // past the deadline: the timer was cleared
    expect(bodySignal!.aborted).toBe(false);
  });

  it("aborts the body's signal at the deadline and rejects with that TimeoutError", async () => {
    let bodySignal: AbortSignal | undefined;
    const scope = timeout(0.01, (signal) => {
      bodySignal = signal;
      return untilAborted(signal);
    });
    const error = await within(scope).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toBeInstanceOf(AsyncioTimeoutError); // one class, shared with unirun/futures
    expect((error as Error).message).toBe("timeout(): the body did not finish within 0.01 seconds; its signal was aborted");
    expect(bodySignal!.reason).toBe(error);
  });

  it("waits for the body to settle after aborting it, as asyncio waits for the cancelled task", async () => {
    const release = deferred();
    let sawAbort = false;
    const scope = timeout(0.01, async (signal) => {
      await aborted(signal);
      sawAbort = true;
      await release.promise; // cleanup that takes a while
      throw new DOMException("stopped", "AbortError");
    });
    await within(new Promise<void>((resolve) => {
      const check = (): void => (sawAbort ? resolve() : void setTimeout(check, 1));
      check();
    }));
    expect(await settled(scope)).toBe("pending");
    release.resolve();
    await expect(within(scope)).rejects.toBeInstanceOf(TimeoutError);
  });

  it("rejects with TimeoutError when the body ignores its signal and finishes late", async () => {
    const late = deferred<string>();
    const scope = timeout(0.01, async (signal) => {
      await aborted(signal);
      return late.promise;
    });
    late.resolve("too late");
    await expect(within(scope)).rejects.toBeInstanceOf(TimeoutError);
  });

  it("rethrows the body's own error, before or after the deadline", async () => {
    const own = new Error("own");
    await expect(within(timeout(5, async () => { throw own; }))).rejects.toBe(own);
    const cleanup = new Error("cleanup failed");
    await expect(within(timeout(0.01, async (signal) => {
      await aborted(signal);
      throw cleanup;
    }))).rejects.toBe(cleanup);
  });

  it("calls the body synchronously in the caller's AsyncLocalStorage context; a sync throw rejects", async () => {
    const als = new AsyncLocalStorage<string>();
    let called = false;
    const scope = als.run("ctx", () => timeout(1, async () => {
      called = true;
      await sleep(0);
      return als.getStore();
    }));
    expect(called).toBe(true);
    expect(await within(scope)).toBe("ctx");
    const boom = new Error("sync");
    await expect(timeout(1, () => { throw boom; })).rejects.toBe(boom);
  });

  it("null means no limit; reschedule() sets one later; expired() reports it", async () => {
    const scope = timeout(null, async (signal, cm) => {
      expect(cm.signal).toBe(signal);
      expect(cm.expired()).toBe(false);
      await sleep(0.01);
      expect(signal.aborted).toBe(false);
      cm.reschedule(0.01);
      try {
        await untilAborted(signal);
      } finally {
        expect(cm.expired()).toBe(true);
        expect(thrown(() => cm.reschedule(1))).toBeInstanceOf(InvalidStateError);
      }
    });
    await expect(within(scope)).rejects.toBeInstanceOf(TimeoutError);
  });

  it("reschedule(null) removes the deadline", async () => {
    const out = await within(timeout(0.01, async (signal, cm) => {
      cm.reschedule(null);
      await sleep(0.05);
      return signal.aborted;
    }));
    expect(out).toBe(false);
  });

  it("follows an outer signal: the body's signal aborts with its reason, which the scope rejects with", async () => {
    const outer = new AbortController();
    let inner: AbortSignal | undefined;
    const scope = timeout(60, (signal) => {
      inner = signal;
      return untilAborted(signal);
    }, { signal: outer.signal });
    const reason = new CancelledError("request gone");
    outer.abort(reason);
    await expect(within(scope)).rejects.toBe(reason);
    expect(inner!.reason).toBe(reason);
    const already = timeout(60, (signal) => signal.aborted, { signal: AbortSignal.abort("x") });
    expect(await within(already)).toBe(true);
  });

  it("rejects bad arguments synchronously, naming them", () => {
    expect((thrown(() => timeout(-1, async () => 1)) as Error).message)
      .toBe("timeout(seconds) must be a non-negative number of seconds, null or undefined (no limit); got -1");
    expect(thrown(() => timeout("1" as never, async () => 1))).toBeInstanceOf(TypeError);
    expect((thrown(() => timeout(1, 5 as never)) as Error).message).toBe("timeout(body) must be a function; got number 5");
    expect(thrown(() => timeout(1, async () => 1, { deadline: 1 } as never))).toBeInstanceOf(TypeError);
    return within(timeout(null, async (_signal, cm) => {
      expect(thrown(() => cm.reschedule(-2))).toBeInstanceOf(RangeError);
    }));
  });
});

describe("waitFor", () => {
  it("resolves with the awaitable's value, or rejects with its error, within the timeout", async () => {
    expect(await within(waitFor(Promise.resolve(5), 1))).toBe(5);
    expect(await within(waitFor(sleep(0.001, "late enough"), null))).toBe("late enough");
    const error = new TypeError("bad");
    await expect(within(waitFor(Promise.reject(error), 1))).rejects.toBe(error);
    const thenable = { then: (resolve: (v: string) => void) => resolve("thenable") };
    expect(await within(waitFor(thenable as PromiseLike<string>, 1))).toBe("thenable");
  });

  it("times out a Promise, abandons it and handles its late rejection", async () => {
    const never = deferred<number>();
    const error = await within(waitFor(never.promise, 0.01)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/^waitFor\(\): the awaitable did not settle within 0\.01 seconds; a Promise cannot be cancelled/);
    never.reject(new Error("late")); // must not be reported as an unhandled rejection
    await turns();
  });

  it("with timeout 0, yields an outcome that is already there and times out one that is not", async () => {
    expect(await within(waitFor(Promise.resolve("ready"), 0))).toBe("ready");
    expect(await within(waitFor(createFuture("FINISHED", { result: "done" }), 0))).toBe("done");
    await expect(within(waitFor(deferred().promise, 0))).rejects.toBeInstanceOf(TimeoutError);
  });

  it("cancels a pending Future on timeout; a running one cannot be cancelled", async () => {
    const ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = deferred();
    try {
      const running = ex.submit(() => gate.promise);
      const queued = ex.submit(() => "never ran");
      const error = await within(waitFor(queued, 0.01)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toMatch(/it was cancelled$/);
      expect(queued.cancelled()).toBe(true);
      await turns(1);
      expect(running.running()).toBe(true);
      const stuck = await within(waitFor(running, 0.01)).catch((e: unknown) => e);
      expect((stuck as Error).message).toMatch(/it is running, so it could not be cancelled$/);
      expect(running.cancelled()).toBe(false);
    } finally {
      gate.resolve();
      await ex.shutdown();
    }
  });

  it("aborts a function's signal at the deadline and rejects once the function has settled", async () => {
    const cleanup = deferred();
    let reason: unknown;
    const waiting = waitFor(async (signal) => {
      reason = await aborted(signal);
      await cleanup.promise;
      throw signal.reason;
    }, 0.01);
    await within(new Promise<void>((resolve) => {
      const check = (): void => (reason ? resolve() : void setTimeout(check, 1));
      check();
    }));
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(await settled(waiting)).toBe("pending");
    cleanup.resolve();
    const error = await within(waiting).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect((error as Error).message).toBe("waitFor(): the work did not finish within 0.01 seconds; its signal was aborted");
  });

  it("runs a function without a limit when the timeout is null", async () => {
    expect(await within(waitFor(async (signal) => signal.aborted, null))).toBe(false);
  });

  it("rejects bad arguments synchronously, naming them", () => {
    const notAwaitable = thrown(() => waitFor(5 as never, 1)) as TypeError;
    expect(notAwaitable).toBeInstanceOf(TypeError);
    expect(notAwaitable.message).toMatch(/^waitFor\(awaitable, timeout\): awaitable must be a Promise, a Future, another thenable or a function/);
    expect((thrown(() => waitFor(Promise.resolve(1), -1)) as Error).message)
      .toBe("waitFor(timeout) must be a non-negative number of seconds, null or undefined (no limit); got -1");
    expect(thrown(() => waitFor(Promise.resolve(1), "1" as never))).toBeInstanceOf(TypeError);
  });
});
