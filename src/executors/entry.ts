/**
 * Where the worker and child entry modules are. From the built package they
 * are `dist/worker.js` and `dist/child.js` (the code asking may sit in `dist/`
 * or `dist/futures/`); from source (the test suite) they are the TypeScript
 * files beside this one, loaded through tsx.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface EntryModule {
  filename: string;
  /** Flags the entry itself needs (a TypeScript loader when running from source). */
  execArgv: string[];
}

export function entryModule(kind: "worker" | "child"): EntryModule {
  const here = import.meta.url;
  if (/\.[cm]?ts$/.test(here)) {
    return { filename: fileURLToPath(new URL(`./${kind}-entry.ts`, here)), execArgv: ["--import", "tsx"] };
  }
  for (const candidate of [`./${kind}.js`, `../${kind}.js`]) {
    const url = new URL(candidate, here);
    if (existsSync(url)) return { filename: fileURLToPath(url), execArgv: [] };
  }
  throw new Error(`unirun: its ${kind} module (${kind}.js) is missing next to ${here}; reinstall the package`);
}

/** Add the entry's own flags unless `flags` already load a TypeScript loader. */
export function withEntryFlags(flags: readonly string[], entry: EntryModule): string[] {
  return flags.some((flag) => flag.includes("tsx")) ? [...flags] : [...flags, ...entry.execArgv];
}
