import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { WeftError } from '@weft/core'
import { type ArtifactStatements, prepareArtifacts } from './artifacts.js'
import { prepareCommit } from './commit.js'
import { prepareDeleteRun } from './delete-run.js'
import {
  closeDatabase,
  type Database,
  openDatabase,
  SQLITE_CANTOPEN,
  SQLITE_NOTADB,
  sqliteCodeOf,
} from './driver.js'
import { type IdempotencyStatements, prepareIdempotency } from './idempotency.js'
import { type LeaseStatements, prepareLeases } from './leases.js'
import { type MemoryStatements, prepareMemory } from './memory.js'
import { migrate } from './migrations.js'
import { prepareReads, type ReadStatements } from './queries.js'
import { prepareSignals, type SignalStatements } from './signals.js'
import { prepareTaskJournal } from './task-journal.js'

/**
 * The store's unit of work: one synchronous function on (a part of) the connection, run whole
 * and retried whole if busy. Each capability module gets one over the statements it prepared.
 */
export type Work<S> = <T>(work: (s: S) => T) => Promise<T>

/** One open database and every statement of it, grouped by the module that uses them. */
export interface Connection {
  db: Database
  commit: ReturnType<typeof prepareCommit>
  deleteRun: ReturnType<typeof prepareDeleteRun>
  reads: ReadStatements
  leases: LeaseStatements
  idempotency: IdempotencyStatements
  artifacts: ArtifactStatements
  memory: MemoryStatements
  signals: SignalStatements
}

/** `PRAGMA synchronous` of the store's connections: see `SqliteStoreOptions.synchronous`. */
export type SqliteSynchronous = 'normal' | 'full'

export interface ConnectionOptions {
  busyTimeoutMs: number
  synchronous: SqliteSynchronous
}

export function openConnection(file: string, inMemory: boolean, options: ConnectionOptions): Connection {
  if (!inMemory) mkdirSync(dirname(file), { recursive: true })
  // `timeout` is SQLite's busy_timeout: wait for another connection's lock instead of failing.
  let db: Database
  try {
    db = openDatabase(file, { timeoutMs: options.busyTimeoutMs })
  } catch (err) {
    throw unopenable(file, err)
  }
  try {
    // WAL: readers in other processes keep reading the last committed state while one writes.
    if (!inMemory) db.pragma('journal_mode = WAL')
    // Set explicitly, after WAL, on every connection (it is a setting of the connection, not of
    // the file), so that it does not depend on how the driver's SQLite was compiled
    // (SQLITE_DEFAULT_WAL_SYNCHRONOUS differs between builds). NORMAL syncs the WAL at
    // checkpoints: a killed process loses no commit, a power cut may lose the last ones but never
    // corrupts the file. FULL syncs every commit.
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    // A page cache of up to 32 MiB (the default is 2 MiB): a run's commits rewrite task rows and
    // index pages all over the file, and re-reading them from the OS on every commit cost more
    // than the writes. It changes no write: durability is `synchronous` alone.
    db.pragma('cache_size = -32000')
    db.pragma('foreign_keys = ON')
    migrate(db)
    return prepare(db)
  } catch (err) {
    closeDatabase(db)
    throw unopenable(file, err)
  }
}

/**
 * A file that is not a SQLite database, or a path SQLite cannot open, as an error that names the
 * file and what to do; any other error as it is.
 */
function unopenable(file: string, err: unknown): unknown {
  const code = sqliteCodeOf(err)
  if (code !== SQLITE_NOTADB && code !== SQLITE_CANTOPEN) return err
  const hint =
    code === SQLITE_NOTADB
      ? 'the file exists but is not a SQLite database (or is encrypted): point the store at a new path or at the weft.db you meant'
      : 'the path must be a file in a directory this process can write to, not a directory'
  return new WeftError(
    'config_invalid',
    `cannot open the sqlite database ${file}: ${(err as Error).message}`,
    {
      hint,
      cause: err,
    },
  )
}

/** Every statement of the connection, prepared once when it opens, by the module that uses it. */
function prepare(db: Database): Connection {
  const journal = prepareTaskJournal(db)
  const commit = prepareCommit(db, journal)
  return {
    db,
    commit,
    deleteRun: prepareDeleteRun(db, commit.forgetRun),
    reads: prepareReads(db, journal),
    leases: prepareLeases(db),
    idempotency: prepareIdempotency(db),
    artifacts: prepareArtifacts(db),
    memory: prepareMemory(db),
    signals: prepareSignals(db),
  }
}
