export * from '@weft/spec'
export {
  createRuntime,
  type EventsOptions,
  newOwnerName,
  ownerLiveness,
  type RecoverOptions,
  type RecoveryReport,
  type Runtime,
  type RuntimeOptions,
  type RuntimeQueueStatus,
  type ShutdownOptions,
  type StartOptions,
  type TaskCancelResult,
} from './host/index.js'
export {
  DEFAULT_SUBMITTED_TASK_ID,
  submissionSpec,
  submissionWorkflow,
  TASK_SUBMISSION_TAG,
  type TaskSubmission,
} from './host/task-submission.js'
export { loadPlugins } from './plugin/load-plugins.js'
export {
  type Clock,
  createManualClock,
  type ManualClock,
  systemClock,
  type TimerHandle,
} from './run/clock.js'
export {
  type AttemptIO,
  AttemptLostError,
  type DispatchedAttempt,
  type RunningAttempt,
  type TaskExecutor,
} from './run/dispatch.js'
export { createInProcessExecutor, type InProcessExecutorOptions } from './run/in-process-executor.js'
export { applyEvent } from './run/reducer.js'
export { type ReplayedRun, type ReplayedTask, replayEvents, replayState } from './run/replay.js'
export { BASE_RETRY_POLICY, resolveRetryPolicy, retryDelayMs } from './run/retry.js'
export { emptyRunState, type RunState } from './run/state.js'
export type { EventListener } from './runtime/event-bus.js'
export { newResumeToken, newRunId } from './runtime/ids.js'
export type { AgentProfile } from './runtime/plan.js'
export * from './schedule/index.js'
export { createMemoryQueueStore } from './store/memory-queue.js'
export { assertArtifactName, createMemoryStore } from './store/memory-store.js'
export { type PruneBatch, type PruneRunsOptions, type PruneRunsResult, pruneRuns } from './store/prune.js'
export { compareTasks, matchesTaskQuery, queryTasks, taskWorker } from './store/task-query.js'
export { ExpressionError, evaluateExpression, parseExpression } from './template/expression.js'
export { parseTemplate, renderDeep, renderTemplate, TemplateError } from './template/template.js'
export { createJsonlTraceSink, type JsonlTraceSinkOptions } from './trace/jsonl-sink.js'
export { parseDuration, parsePointInTime } from './util/time.js'
export { formatDiagnostic } from './workflow/format.js'
export { ancestorsOf, descendantsOf, findCycles } from './workflow/graph.js'
export { coerceInputs } from './workflow/inputs.js'
export { RESERVED_NAMES, WORKFLOW_LIMITS, type WorkflowLimits } from './workflow/limits.js'
export {
  type LoadedDocument,
  type Locator,
  loadWorkflowFile,
  type ParseWorkflowOptions,
  parseWorkflowText,
} from './workflow/load.js'
export {
  type BackendInfo,
  formatPath,
  type ValidateOptions,
  type ValidationResult,
  validateWorkflow,
} from './workflow/validate.js'
