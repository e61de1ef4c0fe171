/**
 * Downgrade warnings (SPEC §4): wherever managed mode cannot do what was asked
 * and falls back to native behaviour, it says so through `process.emitWarning`
 * — once per executor and reason — and carries on. `UNIRUN_WARNINGS=error`
 * makes the triggering call throw a {@link DowngradeError} instead;
 * `UNIRUN_WARNINGS=ignore` silences.
 *
 * Monitoring code listens with
 * `process.on("warning", (w) => w.name === "DowngradeWarning" && ...)`, or
 * matches on `w.code === "UNIRUN_DOWNGRADE"`.
 */

/** The `code` carried by every {@link DowngradeWarning} and {@link DowngradeError}. */
export const DOWNGRADE_CODE = "UNIRUN_DOWNGRADE";

/** What was asked for, what was done instead, and why. */
export interface Downgrade {
  /** The API that downgraded, as the user wrote it: `"ThreadPoolExecutor"`, `"toThread"`, `"Run"`. */
  surface: string;
  /** Why, in words that tell the user what to change: `"initializer needs a dedicated pool"`. */
  reason: string;
  /** What was requested: a flavor, backend or thread mode. */
  requested: string;
  /** What actually runs the work: a backend such as `"event-loop"`. */
  resolved: string;
}

import { named } from "../futures/errors.js";
import type { WarningsMode } from "./config.js";

/** Options of {@link emitDowngrade}. */
export interface EmitDowngradeOptions {
  /** The executor (or other object) that downgraded; each owner warns once per reason. */
  owner: object;
  /** `UNIRUN_WARNINGS`, normally from `RuntimeConfig`. */
  mode: WarningsMode;
}

/**
 * The message of a downgrade, exactly
 * `<Surface> downgraded to native behaviour: <reason> (requested=<x>, resolved=<y>)`.
 */
export function downgradeMessage(d: Downgrade): string {
  return (
    `${d.surface} downgraded to native behaviour: ${d.reason} ` +
    `(requested=${d.requested}, resolved=${d.resolved})`
  );
}

/**
 * What a {@link DowngradeWarning} and a {@link DowngradeError} both carry: the
 * message of {@link downgradeMessage}, the code, and the downgrade's fields.
 * Not exported: listeners match on `name` or `code`.
 */
abstract class DowngradeReport extends Error {
  /** Always `"UNIRUN_DOWNGRADE"`. */
  readonly code = DOWNGRADE_CODE;
  /** The API that downgraded. */
  readonly surface: string;
  /** Why it downgraded. */
  readonly reason: string;
  /** What was requested. */
  readonly requested: string;
  /** What runs the work instead (or would have, for an error). */
  readonly resolved: string;

  constructor(downgrade: Downgrade) {
    super(downgradeMessage(downgrade));
    this.surface = downgrade.surface;
    this.reason = downgrade.reason;
    this.requested = downgrade.requested;
    this.resolved = downgrade.resolved;
  }
}

/**
 * The warning object handed to `process.emitWarning` when managed mode falls
 * back to native behaviour. `process.on("warning")` listeners receive it with
 * `name === "DowngradeWarning"` and `code === "UNIRUN_DOWNGRADE"`.
 */
export class DowngradeWarning extends DowngradeReport {}
named(DowngradeWarning, "DowngradeWarning");

/**
 * Thrown by the call that would have downgraded when `UNIRUN_WARNINGS=error`:
 * the same message and fields as the {@link DowngradeWarning} it replaces. Fix
 * the cause the message names, or set `UNIRUN_WARNINGS=default` to accept the
 * fallback.
 */
export class DowngradeError extends DowngradeReport {}
named(DowngradeError, "DowngradeError");

// Owner → reasons already warned about. Weak, so a shut-down executor takes its
// record with it.
let warned = new WeakMap<object, Set<string>>();

/**
 * Report a fallback to native behaviour.
 *
 * - `mode: "default"`: `process.emitWarning(new DowngradeWarning(downgrade))`,
 *   at most once per `owner` and `reason` (Node delivers it to
 *   `process.on("warning")` listeners on a later tick).
 * - `mode: "error"`: throws a {@link DowngradeError} — every time, since it is
 *   the triggering call that fails; nothing is emitted or recorded.
 * - `mode: "ignore"`: does nothing.
 *
 * @throws DowngradeError when `mode` is `"error"`.
 */
export function emitDowngrade(downgrade: Downgrade, options: EmitDowngradeOptions): void {
  const { owner, mode } = options;
  if (mode === "ignore") return;
  if (mode === "error") throw new DowngradeError(downgrade);
  let reasons = warned.get(owner);
  if (reasons === undefined) {
    reasons = new Set();
    warned.set(owner, reasons);
  }
  if (reasons.has(downgrade.reason)) return;
  reasons.add(downgrade.reason);
  process.emitWarning(new DowngradeWarning(downgrade));
}

/**
 * Forget which owners already warned, so that every owner warns again — for
 * tests and `reset()`.
 */
export function resetDowngrades(): void {
  warned = new WeakMap();
}
