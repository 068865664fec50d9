import { createHash } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { IdempotencyClaim, IdempotencyStore } from '@weft/core'
import { fsyncDir, writeFileAtomic } from './atomic.js'
import type { StoreContext } from './context.js'
import { pretty } from './format.js'
import { KeyedQueue } from './keyed-queue.js'
import { withLock } from './lock.js'
import { readJson } from './run-files.js'

/** One key's file: claimed by `owner` until `expiresAt`, then done with `runId`. */
interface KeyFile {
  key: string
  bodyHash: string
  owner?: string
  expiresAt?: string
  runId?: string
}

/**
 * One file per key, `idempotency/<sha256(key)>.json` (keys are any strings, so the file name is
 * their hash; the file records the key itself). Every change reads and writes the file under the
 * key's lock file, so "is it free? then it is mine" is one step for all processes on the machine.
 * A key whose run was deleted is free again: `runs.delete` does not look for the keys of a run;
 * instead a done key is checked against the run's directory when it is read.
 */
export function createIdempotencyStore(ctx: StoreContext): IdempotencyStore {
  const { layout, durability } = ctx
  const dir = join(layout.dir, 'idempotency')
  const queue = new KeyedQueue()
  const fileOf = (key: string) => join(dir, `${hash(key)}.json`)

  function locked<T>(key: string, work: (file: string) => Promise<T>): Promise<T> {
    const name = hash(key)
    // The queue key cannot be a run id (ids have no ':'), so it never waits behind a run's writes.
    return queue.run(`:idempotency:${name}`, async () => {
      await mkdir(dir, { recursive: true })
      return withLock(
        join(layout.locksDir, `idempotency-${name}.lock`),
        { timeoutMs: ctx.lockTimeoutMs, purpose: 'idempotency key' },
        () => work(fileOf(key)),
      )
    })
  }

  /** The key's record, or undefined when it has none or its run no longer exists. */
  async function read(file: string, key: string): Promise<KeyFile | undefined> {
    const found = await readJson<KeyFile>(file).catch(() => undefined)
    if (!found || found.key !== key) return undefined
    if (
      found.runId !== undefined &&
      (await readJson(layout.run(found.runId).meta).catch(() => undefined)) === undefined
    ) {
      return undefined
    }
    return found
  }

  async function write(file: string, record: KeyFile): Promise<void> {
    await writeFileAtomic(file, pretty(record), durability)
    await fsyncDir(dir, durability)
  }

  return {
    claim: (key, bodyHash, owner, ttlMs) =>
      locked(key, async (file): Promise<IdempotencyClaim> => {
        const now = Date.now()
        const held = await read(file, key)
        if (held?.runId !== undefined) return { status: 'done', runId: held.runId, bodyHash: held.bodyHash }
        if (held?.owner !== undefined && held.owner !== owner && Date.parse(held.expiresAt ?? '') > now) {
          return { status: 'busy', owner: held.owner, bodyHash: held.bodyHash, expiresAt: held.expiresAt! }
        }
        await write(file, { key, bodyHash, owner, expiresAt: new Date(now + ttlMs).toISOString() })
        return { status: 'claimed' }
      }),

    complete: (key, owner, runId) =>
      locked(key, async (file) => {
        const held = await read(file, key)
        if (!held) return false
        if (held.runId !== undefined) return held.runId === runId
        if (held.owner !== owner) return false
        await write(file, { key, bodyHash: held.bodyHash, runId })
        return true
      }),

    release: (key, owner) =>
      locked(key, async (file) => {
        const held = await read(file, key)
        if (held && held.runId === undefined && held.owner === owner) await rm(file, { force: true })
      }),
  }
}

function hash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 40)
}
