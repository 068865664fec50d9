export type {
  EventsOptions,
  RecoverOptions,
  RecoveryReport,
  Runtime,
  RuntimeQueueStatus,
  ShutdownOptions,
  StartOptions,
  TaskCancelResult,
} from './api.js'
export { createRuntime } from './create-runtime.js'
export type { RuntimeOptions } from './options.js'
export { describeOwner, newOwnerName, type OwnerIdentity, ownerLiveness, parseOwner } from './owner.js'
