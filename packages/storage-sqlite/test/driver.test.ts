import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closeDatabase, isBusyError, openDatabase } from '../src/driver.js'

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-driver-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The error `fn` throws (the test fails if it throws none). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

describe('sqlite driver', () => {
  it('tells a lock held by another connection (SQLITE_BUSY) from other errors', () => {
    const path = join(root, 'busy.db')
    const holder = openDatabase(path, { timeoutMs: 0 })
    const other = openDatabase(path, { timeoutMs: 0 })
    holder.pragma('journal_mode = WAL')
    holder.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)')
    holder.exec('BEGIN IMMEDIATE')
    expect(isBusyError(thrownBy(() => other.exec('BEGIN IMMEDIATE')))).toBe(true)
    holder.exec('ROLLBACK')
    other.exec('INSERT INTO t VALUES (1)')
    expect(isBusyError(thrownBy(() => other.exec('INSERT INTO t VALUES (1)')))).toBe(false)
    expect(isBusyError(new Error('database is locked'))).toBe(false)
    expect(isBusyError(undefined)).toBe(false)
    closeDatabase(holder)
    closeDatabase(other)
  })

  it('closes a database once, and a second close is harmless', () => {
    const db = openDatabase(join(root, 'close.db'), { timeoutMs: 0 })
    closeDatabase(db)
    expect(db.isOpen).toBe(false)
    expect(() => closeDatabase(db)).not.toThrow()
  })

  it('reads a BLOB back as a plain Uint8Array of exactly the bytes bound', () => {
    const db = openDatabase(':memory:', { timeoutMs: 0 })
    db.exec('CREATE TABLE b (d BLOB)')
    const bytes = new Uint8Array([9, 1, 2, 3, 9])
    db.prepare('INSERT INTO b VALUES (?)').run(bytes.subarray(1, 4))
    const { d } = db.prepare('SELECT d FROM b').get() as { d: Uint8Array }
    expect(Object.getPrototypeOf(d)).toBe(Uint8Array.prototype)
    expect([...d]).toEqual([1, 2, 3])
    closeDatabase(db)
  })
})
