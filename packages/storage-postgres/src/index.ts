export { DEFAULT_SCHEMA, redact } from './location.js'
export { SCHEMA_VERSION } from './migrations.js'
export { plugin } from './plugin.js'
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js'
