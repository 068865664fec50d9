export { type BackendScenario, describeBackend } from './backend-suite.js'
export {
  arbitraryMalformedWorkflow,
  fuzzSettings,
  type MalformedWorkflowCase,
  PROTOTYPE_NAMES,
} from './fuzz/index.js'
export {
  type FakeFormat,
  type FakeModelServer,
  type FakeModelServerOptions,
  type FakeReply,
  type FakeUsage,
  type RecordedRequest,
  startFakeModelServer,
} from './fake-models/index.js'
export { describeStore, type StoreFactory as StoreSuiteFactory } from './store-suite.js'
