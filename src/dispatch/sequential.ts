/**
 * `SequentialExecutor` (backend `inline`): hypernodes' `"sequential"` alias.
 * Calls run on the calling thread one at a time, in submission order; an
 * async call is awaited before the next starts. Like every executor, a call
 * starts on a later tick, never inside `submit`.
 *
 * That is exactly an event-loop `ThreadPoolExecutor` with one slot, so it is
 * one: the same cancellation, signals, async context and shutdown semantics.
 */
import { ThreadPoolExecutor } from "../executors/event-loop.js";

/**
 * An executor that runs calls one at a time, in order, on the calling thread.
 * Any function runs here (closures included, sync or async).
 */
export class SequentialExecutor extends ThreadPoolExecutor {
  declare readonly maxWorkers: 1;

  constructor() {
    super({ maxWorkers: 1, threadNamePrefix: "SequentialExecutor" });
  }
}
