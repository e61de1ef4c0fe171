/**
 * Numbers for people: three significant digits, thousands as k and M, and a
 * target's verdict in words.
 */
import type { ScenarioResult } from "./types.js";

/** `value` with about three significant digits, and k/M for thousands and millions. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  const size = Math.abs(value);
  if (size >= 1e6) return `${trim(value / 1e6)} M`;
  if (size >= 1e4) return `${trim(value / 1e3)} k`;
  return trim(value);
}

function trim(value: number): string {
  const size = Math.abs(value);
  const digits = size >= 100 ? 0 : size >= 10 ? 1 : size >= 1 ? 2 : 3;
  return value.toFixed(digits);
}

/** A ratio such as `0.97×`. */
export function formatRatio(ratio: number | null): string {
  return ratio === null || !Number.isFinite(ratio) ? "—" : `${ratio.toFixed(2)}×`;
}

/** The relative spread as `±4.2%`. */
export function formatSpread(relative: number): string {
  return Number.isFinite(relative) ? `±${(relative * 100).toFixed(1)}%` : "—";
}

/** "pass", "MISS" or "—" (not judged: an error or a missing contender). */
export function verdict(result: ScenarioResult): string {
  if (result.error !== undefined) return "ERROR";
  if (result.target.met === null) return "—";
  return result.target.met ? "pass" : "MISS";
}

/** The target's measured value in the target's own terms: `0.97×`, `+12.3 ms`, `412 bytes`. */
export function formatActual(result: ScenarioResult): string {
  const { actual, metric } = result.target;
  if (actual === null) return "—";
  if (metric === "ratio") return formatRatio(actual);
  if (metric === "added") return `${actual >= 0 ? "+" : ""}${formatNumber(actual)} ${result.unit}`;
  return `${formatNumber(actual)} ${result.unit}`;
}
