import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WeftError } from '@weft/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-open-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** What `init()` of a store at `path` rejects with. */
async function openError(path: string): Promise<WeftError> {
  const store = createSqliteStore({ path })
  const err = await store.init().then(
    () => undefined,
    (e: unknown) => e,
  )
  await store.close()
  expect(err).toBeInstanceOf(WeftError)
  return err as WeftError
}

describe('sqlite store: a path it cannot open', () => {
  it('names a file that is not a SQLite database, and says what to do', async () => {
    const path = join(root, 'notes.txt')
    writeFileSync(path, 'these are notes, not a database\n'.repeat(200))
    const err = await openError(path)
    expect(err.code).toBe('config_invalid')
    expect(err.message).toContain(path)
    expect(err.message).toContain('file is not a database')
    expect(err.hint).toMatch(/not a SQLite database/)
  })

  it('names a directory given as the database', async () => {
    const path = join(root, 'a-directory')
    mkdirSync(path)
    const err = await openError(path)
    expect(err.code).toBe('config_invalid')
    expect(err.message).toContain(path)
    expect(err.hint).toMatch(/not a directory/)
  })
})
