/**
 * `unirun`: Run scopes, the scheduler, RuntimeConfig, capabilities, decisions
 * and downgrade warnings (SPEC §4–§6); UnifiedDispatcher and resolveExecutor (§7).
 */
// One shared chunk for every entry point (see api/shared.ts).
import "./api/shared.js";
export { Run, type RunOptions } from "./run/run.js";
export { submit, map, reset } from "./run/scheduler.js";
export {
  RuntimeConfig,
  type RuntimeConfigInit,
  type RuntimeConfigJSON,
  type FromEnvOptions,
  type CompatMode,
  type ThreadMode,
  type Flavor,
  type WarningsMode,
} from "./run/config.js";
export {
  capabilities,
  type Capabilities,
  type RuntimeInfo,
  type CgroupLimits,
  type SuggestedSizes,
} from "./run/capabilities.js";
export {
  DECISION_CHANNEL,
  formatDecision,
  lastDecision,
  observeDecisions,
  type Decision,
  type DecisionBackend,
  type DecisionStream,
  type ReasonCode,
  type Unsubscribe,
} from "./run/decisions.js";
export { DowngradeError, DowngradeWarning, DOWNGRADE_CODE, type Downgrade } from "./run/warnings.js";
export { ExecutionContext, type ExecutionContextOptions } from "./run/context.js";
export {
  UnifiedDispatcher,
  parallelMap,
  DispatchError,
  resolveExecutor,
  EXECUTOR_ALIASES,
  SequentialExecutor,
  BorrowedExecutor,
  type UnifiedDispatcherOptions,
  type MapWithIdsOptions,
  type ExecutorAlias,
  type ResolveExecutorOptions,
} from "./dispatch/index.js";
