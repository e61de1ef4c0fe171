/**
 * The Node built-ins unirun needs only on some paths, loaded on first use:
 * each costs about a millisecond or more to load (`child_process` pulls in
 * `net`, `stream` and `dgram`), and importing unirun must stay cheap (SPEC §5; `npm run bench`, P7). `events`, `util` and
 * `async_hooks` are loaded by Node itself before any user code, so they are
 * imported as usual.
 */
import { createRequire } from "node:module";

const requireBuiltin = createRequire(import.meta.url);

function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireBuiltin(id) as T);
}

export const v8 = lazy<typeof import("node:v8")>("node:v8");
export const vm = lazy<typeof import("node:vm")>("node:vm");
export const os = lazy<typeof import("node:os")>("node:os");
export const childProcess = lazy<typeof import("node:child_process")>("node:child_process");
export const diagnosticsChannel = lazy<typeof import("node:diagnostics_channel")>("node:diagnostics_channel");
