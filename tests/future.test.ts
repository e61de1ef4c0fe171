/**
 * Port of CPython's Lib/test/test_concurrent_futures/test_future.py
 * (class FutureTests), plus the Future behaviour SPEC §2 adds.
 *
 * Blocking calls become promises: `f.result(timeout)` and `f.exception(timeout)`
 * return Promises, and the "notification" threads of CPython become settling
 * the future after the read has started.
 *
 * Skipped CPython cases:
 * - test_get_snapshot: `_get_snapshot()` is a private CPython helper for reading
 *   state atomically across OS threads; there is no such method (nor any other
 *   thread) here, and the public reads it backs are covered by test_done,
 *   test_cancelled and test_result_with_timeout.
 * - test_repr's `at 0x...` address and `returned int` type name: JavaScript has
 *   no object addresses, and our description names the value's type and value
 *   (`returned number 42`); the state names are checked as in CPython.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import {
  BrokenExecutor, BrokenInterpreterPool, BrokenProcessPool, BrokenThreadPool, CancelledError,
  Executor, Future, InvalidStateError, TimeoutError,
} from "../src/api/futures.js";
import { OSError, createFuture, standardFutures, thrown, within } from "./helpers.js";

let errorSpy: MockInstance<typeof console.error>;

beforeEach(() => {
  errorSpy = vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => {
  errorSpy.mockRestore();
});

/** `read` applied to CPython's six standard futures, in util.py's order. */
function readAll(F: ReturnType<typeof standardFutures>, read: (f: Future<unknown>) => boolean): boolean[] {
  return [
    F.PENDING_FUTURE,
    F.RUNNING_FUTURE,
    F.CANCELLED_FUTURE,
    F.CANCELLED_AND_NOTIFIED_FUTURE,
    F.EXCEPTION_FUTURE,
    F.SUCCESSFUL_FUTURE,
  ].map(read);
}

/** The console.error calls whose message mentions the failing callback. */
function callbackReports(): unknown[][] {
  return errorSpy.mock.calls.filter((args) => String(args[0]).includes("exception calling callback for"));
}

describe("FutureTests", () => {
  it("test_done_callback_with_result", () => {
    let callbackResult = null as Promise<unknown> | null;
    const f = new Future<number>();
    f.addDoneCallback((callbackFuture) => {
      callbackResult = callbackFuture.result();
    });
    f.setResult(5);
    expect(callbackResult).not.toBeNull();
    return expect(callbackResult).resolves.toBe(5);
  });

  it("test_done_callback_with_exception", async () => {
    let callbackException = null as Promise<unknown> | null;
    const f = new Future();
    f.addDoneCallback((callbackFuture) => {
      callbackException = callbackFuture.exception();
    });
    f.setException(new Error("test"));
    expect(callbackException).not.toBeNull();
    const error = await callbackException;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("test");
  });

  it("test_done_callback_with_cancel", () => {
    let wasCancelled: boolean | null = null;
    const f = new Future();
    f.addDoneCallback((callbackFuture) => {
      wasCancelled = callbackFuture.cancelled();
    });
    expect(f.cancel()).toBe(true);
    expect(wasCancelled).toBe(true);
  });

  it("test_done_callback_raises", () => {
    let raisingWasCalled = false;
    let fnWasCalled = false;
    const f = new Future<number>();
    f.addDoneCallback(() => {
      raisingWasCalled = true;
      throw new Error("doh!");
    });
    f.addDoneCallback(() => {
      fnWasCalled = true;
    });
    f.setResult(5);
    expect(raisingWasCalled).toBe(true);
    expect(fnWasCalled).toBe(true);
    const reports = callbackReports();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContainEqual(expect.objectContaining({ message: "doh!" }));
  });

  it("test_done_callback_already_successful", () => {
    let callbackResult = null as Promise<unknown> | null;
    const f = new Future<number>();
    f.setResult(5);
    f.addDoneCallback((callbackFuture) => {
      callbackResult = callbackFuture.result();
    });
    expect(callbackResult).not.toBeNull();
    return expect(callbackResult).resolves.toBe(5);
  });

  it("test_done_callback_already_failed", async () => {
    let callbackException = null as Promise<unknown> | null;
    const f = new Future();
    f.setException(new Error("test"));
    f.addDoneCallback((callbackFuture) => {
      callbackException = callbackFuture.exception();
    });
    expect(callbackException).not.toBeNull();
    expect(((await callbackException) as Error).message).toBe("test");
  });

  it("test_done_callback_already_cancelled", () => {
    let wasCancelled: boolean | null = null;
    const f = new Future();
    expect(f.cancel()).toBe(true);
    f.addDoneCallback((callbackFuture) => {
      wasCancelled = callbackFuture.cancelled();
    });
    expect(wasCancelled).toBe(true);
  });

  it("test_done_callback_raises_already_succeeded", () => {
    const f = new Future<number>();
    // Set the result first so the callback runs at once, inside addDoneCallback.
    f.setResult(5);
    f.addDoneCallback(() => {
      throw new Error("doh!");
    });
    const reports = callbackReports();
    expect(reports).toHaveLength(1);
    expect(String(reports[0][0])).toContain("exception calling callback for");
    expect(reports[0]).toContainEqual(expect.objectContaining({ message: "doh!" }));
  });

  it("test_repr", () => {
    const F = standardFutures();
    expect(String(F.PENDING_FUTURE)).toBe("<Future state=pending>");
    expect(String(F.RUNNING_FUTURE)).toBe("<Future state=running>");
    expect(String(F.CANCELLED_FUTURE)).toBe("<Future state=cancelled>");
    expect(String(F.CANCELLED_AND_NOTIFIED_FUTURE)).toBe("<Future state=cancelled>");
    expect(String(F.EXCEPTION_FUTURE)).toBe("<Future state=finished raised OSError>");
    expect(String(F.SUCCESSFUL_FUTURE)).toMatch(/^<Future state=finished returned number\b/);
  });

  it("test_class_str", () => {
    // CPython checks str(cls); the JavaScript analogue is the class name,
    // which every instance's `name` repeats.
    expect(Future.name).toBe("Future");
    expect(Executor.name).toBe("Executor");
    for (const cls of [CancelledError, TimeoutError, InvalidStateError, BrokenExecutor]) {
      const error = new cls("x");
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(cls.name);
      expect(String(error)).toBe(`${cls.name}: x`);
    }
    expect(new BrokenThreadPool("x")).toBeInstanceOf(BrokenExecutor);
    expect(new BrokenProcessPool("x")).toBeInstanceOf(BrokenExecutor);
    expect(new BrokenInterpreterPool("x")).toBeInstanceOf(BrokenThreadPool);
  });

  it("test_cancel", () => {
    const cases: [Future<unknown>, boolean, string][] = [
      [createFuture("PENDING"), true, "CANCELLED"],
      [createFuture("RUNNING"), false, "RUNNING"],
      [createFuture("CANCELLED"), true, "CANCELLED"],
      [createFuture("CANCELLED_AND_NOTIFIED"), true, "CANCELLED_AND_NOTIFIED"],
      [createFuture("FINISHED", { exception: new OSError() }), false, "FINISHED"],
      [createFuture("FINISHED", { result: 5 }), false, "FINISHED"],
    ];
    for (const [f, returned, after] of cases) {
      expect(f.cancel()).toBe(returned);
      expect(f.state).toBe(after);
    }
  });

  it("test_cancelled", () => {
    expect(readAll(standardFutures(), (f) => f.cancelled())).toEqual([false, false, true, true, false, false]);
  });

  it("test_done", () => {
    expect(readAll(standardFutures(), (f) => f.done())).toEqual([false, false, true, true, true, true]);
  });

  it("test_running", () => {
    expect(readAll(standardFutures(), (f) => f.running())).toEqual([false, true, false, false, false, false]);
  });

  it("test_result_with_timeout", async () => {
    const F = standardFutures();
    await expect(F.PENDING_FUTURE.result(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(F.RUNNING_FUTURE.result(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(F.CANCELLED_FUTURE.result(0)).rejects.toBeInstanceOf(CancelledError);
    await expect(F.CANCELLED_AND_NOTIFIED_FUTURE.result(0)).rejects.toBeInstanceOf(CancelledError);
    await expect(F.EXCEPTION_FUTURE.result(0)).rejects.toBeInstanceOf(OSError);
    await expect(F.SUCCESSFUL_FUTURE.result(0)).resolves.toBe(42);
  });

  it("test_result_with_success", async () => {
    const f1 = createFuture<number>("PENDING");
    // Start waiting first, then settle: CPython's notification thread.
    const pending = f1.result(5);
    setImmediate(() => f1.setResult(42));
    await expect(within(pending)).resolves.toBe(42);
  });

  it("test_result_with_cancel", async () => {
    const f1 = createFuture("PENDING");
    const pending = f1.result(5);
    setImmediate(() => f1.cancel());
    await expect(within(pending)).rejects.toBeInstanceOf(CancelledError);
  });

  it("test_exception_with_timeout", async () => {
    const F = standardFutures();
    await expect(F.PENDING_FUTURE.exception(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(F.RUNNING_FUTURE.exception(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(F.CANCELLED_FUTURE.exception(0)).rejects.toBeInstanceOf(CancelledError);
    await expect(F.CANCELLED_AND_NOTIFIED_FUTURE.exception(0)).rejects.toBeInstanceOf(CancelledError);
    await expect(F.EXCEPTION_FUTURE.exception(0)).resolves.toBeInstanceOf(OSError);
    await expect(F.SUCCESSFUL_FUTURE.exception(0)).resolves.toBeNull();
  });

  it("test_exception_with_success", async () => {
    const f1 = createFuture("PENDING");
    const pending = f1.exception(5);
    setImmediate(() => f1.setException(new OSError()));
    await expect(within(pending)).resolves.toBeInstanceOf(OSError);
  });

  it("test_multiple_set_result", async () => {
    const f = createFuture<number>("PENDING");
    f.setResult(1);
    const error = thrown(() => f.setResult(2));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toMatch(/FINISHED: <Future state=finished returned number/);
    expect(f.done()).toBe(true);
    await expect(f.result()).resolves.toBe(1);
  });

  it("test_multiple_set_exception", async () => {
    const f = createFuture("PENDING");
    const e = new RangeError("first");
    f.setException(e);
    const error = thrown(() => f.setException(new Error("second")));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toContain("FINISHED: <Future state=finished raised RangeError>");
    await expect(f.exception()).resolves.toBe(e);
  });
});

describe("Future: SPEC §2 additions", () => {
  it("await future resolves with the result, or rejects as result() does", async () => {
    const ok = new Future<string>();
    setImmediate(() => ok.setResult("value"));
    expect(await within(ok)).toBe("value");

    const failure = new OSError("boom");
    const failed = createFuture("FINISHED", { exception: failure });
    await expect(within(failed)).rejects.toBe(failure);

    await expect(within(createFuture("CANCELLED"))).rejects.toBeInstanceOf(CancelledError);
  });

  it("result(timeout) and exception(timeout) take seconds and reject with our TimeoutError", async () => {
    const f = createFuture("RUNNING");
    const [r, e] = await Promise.allSettled([within(f.result(0.01)), within(f.exception(0.01))]);
    for (const outcome of [r, e]) {
      expect(outcome.status).toBe("rejected");
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(TimeoutError);
      expect(reason.name).toBe("TimeoutError");
    }
    // A timeout that has not run out does not disturb a later result.
    const g = new Future<number>();
    const read = g.result(30);
    g.setResult(7);
    await expect(within(read)).resolves.toBe(7);
    expect(f.state).toBe("RUNNING");
  });

  it("rejects a bad timeout synchronously, naming the argument", () => {
    const f = new Future();
    for (const bad of [-1, Number.NaN]) {
      for (const call of [() => f.result(bad), () => f.exception(bad)]) {
        const error = thrown(call) as Error;
        expect(error).toBeInstanceOf(RangeError);
        expect(error.message).toContain("timeout");
      }
    }
    const error = thrown(() => f.result("1" as unknown as number)) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("timeout");
  });

  it("done callbacks run synchronously on settle, in registration order", () => {
    const order: string[] = [];
    const f = new Future<number>();
    f.addDoneCallback(() => order.push("a"));
    f.addDoneCallback(() => order.push("b"));
    f.addDoneCallback(() => order.push("c"));
    expect(order).toEqual([]);
    f.setRunningOrNotifyCancel();
    expect(order).toEqual([]);
    f.setResult(1);
    expect(order).toEqual(["a", "b", "c"]);
    // At once on a done future, and never twice.
    f.addDoneCallback(() => order.push("d"));
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("done callbacks receive the future itself and run once across cancel and notify", () => {
    const seen: Future[] = [];
    const f = new Future();
    f.addDoneCallback((g) => seen.push(g));
    f.cancel();
    f.cancel();
    expect(f.setRunningOrNotifyCancel()).toBe(false);
    expect(f.state).toBe("CANCELLED_AND_NOTIFIED");
    expect(seen).toEqual([f]);
    expect(seen[0]).toBe(f);
  });

  it("a throwing callback is reported and breaks neither the future nor later callbacks", async () => {
    const boom = new Error("callback failure");
    const later: number[] = [];
    const f = new Future<number>();
    f.addDoneCallback(() => {
      throw boom;
    });
    f.addDoneCallback((g) => later.push(g.state === "FINISHED" ? 1 : 0));
    expect(() => f.setResult(3)).not.toThrow();
    expect(later).toEqual([1]);
    expect(callbackReports()).toHaveLength(1);
    expect(callbackReports()[0]).toContain(boom);
    expect(f.state).toBe("FINISHED");
    await expect(f.result()).resolves.toBe(3);
    await expect(f.exception()).resolves.toBeNull();
  });

  it("addDoneCallback rejects a non-function with a TypeError naming fn", () => {
    const error = thrown(() => new Future().addDoneCallback(42 as never)) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("fn");
  });

  it("cancel() on a RUNNING future returns false and leaves it running", async () => {
    const f = createFuture<number>("RUNNING");
    expect(f.cancel()).toBe(false);
    expect(f.running()).toBe(true);
    expect(f.cancelled()).toBe(false);
    f.setResult(9);
    await expect(f.result()).resolves.toBe(9);
  });

  it("setResult and setException raise InvalidStateError on a cancelled or finished future", () => {
    const states = [
      () => createFuture("CANCELLED"),
      () => createFuture("CANCELLED_AND_NOTIFIED"),
      () => createFuture("FINISHED", { result: 1 }),
      () => createFuture("FINISHED", { exception: new OSError() }),
    ];
    for (const make of states) {
      const f = make();
      const before = f.state;
      expect(thrown(() => f.setResult(2))).toBeInstanceOf(InvalidStateError);
      expect(thrown(() => f.setException(new Error("x")))).toBeInstanceOf(InvalidStateError);
      expect(f.state).toBe(before);
    }
  });

  it("setRunningOrNotifyCancel raises InvalidStateError from RUNNING, FINISHED or CANCELLED_AND_NOTIFIED", () => {
    for (const state of ["RUNNING", "FINISHED", "CANCELLED_AND_NOTIFIED"] as const) {
      const f = createFuture(state, { result: 1 });
      const error = thrown(() => f.setRunningOrNotifyCancel()) as Error;
      expect(error).toBeInstanceOf(InvalidStateError);
      expect(error.message).toContain("unexpected state");
      expect(f.state).toBe(state);
    }
    const pending = new Future();
    expect(pending.setRunningOrNotifyCancel()).toBe(true);
    expect(pending.state).toBe("RUNNING");
  });

  it("a RUNNING future can be finished with setResult or setException", async () => {
    const ok = createFuture<number>("RUNNING");
    ok.setResult(1);
    expect(ok.done()).toBe(true);
    expect(ok.running()).toBe(false);
    await expect(ok.result()).resolves.toBe(1);

    const failed = createFuture("RUNNING");
    const error = new OSError("io");
    failed.setException(error);
    await expect(failed.exception()).resolves.toBe(error);
    await expect(failed.result()).rejects.toBe(error);
  });
});
