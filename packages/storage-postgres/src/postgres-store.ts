import { type FullStore, type RunSpec, STORE_SPECIFICATION_VERSION, type TaskState } from '@weft/core'
import { agentsStore } from './agents/agents-store.js'
import { artifactStore, memoryStore } from './artifacts.js'
import { commitRunner } from './commit.js'
import { Db } from './db.js'
import { idempotencyStore, leaseStore } from './leases.js'
import { DEFAULT_SCHEMA, parseLocation, qualify } from './location.js'
import { migrate } from './migrations.js'
import { runLogReads } from './queries.js'
import { registerInternals } from './queue/internals.js'
import { queryTasks, queueFlagStore } from './queue-flag.js'
import { scheduleStore } from './schedules.js'
import { signalStore } from './signals.js'

export interface PostgresStoreOptions {
  /**
   * Where the database is: `postgres://user:password@host:5432/db` (`postgresql://` too). A
   * `?schema=NAME` parameter names the schema, unless `schema` is given.
   */
  url: string
  /** The schema that holds weft's tables, created on first use. Default `weft`. */
  schema?: string
  /** Connections in the pool. Default 10. */
  maxConnections?: number
  /** Shown in `pg_stat_activity`. Default `weft`. */
  applicationName?: string
}

/**
 * A store in PostgreSQL, shared by every process and machine that opens the same database and
 * schema: runtimes, `weft` commands and servers. Everything the SQLite store does, with leases,
 * idempotency claims and store timestamps on the database server's clock.
 *
 * Nothing connects until the first call: `init()` (or any call) connects and brings the schema up
 * to date (see migrations.ts); a call that fails to connect lets the next one try again.
 */
export function createPostgresStore(options: PostgresStoreOptions): FullStore {
  const location = parseLocation(options.url)
  const schema = options.schema ?? location.schema ?? DEFAULT_SCHEMA
  const s = qualify(schema)
  const display = location.display
  const db = new Db({
    connectionString: location.connectionString,
    display,
    applicationName: options.applicationName ?? 'weft',
    maxConnections: options.maxConnections ?? 10,
  })
  let migrated: Promise<void> | undefined
  db.guard(() => {
    migrated ??= migrate(db.raw, schema, display).then(
      () => undefined,
      (err) => {
        migrated = undefined
        throw err
      },
    )
    return migrated
  })

  const reads = runLogReads(db, s)
  const commit = commitRunner(db, s)
  const deleteRun = deleteRunner(db, s)

  const store: FullStore = {
    specificationVersion: STORE_SPECIFICATION_VERSION,
    id: `postgres:${display.replace(/^postgres(ql)?:/, '')}${schema === DEFAULT_SCHEMA ? '' : `#${schema}`}`,
    capabilities: {
      transactions: true,
      multiProcess: true,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      schedules: true,
      queue: true,
      agents: true,
    },

    async init() {
      await db.query('SELECT 1')
    },

    close: () => db.close(),

    commit,

    runs: {
      get: (runId) => reads.getRun(runId),
      getSpec: (runId) => reads.getSpec<RunSpec>(runId),
      list: (filter) => reads.listRuns(filter),
      counts: () => reads.counts(),
      async delete(runIds) {
        // One transaction per run, one after another: locks are held for one run's rows at a
        // time, so a prune of thousands of runs never stalls the commits of running runs.
        let deleted = 0
        for (const runId of new Set(runIds)) if (await deleteRun(runId)) deleted++
        return deleted
      },
    },

    tasks: {
      list: (runId) => reads.listTasks<TaskState>(runId),
      get: (runId, taskId) => reads.getTask<TaskState>(runId, taskId),
      query: (query) => queryTasks(db, s, query),
    },

    events: {
      read: (runId, opts = {}) => reads.readEvents(runId, opts.afterSeq, opts.limit),
      query: (query) => reads.queryEvents(query),
    },

    signals: signalStore(db, s),
    leases: leaseStore(db, s),
    idempotency: idempotencyStore(db, s),
    artifacts: artifactStore(db, s),
    memory: memoryStore(db, s),
    schedules: scheduleStore(db, s),
    queue: queueFlagStore(db, s),
    agents: agentsStore(db, s),
  }
  // The task queue of `weft worker` (queue/) works on this pool and schema.
  registerInternals(store, { db, s, connectionString: location.connectionString })
  return store
}

/**
 * One run and everything that belongs to it, all or nothing. The run row is locked first, so a
 * commit to the run in flight finishes before (or waits, then finds no run); rows without a
 * foreign key (events, signals, lease, keys, memory) are deleted explicitly.
 */
function deleteRunner(db: Db, s: string) {
  const lock = `SELECT 1 FROM ${s}runs WHERE id = $1 FOR UPDATE`
  const statements = [
    `DELETE FROM ${s}events WHERE run_id = $1`,
    `DELETE FROM ${s}tasks WHERE run_id = $1`,
    `DELETE FROM ${s}run_tags WHERE run_id = $1`,
    `DELETE FROM ${s}artifacts WHERE run_id = $1`,
    `DELETE FROM ${s}signals WHERE run_id = $1`,
    `DELETE FROM ${s}run_leases WHERE run_id = $1`,
    `DELETE FROM ${s}run_specs WHERE run_id = $1`,
    `DELETE FROM ${s}idempotency_keys WHERE run_id = $1`,
    `DELETE FROM ${s}memory WHERE scope = 'run:' || $1`,
    `DELETE FROM ${s}runs WHERE id = $1`,
  ]
  return (runId: string): Promise<boolean> =>
    db.tx(async (q) => {
      if ((await q.query(lock, [runId])).length === 0) return false
      for (const sql of statements) await q.execute(sql, [runId])
      return true
    })
}
