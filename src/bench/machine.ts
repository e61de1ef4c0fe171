/**
 * The machine a run is made on, for the report header.
 */
import os from "node:os";
import type { Machine } from "./types.js";

/** This machine, as the report records it. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() ?? "unknown CPU",
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}
