/**
 * `@weft/testing/doubles`: the test doubles alone (a stub backend, a store that dies, a store that
 * reopens after every write, hand-written commits, workflows for the mock backend, `lateBound`).
 * None of them needs vitest, so a child process a test starts can import them too.
 */
export { firstCommit, logNow, TRICKY_JSON } from './fixtures.js'
export { killableStore } from './killable-store.js'
export { lateBound } from './late-bound.js'
export { echoWorkflow, mockWorkflows } from './mock-workflows.js'
export { reopeningStore } from './reopening-store.js'
export { type StubBackendDefinition, stubBackend, untilCanceled } from './stub-backend.js'
