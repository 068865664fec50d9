export { DEFAULT_SCHEMA, redact } from './location.js'
export { SCHEMA_VERSION } from './migrations.js'
export { plugin } from './plugin.js'
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js'
export {
  createQueueExecutor,
  type QueueExecutor,
  type QueueExecutorOptions,
} from './queue/queue-executor.js'
export { runsWithoutLiveOwner, workerRecords } from './queue/records.js'
export { Worker, type WorkerOptions } from './queue/worker.js'
export type { WorkerRecord, WorkerStatus } from './queue/workers-table.js'
