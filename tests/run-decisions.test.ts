/**
 * Scheduler decisions (SPEC §5): published on the `unirun:decision`
 * diagnostics channel, kept for `lastDecision()`, observed by callback or
 * async iterator, formatted for traces.
 */
import diagnostics_channel from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import {
  DECISION_CHANNEL,
  formatDecision,
  lastDecision,
  observeDecisions,
  publishDecision,
  resetDecisions,
  type Decision,
  type DecisionInput,
} from "../src/run/decisions.js";

const channel = diagnostics_channel.channel("unirun:decision");

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    requested: "ThreadPoolExecutor",
    resolved: "event-loop",
    reason: "thread-mode",
    poolSize: 8,
    name: null,
    component: null,
    scope: "executor",
    ...overrides,
  };
}

/** Resolve with the next value `iterator` yields; fail after `timeoutMs`. */
async function nextWithin<T>(iterator: AsyncIterator<T>, timeoutMs = 2_000): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no decision in time")), timeoutMs);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

afterEach(() => {
  resetDecisions();
  // Every test cleans up after itself; a leak here would hide the next test's checks.
  expect(channel.hasSubscribers).toBe(false);
});

describe("publishDecision and lastDecision", () => {
  it("starts with no decision and keeps the last published one", () => {
    expect(lastDecision()).toBeNull();
    const first = publishDecision(input());
    expect(lastDecision()).toBe(first);
    const second = publishDecision(input({ resolved: "worker-threads", reason: "hint" }));
    expect(lastDecision()).toBe(second);
    resetDecisions();
    expect(lastDecision()).toBeNull();
  });

  it("returns a frozen copy stamped with performance.now()", () => {
    const before = performance.now();
    const given = input({ detail: "why" });
    const decision = publishDecision(given);
    expect(decision).not.toBe(given);
    expect(Object.isFrozen(decision)).toBe(true);
    expect(decision).toMatchObject(given);
    expect(decision.at).toBeGreaterThanOrEqual(before);
    expect(decision.at).toBeLessThanOrEqual(performance.now());
    expect(publishDecision(input({ at: 42 })).at).toBe(42);
  });

  it("delivers to a diagnostics_channel subscriber of unirun:decision", () => {
    const seen: Array<[unknown, string | symbol]> = [];
    const onMessage = (message: unknown, name: string | symbol): void => {
      seen.push([message, name]);
    };
    diagnostics_channel.subscribe(DECISION_CHANNEL, onMessage);
    try {
      expect(channel.hasSubscribers).toBe(true);
      const decision = publishDecision(input({ name: "ingest", component: "parser" }));
      expect(seen).toEqual([[decision, "unirun:decision"]]);
      expect(seen[0]![0]).toBe(decision);
    } finally {
      diagnostics_channel.unsubscribe(DECISION_CHANNEL, onMessage);
    }
  });

  it("still records when nobody subscribes", () => {
    expect(channel.hasSubscribers).toBe(false);
    const decision = publishDecision(input());
    expect(lastDecision()).toBe(decision);
  });
});

describe("observeDecisions(listener)", () => {
  it("calls the listener synchronously until unsubscribed", () => {
    const seen: Decision[] = [];
    const stop = observeDecisions((d) => seen.push(d));
    expect(channel.hasSubscribers).toBe(true);
    const a = publishDecision(input());
    const b = publishDecision(input({ scope: "task" }));
    expect(seen).toEqual([a, b]);
    stop();
    stop();
    publishDecision(input());
    expect(seen).toEqual([a, b]);
    expect(channel.hasSubscribers).toBe(false);
  });

  it("is disposable: `using stop = observeDecisions(fn)`", () => {
    const seen: Decision[] = [];
    {
      const stop = observeDecisions((d) => seen.push(d));
      try {
        publishDecision(input());
      } finally {
        // What `using` compiles to.
        stop[Symbol.dispose]();
      }
    }
    publishDecision(input());
    expect(seen).toHaveLength(1);
    expect(channel.hasSubscribers).toBe(false);
  });

  it("treats the same listener observed twice as two subscriptions", () => {
    const seen: Decision[] = [];
    const listener = (d: Decision): void => {
      seen.push(d);
    };
    const first = observeDecisions(listener);
    const second = observeDecisions(listener);
    publishDecision(input());
    expect(seen).toHaveLength(2);
    first();
    publishDecision(input());
    expect(seen).toHaveLength(3);
    second();
    expect(channel.hasSubscribers).toBe(false);
  });
});

describe("observeDecisions() as an async iterator", () => {
  it("streams decisions published after the call, in order, buffering unpulled ones", async () => {
    publishDecision(input({ requested: "before" }));
    const stream = observeDecisions();
    const published = ["a", "b", "c"].map((requested) => publishDecision(input({ requested })));
    const pulled: Decision[] = [];
    for (let i = 0; i < 3; i++) pulled.push((await nextWithin(stream)).value as Decision);
    expect(pulled).toEqual(published);
    await stream.return!();
  });

  it("delivers to a consumer already waiting", async () => {
    const stream = observeDecisions();
    const pending = nextWithin(stream);
    const decision = publishDecision(input());
    expect(await pending).toEqual({ value: decision, done: false });
    await stream.return!();
  });

  it("unsubscribes on break", async () => {
    const stream = observeDecisions();
    expect(channel.hasSubscribers).toBe(true);
    const published = [publishDecision(input({ requested: "x" })), publishDecision(input({ requested: "y" }))];
    const seen: Decision[] = [];
    for await (const decision of stream) {
      seen.push(decision);
      if (seen.length === 1) publishDecision(input({ requested: "z" }));
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(published);
    expect(channel.hasSubscribers).toBe(false);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("return() ends waiting consumers and drops the buffer", async () => {
    const stream = observeDecisions();
    const waiting = stream.next();
    await stream.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });

    const buffered = observeDecisions();
    publishDecision(input());
    await buffered.return!();
    expect(await buffered.next()).toEqual({ value: undefined, done: true });
    expect(channel.hasSubscribers).toBe(false);
  });

  it("is async-disposable: `await using stream = observeDecisions()`", async () => {
    const stream = observeDecisions();
    try {
      publishDecision(input());
      expect((await nextWithin(stream)).done).toBe(false);
    } finally {
      await stream[Symbol.asyncDispose]();
    }
    expect(channel.hasSubscribers).toBe(false);
  });

  it("keeps independent streams apart", async () => {
    const one = observeDecisions();
    const two = observeDecisions();
    const decision = publishDecision(input());
    expect((await nextWithin(one)).value).toBe(decision);
    await one.return!();
    expect(channel.hasSubscribers).toBe(true);
    const later = publishDecision(input({ requested: "later" }));
    expect((await nextWithin(two)).value).toBe(decision);
    expect((await nextWithin(two)).value).toBe(later);
    await two.return!();
  });
});

describe("formatDecision", () => {
  it("reads as one line for a trace", () => {
    expect(formatDecision(publishDecision(input()))).toBe(
      "unirun: ThreadPoolExecutor → event-loop (thread-mode; 8 workers)",
    );
  });

  it("adds the name, a single worker, per-task scope, component and detail", () => {
    const decision = publishDecision(
      input({
        requested: "auto",
        resolved: "worker-threads",
        reason: "hint",
        poolSize: 1,
        name: "ingest",
        component: "parser",
        scope: "task",
        detail: "cpuBound task",
      }),
    );
    expect(formatDecision(decision)).toBe(
      'unirun: auto "ingest" → worker-threads (hint; 1 worker; per task; component parser; cpuBound task)',
    );
  });
});
