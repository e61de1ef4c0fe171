/**
 * `unirun/compat`: the drop-in mirror of `unirun/futures` (and, as it lands,
 * the names of `unirun/asyncio` that do not clash), behind
 * `UNIRUN_COMPAT_MODE` (SPEC §4). Migration is one import line:
 *
 * ```diff
 * -import { ThreadPoolExecutor, asCompleted } from "unirun/futures";
 * +import { ThreadPoolExecutor, asCompleted } from "unirun/compat";
 * ```
 */
export * from "./futures.js";
