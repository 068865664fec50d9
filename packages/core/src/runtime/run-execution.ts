/**
 * Where the host finds one run's execution. It lives in ../run/ (state, reducer, scheduler,
 * attempts, commit log…); this module keeps the name the host imports.
 */
export { countTasks, type ExecutionDeps, type ReusedOutput, RunExecution } from '../run/run-execution.js'
