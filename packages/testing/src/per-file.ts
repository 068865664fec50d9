import { afterAll, beforeAll } from 'vitest'
import { lateBound } from './late-bound.js'

/**
 * Something a test file shares (a server, a harness): `start`ed before its tests, closed after them
 * (its `close()`), and usable by a name taken at the top of the file (see `lateBound`).
 */
export function perFile<T extends { close(): Promise<unknown> }>(start: () => Promise<T>, what: string): T {
  let value: T | undefined
  beforeAll(async () => {
    value = await start()
  })
  afterAll(async () => {
    await value?.close()
  })
  return lateBound(() => value, what)
}
