import type { MemoryStore } from '@weft/core'
import type { Work } from './connection.js'
import type { Database, Statement } from './driver.js'
import { MEMORY_COLUMNS, type MemoryRow, toMemoryEntry } from './rows.js'

/** The memory statements of one connection. */
export interface MemoryStatements {
  getMemory: Statement
  listMemory: Statement
}

/** Reads of memory; writes come with commits (see commit.ts). */
export function prepareMemory(db: Database): MemoryStatements {
  return {
    getMemory: db.prepare(`SELECT ${MEMORY_COLUMNS} FROM memory WHERE scope = ? AND key = ?`),
    listMemory: db.prepare(`SELECT ${MEMORY_COLUMNS} FROM memory WHERE scope = ?`),
  }
}

/** The memory part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteMemoryStore(run: Work<MemoryStatements>): MemoryStore {
  return {
    get: (scope, key) =>
      run((c) => {
        const row = c.getMemory.get(scope, key) as MemoryRow | undefined
        return row && toMemoryEntry(row)
      }),
    list: (scope) =>
      run((c) =>
        (c.listMemory.all(scope) as MemoryRow[])
          .map(toMemoryEntry)
          // SQLite orders keys by UTF-8 bytes; sort by UTF-16 code units like the other stores.
          .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)),
      ),
  }
}
