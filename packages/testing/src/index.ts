export { type HandMadeAttempt, handMadeAttempt } from './attempt.js'
export { type BackendScenario, describeBackend } from './backend-suite.js'
export { backendFailure, expectAbortMidStream, useFakeModelServer } from './backend-tests.js'
export { commitRun, type DirectRunOptions, type EventDraftWithTs, logEvents } from './direct-run.js'
export * from './doubles.js'
export {
  type FakeFormat,
  type FakeModelServer,
  type FakeModelServerOptions,
  type FakeReply,
  type FakeUsage,
  type RecordedRequest,
  startFakeModelServer,
} from './fake-models/index.js'
export {
  arbitraryMalformedWorkflow,
  fuzzSettings,
  type MalformedWorkflowCase,
  PROTOTYPE_NAMES,
} from './fuzz/index.js'
export { type JsonLinesChild, type JsonLinesChildRun, startJsonLinesChild } from './json-lines-child.js'
export {
  describeModelBackendRuntime,
  type ModelBackendRuntimeOptions,
} from './model-backend-runtime-suite.js'
export {
  CONFORMANCE_PROMPTS,
  type ConformanceRepliesOptions,
  conformanceReplies,
  describeModelServerBackend,
  type ModelServerBackendOptions,
  type ModelServerScenarioOptions,
  modelServerScenario,
} from './model-server-scenarios.js'
export {
  type OtlpReceiver,
  type ReceivedMetricPoint,
  type ReceivedSpan,
  renderTraceSvg,
  renderTraceText,
  type SpanStatus,
  spanTree,
  startOtlpReceiver,
} from './otlp/index.js'
export { perFile } from './per-file.js'
export {
  delay,
  eventually,
  groupAlive,
  isAlive,
  processesMentioning,
  processesWithHome,
  processState,
} from './processes.js'
export { runLogOnly } from './store-suite/run-log-only.js'
export { describeStore, type StoreFactory as StoreSuiteFactory } from './store-suite.js'
