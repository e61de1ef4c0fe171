/**
 * How many queued calls may share one message (SPEC §2): a flood of tiny
 * calls must not be capped at one message round trip per call, but batching
 * must never delay a call that a free worker could start now, nor gather long
 * calls that would lose parallelism.
 */

// Batches aim at about this much work per message, once call durations are known.
const BATCH_TARGET_MS = 2;
const MAX_BATCH = 256;
// Weight of the newest reply in the running average of a call's duration.
const NEW_WEIGHT = 0.2;

export class BatchPolicy {
  readonly #enabled: boolean;
  /** Average duration of one call in ms, measured in the workers; NaN until a reply arrives. */
  #itemMs = Number.NaN;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  /**
   * At most this many calls in the next message, given `queued` calls waiting
   * (the next one included) and `free` workers. 1 while there is a free
   * worker for every queued call, and until a call duration is known.
   */
  limit(queued: number, free: number): number {
    if (!this.#enabled || queued <= free || Number.isNaN(this.#itemMs)) return 1;
    const spread = Math.ceil(queued / Math.max(free, 1));
    return Math.max(1, Math.min(MAX_BATCH, spread, Math.floor(BATCH_TARGET_MS / this.#itemMs)));
  }

  /** A reply carried `calls` calls that took `ms` in the worker. */
  record(ms: number, calls: number): void {
    const perCall = ms / calls;
    this.#itemMs = Number.isNaN(this.#itemMs) ? perCall : this.#itemMs * (1 - NEW_WEIGHT) + perCall * NEW_WEIGHT;
  }
}
