import {
  DatabaseSync,
  type DatabaseSyncInstance,
  type EnhancedDatabaseSync,
  type EnhancedStatementMethods,
  enhance,
  type StatementSyncInstance,
  type TransactionFunction,
} from '@photostructure/sqlite'

/**
 * The one place the store meets its SQLite driver: @photostructure/sqlite, node:sqlite's API
 * with prebuilt binaries inside its npm package, so installing weft compiles nothing (building
 * better-sqlite3 from source took over a minute of a cold install where its binaries cannot be
 * downloaded). `enhance` adds the better-sqlite3 style helpers the store is written with:
 * `transaction(fn).immediate`, `pragma` and `pluck`.
 */
export type Database = EnhancedDatabaseSync<DatabaseSyncInstance>
export type Statement = StatementSyncInstance & EnhancedStatementMethods
// biome-ignore lint/suspicious/noExplicitAny: the driver's own bound on transaction functions
export type Transaction<F extends (...args: any[]) => any> = TransactionFunction<F>

export interface OpenOptions {
  /** SQLite's busy_timeout: how long to wait for another connection's lock before SQLITE_BUSY. */
  timeoutMs: number
  /** Open for reading only (the store never does; tests and tools do). */
  readOnly?: boolean
}

export function openDatabase(file: string, options: OpenOptions): Database {
  return enhance(new DatabaseSync(file, { timeout: options.timeoutMs, readOnly: options.readOnly ?? false }))
}

/** Closes `db` unless it is closed already (the driver throws on a second close). */
export function closeDatabase(db: Database): void {
  if (db.isOpen) db.close()
}

/** Primary SQLite result codes the store tells apart. */
export const SQLITE_BUSY = 5
export const SQLITE_CANTOPEN = 14
export const SQLITE_NOTADB = 26

/** The primary result code of an error the driver threw (an extended code keeps it in its low byte). */
export function sqliteCodeOf(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode
  return typeof code === 'number' ? code & 0xff : undefined
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, …). */
export function isBusyError(err: unknown): boolean {
  return sqliteCodeOf(err) === SQLITE_BUSY
}
