/**
 * The modules every public entry point shares. Each entry imports this file
 * (for nothing but that), so the build puts all of them in one chunk: any
 * entry then loads two or three files, not one per combination of entries,
 * and there is still one class per name across entries. Loading a module
 * here only defines things: no pool, worker, parser or environment is touched.
 */
import "../index.js";
import "./futures.js";
import "../asyncio/index.js";
import "../compat/surface.js";
import "../compat/natives.js";
