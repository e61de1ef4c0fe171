/**
 * The queues of a managed executor (SPEC §5). Each lane is a FIFO of calls
 * with its own limit of calls in flight: the executor's `maxWorkers` for
 * `submit`, or the size the XCS rule gives one `map`. A call waits in its lane
 * until the lane has room, then is forwarded to the pool that runs it.
 */
import { AsyncResource } from "node:async_hooks";
import { BrokenExecutor } from "../futures/errors.js";
import type { Executor } from "../futures/executor.js";
import { Fifo } from "../futures/fifo.js";
import { type Future, kOnCancel, kOutcome } from "../futures/future.js";
import type { Backend } from "./decide.js";
import type { LinkedFuture } from "./linked-future.js";

/** One call of a managed executor, from `submit` until its pool has it. */
export interface Call {
  /** The future handed to the caller. */
  readonly future: LinkedFuture<unknown>;
  readonly lane: Lane;
  /** The executor the call goes to; replaced when its shared pool was found broken before first use. */
  target: Executor;
  /** The backend of a leased shared pool `target` is, or `null` (event loop, a pool of its own, a caller's). */
  readonly leased: Backend | null;
  /** Hand the call to `target`; returns the pool's future. May throw (shut down, broken). */
  readonly send: (target: Executor) => Future<unknown>;
  readonly signal: AbortSignal | null;
  /**
   * The submitter's async context, kept while the call waits: the pool must
   * see the call as submitted from there (AsyncLocalStorage flows into
   * event-loop tasks), not from whichever call freed the slot.
   */
  context?: AsyncResource;
}

/** A FIFO of calls with its own limit of calls in flight. */
export class Lane {
  readonly queue = new Fifo<Call>();
  inFlight = 0;

  /** @param limit calls of this lane in flight at most (a positive integer). */
  constructor(readonly limit: number) {}

  /** Whether a new call may be forwarded at once: room, and nobody waiting before it. */
  canForwardNow(): boolean {
    return this.inFlight < this.limit && this.queue.size === 0;
  }
}

/** What {@link Lanes} needs from its executor. */
export interface LanesHost {
  /** Hand the call to its pool; returns the pool's future. May throw (shut down, broken). */
  send(call: Call): Future<unknown>;
  /** The executor's Broken* error once broken, else `null`. */
  broken(): BrokenExecutor | null;
  /** A pool raised a Broken* error: the executor breaks (and calls {@link Lanes.failWaiting}). */
  onBroken(error: BrokenExecutor): void;
}

/**
 * The calls of one managed executor: waiting in their lanes, or in flight on
 * a pool. Forwards a call as soon as its lane has room, mirrors the pool's
 * future in the call's `LinkedFuture`, and tells when everything is done.
 */
export class Lanes {
  /** Calls forwarded to a pool and not settled yet. */
  readonly inFlight = new Set<LinkedFuture<unknown>>();
  /** Lanes with calls waiting. */
  readonly #waiting = new Set<Lane>();
  readonly #signals = new SignalWatch(() => this.pump());
  readonly #idle: (() => void)[] = [];
  readonly #noticeCancel = (future: Future<unknown>): void => {
    future.setRunningOrNotifyCancel();
  };

  constructor(private readonly host: LanesHost) {}

  /** Forward `call` now when its lane has room (errors are thrown to the caller), else queue it. */
  admit(call: Call): Future<unknown> {
    if (call.lane.canForwardNow()) {
      this.#forward(call, true);
      return call.future;
    }
    call.future[kOnCancel] = this.#noticeCancel;
    if (call.signal?.aborted) {
      call.future.cancel();
      return call.future;
    }
    call.context = new AsyncResource("unirun.QueuedCall");
    call.lane.queue.push(call);
    this.#waiting.add(call.lane);
    this.#signals.add(call);
    return call.future;
  }

  /** Forward waiting calls while their lanes have room; wake {@link whenIdle} once idle. */
  pump(): void {
    for (const lane of [...this.#waiting]) {
      while (lane.inFlight < lane.limit) {
        const call = lane.queue.shift();
        if (call === undefined) break;
        this.#unqueue(call);
        if (call.future.done()) continue;
        const broken = this.host.broken();
        if (broken !== null) call.future.fail(broken);
        else this.#forward(call, false);
      }
      if (lane.queue.size === 0) this.#waiting.delete(lane);
    }
    if (this.#isIdle()) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Fail every waiting call with `error` (the executor broke). */
  failWaiting(error: unknown): void {
    for (const call of this.#takeWaiting()) call.future.fail(error);
  }

  /** Cancel every waiting call, and the forwarded ones their pool has not started. */
  cancelPending(): void {
    for (const call of this.#takeWaiting()) {
      if (call.future.cancel()) call.future.setRunningOrNotifyCancel();
    }
    for (const future of [...this.inFlight]) future.cancel();
    this.pump();
  }

  /** Resolves once no call is waiting or in flight. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** `now`: the caller is still in `submit`, so errors are thrown to it rather than failing the future. */
  #forward(call: Call, now: boolean): void {
    let inner: Future<unknown>;
    try {
      inner = call.context === undefined
        ? this.host.send(call)
        : call.context.runInAsyncScope(this.host.send, this.host, call);
    } catch (error) {
      if (error instanceof BrokenExecutor) this.host.onBroken(error);
      if (now) throw error;
      call.future.fail(error);
      return;
    }
    call.lane.inFlight++;
    this.inFlight.add(call.future);
    call.future.link(inner, () => this.#settled(call));
  }

  #settled(call: Call): void {
    call.lane.inFlight--;
    this.inFlight.delete(call.future);
    const inner = call.future.inner;
    const outcome = inner === null || inner.cancelled() ? null : inner[kOutcome]();
    if (outcome?.failed && outcome.value instanceof BrokenExecutor) this.host.onBroken(outcome.value);
    this.pump();
  }

  #unqueue(call: Call): void {
    call.future[kOnCancel] = null;
    this.#signals.delete(call);
  }

  #takeWaiting(): Call[] {
    const calls: Call[] = [];
    for (const lane of this.#waiting) {
      for (let call = lane.queue.shift(); call !== undefined; call = lane.queue.shift()) {
        this.#unqueue(call);
        calls.push(call);
      }
    }
    this.#waiting.clear();
    return calls;
  }

  #isIdle(): boolean {
    return this.inFlight.size === 0 && [...this.#waiting].every((lane) => lane.queue.size === 0);
  }
}

/**
 * One abort listener per signal however many waiting calls share it (a `map`
 * with a signal), so Node never warns of a listener leak.
 */
export class SignalWatch {
  readonly #watched = new Map<AbortSignal, { calls: Set<Call>; onAbort: () => void }>();

  /** @param onAbort called after an abort has cancelled the calls waiting on that signal. */
  constructor(private readonly onAbort: () => void) {}

  add(call: Call): void {
    const signal = call.signal;
    if (signal === null) return;
    let entry = this.#watched.get(signal);
    if (entry === undefined) {
      const calls = new Set<Call>();
      const onAbort = (): void => {
        this.#watched.delete(signal);
        for (const each of calls) each.future.cancel();
        this.onAbort();
      };
      entry = { calls, onAbort };
      this.#watched.set(signal, entry);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    entry.calls.add(call);
  }

  /** Stop watching `call` (it left its lane); the last call of a signal removes the listener. */
  delete(call: Call): void {
    const signal = call.signal;
    if (signal === null) return;
    const entry = this.#watched.get(signal);
    if (entry === undefined || !entry.calls.delete(call) || entry.calls.size > 0) return;
    this.#watched.delete(signal);
    signal.removeEventListener("abort", entry.onAbort);
  }
}

/**
 * The number of calls a `map` over `inputs` makes (the shortest input), or
 * `null` when an input's size is not known without consuming it (a
 * generator, an async iterable).
 */
export function mapLength(inputs: readonly unknown[]): number | null {
  if (inputs.length === 0) return null;
  let n = Number.POSITIVE_INFINITY;
  for (const input of inputs) {
    const size = sizeOf(input);
    if (size === null) return null;
    n = Math.min(n, size);
  }
  return n;
}

function sizeOf(input: unknown): number | null {
  if (typeof input === "string") return [...input].length;
  if (typeof input !== "object" || input === null || typeof (input as Iterable<unknown>)[Symbol.iterator] !== "function") {
    return null;
  }
  if (typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") return null;
  if (Array.isArray(input) || ArrayBuffer.isView(input)) return (input as ArrayLike<unknown>).length;
  if (input instanceof Set || input instanceof Map) return input.size;
  return null;
}
