export { type BackendScenario, describeBackend } from './backend-suite.js'
export { describeStore, type StoreFactory as StoreSuiteFactory } from './store-suite.js'
