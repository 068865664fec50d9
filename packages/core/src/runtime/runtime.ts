/**
 * The runtime that hosts runs now lives in `src/host/`, one concept a file; this module keeps the
 * old import path working.
 */
export {
  createRuntime,
  type EventsOptions,
  type RecoverOptions,
  type RecoveryReport,
  type Runtime,
  type RuntimeOptions,
  type RuntimeQueueStatus,
  type ShutdownOptions,
  type StartOptions,
} from '../host/index.js'
