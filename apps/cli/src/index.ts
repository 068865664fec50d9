export { type CliRuntime, type CliRuntimeOptions, createCliRuntime, loadCliConfig } from './compose.js'
export { CONFIG_FILE_NAMES, findConfigFile, loadConfig } from './config/load-config.js'
export { type WeftConfig, WeftConfigSchema } from './config/weft-config.js'
export { exitCodeFor, printError } from './errors.js'
export { formatEventLine } from './event-line.js'
export { ExitCode, type ExitCodeValue } from './exit-codes.js'
export type { CliIo, OutStream } from './io.js'
export { createLocalService } from './local-service.js'
export { main } from './main.js'
export { createProgress, type Progress, type ProgressMode, pickProgressMode } from './progress.js'
export { createRemoteService } from './remote-service.js'
export type { BackendReport, RunService, StartRequest, WorkflowDocument } from './service.js'
export {
  DEFAULT_STORE_PATH,
  openStore,
  resolveStoreLocation,
  type StoreLocation,
  type StoreSource,
} from './store.js'
export { formatRunSummary } from './summary.js'
export { type WatchRunOptions, watchRun } from './watch-run.js'
