/**
 * The designs unirun absorbs (SPEC §7): Ember's `UnifiedDispatcher` and
 * `parallelMap`, hypernodes' `resolveExecutor` aliases. `ExecutionContext`
 * lives with the scheduler (`run/context.ts`), which reads it.
 */
export {
  UnifiedDispatcher,
  parallelMap,
  type MapWithIdsOptions,
  type UnifiedDispatcherOptions,
} from "./dispatcher.js";
export { DispatchError } from "./item-run.js";
export {
  resolveExecutor,
  EXECUTOR_ALIASES,
  type ExecutorAlias,
  type ResolveExecutorOptions,
} from "./resolve.js";
export { SequentialExecutor } from "./sequential.js";
export { BorrowedExecutor } from "./borrowed.js";
