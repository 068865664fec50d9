export type { SqliteSynchronous } from './connection.js'
export { SCHEMA_VERSION } from './migrations.js'
export { plugin } from './plugin.js'
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js'
