import { afterAll, beforeAll } from 'vitest'
import { lateBound } from './late-bound.js'

/**
 * Something a test file shares (a server, a harness): `start`ed before its tests, `stop`ped after
 * them, and usable by a name taken at the top of the file (see `lateBound`).
 */
export function perFile<T extends object>(
  start: () => Promise<T>,
  stop: (value: T) => Promise<void>,
  what: string,
): T {
  let value: T | undefined
  beforeAll(async () => {
    value = await start()
  })
  afterAll(async () => {
    if (value) await stop(value)
  })
  return lateBound(() => value, what)
}
