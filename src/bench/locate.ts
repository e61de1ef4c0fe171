/**
 * Where the package is: its root, the workloads module workers import, and
 * the built files the startup scenario loads. The harness runs from dist/
 * (`unirun bench`) or from its TypeScript source (the tests).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioContext } from "./types.js";

/** The error a missing build or a broken install raises: it says what to run. */
export class BenchSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchSetupError";
  }
}

/** Whether this module runs as TypeScript source (vitest, tsx) rather than from dist/. */
export function runningFromSource(): boolean {
  return /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);
}

/**
 * The package root: the nearest directory above this module whose
 * package.json names `unirun`.
 *
 * @throws BenchSetupError when there is none (a broken install).
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "unirun") {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new BenchSetupError(`unirun bench: no unirun package.json above ${import.meta.url}; reinstall unirun`);
    dir = parent;
  }
}

/**
 * A built file of the package (`dist/...`).
 *
 * @throws BenchSetupError naming the file and the fix when it is missing.
 */
export function builtFile(root: string, relative: string): string {
  const file = path.join(root, "dist", relative);
  if (!existsSync(file)) {
    throw new BenchSetupError(`unirun bench: ${file} is missing; build the package first (npm run build)`);
  }
  return file;
}

/** The scenarios' shared context: the package root and the workloads module for workers. */
export function benchContext(): ScenarioContext {
  const root = packageRoot();
  const fromSource = runningFromSource();
  const workloadsFile = fromSource
    ? path.join(root, "src", "workloads", "index.ts")
    : builtFile(root, path.join("workloads", "index.js"));
  return { root, workloadsFile, fromSource };
}

/** The package's version, for the report. */
export function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
}
