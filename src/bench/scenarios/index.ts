/**
 * The scenarios, in report order. Ids are stable: the JSON report, the chart
 * and BENCHMARKS.md refer to them.
 */
import type { ScenarioDef } from "../types.js";
import { P4 } from "./cpu.js";
import { P5 } from "./event-loop.js";
import { P8 } from "./memory.js";
import { P1, P6 } from "./round-trip.js";
import { P7 } from "./startup.js";
import { P2, P3 } from "./throughput.js";

export const SCENARIOS: readonly ScenarioDef[] = [P1, P2, P3, P4, P5, P6, P7, P8];

export const SCENARIO_IDS: readonly string[] = SCENARIOS.map((scenario) => scenario.id);
