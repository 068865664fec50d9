export { describeStore, type StoreFactory as StoreSuiteFactory } from './store-suite.js'
export { describeBackend, type BackendScenario } from './backend-suite.js'
