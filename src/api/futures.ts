/**
 * `unirun/futures`: a faithful TypeScript rendering of Python's
 * `concurrent.futures`, native and unmanaged: each executor owns exactly the
 * pool it was asked for, and no environment variable changes it.
 *
 * Timeouts are in seconds everywhere, as in Python.
 */
// One shared chunk for every entry point (see api/shared.ts).
import "./shared.js";
export * from "../futures/index.js";
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "../executors/event-loop.js";
export { InterpreterPoolExecutor, type InterpreterPoolExecutorOptions } from "../executors/worker-threads.js";
export { task, type TaskRef, type TaskOptions } from "../executors/transport/task.js";
export { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from "../executors/child-processes.js";
