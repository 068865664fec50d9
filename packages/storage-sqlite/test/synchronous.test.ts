import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FullStore, newRunId } from '@weft/core'
import { firstCommit } from '@weft/testing'
import { afterAll, describe, expect, it, vi } from 'vitest'
import type { Database } from '../src/driver.js'
import { createSqliteStore, type SqliteStoreOptions } from '../src/index.js'

// `PRAGMA synchronous` belongs to a connection, not to the file: only the store's own connection
// can tell what it runs at. The driver module is wrapped to keep every connection the store opens.
const opened = vi.hoisted(() => [] as Database[])
vi.mock('../src/driver.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/driver.js')>()
  return {
    ...real,
    openDatabase: (...args: Parameters<typeof real.openDatabase>) => {
      const db = real.openDatabase(...args)
      opened.push(db)
      return db
    },
  }
})

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-sync-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let counter = 0
const newDbPath = () => join(root, `db-${++counter}`, 'weft.db')

/** Opens a store, commits a run to it and returns the store with its connection. */
async function storeWithWrites(options: SqliteStoreOptions): Promise<{ store: FullStore; db: Database }> {
  const before = opened.length
  const store = createSqliteStore(options)
  const runId = newRunId()
  await store.commit(firstCommit(runId, 'synchronous'))
  await store.commit({ runId, expectLastSeq: 3, events: [] })
  expect(opened.length).toBe(before + 1)
  return { store, db: opened.at(-1)! }
}

const synchronousOf = (db: Database) => db.pragma('synchronous', { simple: true })

describe('sqlite store: synchronous', () => {
  it('runs NORMAL (1) by default, after writes and after reopening the WAL file', async () => {
    const path = newDbPath()
    const first = await storeWithWrites({ path })
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(synchronousOf(first.db)).toBe(1)
    await first.store.close()
    const again = await storeWithWrites({ path, synchronous: 'normal' })
    expect(synchronousOf(again.db)).toBe(1)
    await again.store.close()
  })

  it("runs FULL (2) with synchronous: 'full', after writes and after reopening the WAL file", async () => {
    const path = newDbPath()
    const first = await storeWithWrites({ path, synchronous: 'full' })
    expect(synchronousOf(first.db)).toBe(2)
    await first.store.close()
    const again = await storeWithWrites({ path, synchronous: 'full' })
    expect(synchronousOf(again.db)).toBe(2)
    await again.store.close()
    // The setting is the connection's: the default store on the same file runs NORMAL again.
    const plain = await storeWithWrites({ path })
    expect(synchronousOf(plain.db)).toBe(1)
    await plain.store.close()
  })

  it('refuses any other value, naming the option and the values it takes', () => {
    for (const bad of ['FULL', 'off', 'extra', '', 2, null]) {
      const open = () => createSqliteStore({ path: newDbPath(), synchronous: bad as never })
      expect(open).toThrow(
        expect.objectContaining({
          name: 'WeftError',
          code: 'config_invalid',
          message: expect.stringMatching(/synchronous must be 'normal' or 'full', not /),
        }),
      )
    }
    expect(() => createSqliteStore({ path: ':memory:', synchronous: 'extra' as never })).toThrow(
      "the sqlite store option synchronous must be 'normal' or 'full', not \"extra\"",
    )
  })
})
