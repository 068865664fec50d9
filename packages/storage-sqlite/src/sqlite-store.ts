import { resolve } from 'node:path'
import { type FullStore, STORE_SPECIFICATION_VERSION, WeftError } from '@weft/core'
import { createSqliteArtifactStore } from './artifacts.js'
import { retryBusy } from './busy.js'
import { type Connection, openConnection, type SqliteSynchronous, type Work } from './connection.js'
import { closeDatabase, isBusyError } from './driver.js'
import { createSqliteIdempotencyStore } from './idempotency.js'
import { createSqliteLeaseStore } from './leases.js'
import { createSqliteMemoryStore } from './memory.js'
import { runLogReads } from './queries.js'
import { createSqliteSignalStore } from './signals.js'
import { createSqliteDataflowStore } from './sqlite-dataflow.js'
import { createSqliteQueueStore } from './sqlite-queue.js'
import { createSqliteScheduleStore } from './sqlite-schedules.js'

export interface SqliteStoreOptions {
  /** The database file (created with its parent directory when missing), or `:memory:`. */
  path: string
  /**
   * How long a statement waits for another connection's lock before SQLite reports it busy.
   * Default 5000 ms. Writers take turns; readers never wait for writers (WAL).
   */
  busyTimeoutMs?: number
  /**
   * How far a commit is pushed to disk before it returns (SQLite's `PRAGMA synchronous`, set on
   * every connection the store opens). Default `'normal'`.
   *
   * - `'normal'`: the WAL is synced to disk at checkpoints, not at every commit. A process that
   *   dies (kill -9, a crash) loses no commit; a power cut or an OS crash may lose the last
   *   commits, never corrupts the file, and recovery then runs again the work they recorded.
   * - `'full'`: every commit is synced to disk before it returns, so it survives a power cut too;
   *   commits cost more (see the README for the measured figure).
   */
  synchronous?: SqliteSynchronous
}

const SYNCHRONOUS: readonly SqliteSynchronous[] = ['normal', 'full']

/** `options.synchronous`, or a `config_invalid` error that names the option and its values. */
function synchronousOption(value: unknown): SqliteSynchronous {
  if (value === undefined) return 'normal'
  if (SYNCHRONOUS.includes(value as SqliteSynchronous)) return value as SqliteSynchronous
  throw new WeftError(
    'config_invalid',
    `the sqlite store option synchronous must be 'normal' or 'full', not ${JSON.stringify(value) ?? String(value)}`,
    {
      hint: "'normal' (the default) loses no commit when the process dies; 'full' also keeps every commit through a power cut, at a cost per commit",
    },
  )
}

/**
 * The embedded default store: one SQLite file, WAL journal, one transaction per commit. Several
 * processes may open the same file: readers see the last committed state while a writer works,
 * and writers queue on the file lock (`busyTimeoutMs`).
 *
 * Leases are rows decided inside IMMEDIATE transactions, so they hold across every process that
 * opens the file. `capabilities.leases` is true for `:memory:` too: only this process can open
 * that database, so "every process" is this one and the leases are exact there as well.
 */
export function createSqliteStore(options: SqliteStoreOptions): FullStore {
  const inMemory = options.path === ':memory:'
  const file = inMemory ? ':memory:' : resolve(options.path)
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  const synchronous = synchronousOption(options.synchronous)
  let conn: Connection | undefined
  let closed = false

  function connection(): Connection {
    if (closed) {
      throw new WeftError('internal', `the sqlite store ${file} is closed`, {
        hint: 'create a new store to open the database again',
      })
    }
    conn ??= openConnection(file, inMemory, { busyTimeoutMs, synchronous })
    return conn
  }

  /** Every operation: one synchronous unit of work on the connection, retried whole if busy. */
  async function run<T>(work: (c: Connection) => T): Promise<T> {
    try {
      return await retryBusy(() => work(connection()))
    } catch (err) {
      if (!isBusyError(err)) throw err
      throw new WeftError(
        'internal',
        `the sqlite database ${file} stayed locked by another connection: ${(err as Error).message}`,
        {
          hint: `another process held a write lock longer than busyTimeoutMs (${busyTimeoutMs} ms); raise busyTimeoutMs or find the process that keeps the database locked`,
          cause: err,
        },
      )
    }
  }

  /** A unit of work on one part of the connection: what each capability module is given. */
  function on<K extends keyof Connection>(part: K): Work<Connection[K]> {
    return (work) => run((c) => work(c[part]))
  }

  const reads = runLogReads(on('reads'))

  return {
    specificationVersion: STORE_SPECIFICATION_VERSION,
    id: `sqlite:${file}`,
    capabilities: {
      transactions: true,
      multiProcess: !inMemory,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      dataflow: true,
      queue: true,
      schedules: true,
    },

    dataflow: createSqliteDataflowStore(on('db')),
    queue: createSqliteQueueStore(on('db')),
    schedules: createSqliteScheduleStore(on('db')),

    async init() {
      await run(() => undefined)
    },

    async close() {
      closed = true
      const c = conn
      conn = undefined
      if (c) closeDatabase(c.db)
    },

    commit: (commit) => run((c) => c.commit.immediate(commit)),

    runs: {
      get: reads.getRun,
      getSpec: reads.getSpec,
      list: reads.listRuns,
      counts: reads.counts,
      async delete(runIds) {
        // One transaction per run, awaited one after another: the write lock is held for one
        // run's rows at a time, so a prune of thousands of runs never stalls the commits of
        // runs that are running (here or in another process) for longer than that.
        let deleted = 0
        for (const runId of new Set(runIds)) {
          if (await run((c) => c.deleteRun.immediate(runId))) deleted++
        }
        return deleted
      },
    },

    tasks: {
      list: reads.listTasks,
      get: reads.getTask,
      query: reads.queryTasks,
    },

    events: {
      read: reads.readEvents,
      query: reads.queryEvents,
    },

    signals: createSqliteSignalStore(on('signals')),
    leases: createSqliteLeaseStore(on('leases')),
    idempotency: createSqliteIdempotencyStore(on('idempotency')),
    artifacts: createSqliteArtifactStore(on('artifacts')),
    memory: createSqliteMemoryStore(on('memory')),
  }
}
