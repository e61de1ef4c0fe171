// unirun/asyncio: Semaphore and BoundedSemaphore.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { BoundedSemaphore, Semaphore } from "../src/asyncio/index.js";
import { settled, turns } from "./fixtures/asyncio-helpers.js";
import { deferred, thrown, within } from "./helpers.js";

describe("Semaphore", () => {
  it("hands out its permits, then makes acquire() wait until a release", async () => {
    const sem = new Semaphore(2);
    expect(await within(sem.acquire())).toBe(true);
    expect(sem.locked()).toBe(false);
    await within(sem.acquire());
    expect(sem.locked()).toBe(true);
    const third = sem.acquire();
    expect(await settled(third)).toBe("pending");
    sem.release();
    expect(await within(third)).toBe(true);
    expect(sem.value).toBe(0);
  });

  it("defaults to one permit", async () => {
    const sem = new Semaphore();
    await within(sem.acquire());
    expect(sem.locked()).toBe(true);
  });

  it("is FIFO: waiters are served in order and a newcomer never overtakes them", async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const order: string[] = [];
    const a = sem.acquire().then(() => order.push("a"));
    const b = sem.acquire().then(() => order.push("b"));
    sem.release(); // goes to a
    await within(a);
    expect(sem.locked()).toBe(true); // b still queued
    const c = sem.acquire().then(() => order.push("c"));
    sem.release();
    await within(b);
    sem.release();
    await within(c);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("releasing more than acquired raises the count, as asyncio.Semaphore allows", async () => {
    const sem = new Semaphore(1);
    sem.release();
    expect(sem.value).toBe(2);
    await within(Promise.all([sem.acquire(), sem.acquire()]));
    expect(sem.locked()).toBe(true);
  });

  it("use(fn) holds a permit while fn runs and releases it however fn ends", async () => {
    const sem = new Semaphore(3);
    let inFlight = 0;
    let peak = 0;
    const gates = Array.from({ length: 8 }, () => deferred());
    const runs = gates.map((gate, i) => sem.use(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await gate.promise;
      inFlight--;
      if (i === 0) throw new Error("first fails");
      return i;
    }));
    const all = Promise.allSettled(runs);
    await turns();
    expect(inFlight).toBe(3);
    for (const gate of gates) {
      gate.resolve();
      await turns(1);
    }
    const outcomes = await within(all);
    expect(peak).toBe(3);
    expect(outcomes[0]).toMatchObject({ status: "rejected", reason: { message: "first fails" } });
    expect(outcomes.slice(1).map((o) => (o as PromiseFulfilledResult<number>).value)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sem.value).toBe(3);
  });

  it("use(fn) runs fn in its caller's AsyncLocalStorage context, even when another context releases", async () => {
    const als = new AsyncLocalStorage<string>();
    const sem = new Semaphore(1);
    await sem.acquire();
    const waiting = als.run("waiter", () => sem.use(() => als.getStore()));
    als.run("releaser", () => sem.release());
    expect(await within(waiting)).toBe("waiter");
  });

  it("an aborted acquire() leaves the queue; the permit goes to the next waiter", async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const controller = new AbortController();
    const withdrawn = sem.acquire({ signal: controller.signal });
    const next = sem.acquire();
    controller.abort(new Error("no longer needed"));
    await expect(within(withdrawn)).rejects.toThrow("no longer needed");
    sem.release();
    expect(await within(next)).toBe(true);
    expect(sem.value).toBe(0);
    sem.release();
    expect(sem.locked()).toBe(false);
  });

  it("an already aborted signal rejects even when a permit is free, taking nothing", async () => {
    const sem = new Semaphore(1);
    await expect(sem.acquire({ signal: AbortSignal.abort("late") })).rejects.toBe("late");
    await expect(sem.use(async () => 1, { signal: AbortSignal.abort("late") })).rejects.toBe("late");
    expect(sem.value).toBe(1);
  });

  it("rejects bad arguments synchronously, naming them", () => {
    expect((thrown(() => new Semaphore(-1)) as Error).message)
      .toBe("Semaphore(value): must be a non-negative integer number of permits (>= 0); got -1");
    expect(thrown(() => new Semaphore(1.5))).toBeInstanceOf(RangeError);
    expect(thrown(() => new Semaphore("2" as never))).toBeInstanceOf(TypeError);
    const sem = new Semaphore(1);
    expect((thrown(() => sem.use(5 as never)) as Error).message).toBe("Semaphore.use(fn) must be a function; got number 5");
    expect(thrown(() => sem.acquire({ signal: "x" } as never))).toBeInstanceOf(TypeError);
    expect(thrown(() => sem.acquire({ timeout: 1 } as never))).toBeInstanceOf(TypeError);
    expect(sem.value).toBe(1);
  });
});

describe("BoundedSemaphore", () => {
  it("refuses a release above its initial value with a RangeError", async () => {
    const sem = new BoundedSemaphore(2);
    await sem.acquire();
    sem.release();
    const error = thrown(() => sem.release());
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^BoundedSemaphore released too many times \(its initial value is 2\)/);
    expect(sem.value).toBe(2);
  });

  it("otherwise behaves as a Semaphore", async () => {
    const sem = new BoundedSemaphore(1);
    await sem.acquire();
    const waiter = sem.acquire();
    sem.release();
    expect(await within(waiter)).toBe(true);
    expect(thrown(() => new BoundedSemaphore(-1))).toBeInstanceOf(RangeError);
  });
});
