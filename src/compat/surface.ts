/**
 * What the compat entry points export in each `UNIRUN_COMPAT_MODE` (SPEC §4),
 * as functions: each entry decides once, when it is first imported, and binds
 * its exports to the objects chosen here.
 */
import * as nativeAsyncio from "../asyncio/index.js";
import * as native from "../api/futures.js";
import * as managedAsyncio from "../run/managed-asyncio.js";
// Imported in both modes: the exports must be bound synchronously (ESM link
// time, and `require` in the CJS build, which cannot await an import()).
// Loading it only defines classes: no pool, piscina, parser, semver or dotenv
// is loaded before first use.
import * as managed from "../run/managed-executors.js";
import type { Decision } from "../run/decisions.js";
import { currentConfig } from "../run/scheduler.js";

/** A native executor class whose instances may also carry `decision` (managed mode). */
export type Compat<C extends abstract new (...args: any) => any> =
  & (new (...args: ConstructorParameters<C>) => InstanceType<C> & { readonly decision?: Decision })
  & C;

/** Whether the compat entry points re-export the native objects (`UNIRUN_COMPAT_MODE=passthrough`). */
export function passthroughMode(): boolean {
  return currentConfig().compatMode === "passthrough";
}

/** The three executor classes of `unirun/compat/futures`. */
export function compatExecutors(passthrough: boolean): Pick<typeof native, "ThreadPoolExecutor" | "InterpreterPoolExecutor" | "ProcessPoolExecutor"> {
  return passthrough ? native : (managed as unknown as typeof native);
}

/** `toThread`, `toProcess` and `runInExecutor` of `unirun/compat/asyncio`. */
export function compatAsyncio(passthrough: boolean): Pick<typeof nativeAsyncio, "toThread" | "toProcess" | "runInExecutor"> {
  return passthrough ? nativeAsyncio : managedAsyncio;
}
