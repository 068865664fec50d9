import { commitRun, logEvents } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createMemoryStore, isWeftError, type PruneBatch, pruneRuns } from '../src/index.js'
import { makeRuntime } from './helpers/test-backend.js'

const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()

describe('pruneRuns', () => {
  it('deletes old finished runs in batches with their events, and nothing else', async () => {
    const store = createMemoryStore()
    const old = []
    for (let i = 0; i < 5; i++) {
      old.push(
        await commitRun(store, {
          createdAt: daysAgo(40 + i),
          status: (['succeeded', 'failed', 'canceled'] as const)[i % 3],
          events: logEvents(20),
        }),
      )
    }
    const oldRunning = await commitRun(store, { createdAt: daysAgo(60), status: 'running' })
    const oldPaused = await commitRun(store, { createdAt: daysAgo(60), status: 'paused' })
    const recent = await commitRun(store, { createdAt: daysAgo(1), status: 'succeeded' })

    const batches: PruneBatch[] = []
    const result = await pruneRuns(store, {
      olderThan: new Date(Date.now() - 30 * DAY),
      batchSize: 2,
      onBatch: (b) => void batches.push(b),
    })
    expect(result.deleted).toBe(5)
    expect(new Set(result.runIds)).toEqual(new Set(old.map((r) => r.id)))
    expect(batches.map((b) => b.runIds.length)).toEqual([2, 2, 1])
    expect(batches.map((b) => b.deleted)).toEqual([2, 2, 1])
    for (const r of old) {
      expect(await store.runs.get(r.id)).toBeUndefined()
      expect(await store.events.read(r.id)).toEqual([])
    }
    for (const r of [oldRunning, oldPaused, recent]) expect((await store.runs.get(r.id))?.id).toBe(r.id)
  })

  it('a dry run deletes nothing; statuses narrow it; live statuses are refused', async () => {
    const store = createMemoryStore()
    const failed = await commitRun(store, { createdAt: daysAgo(10), status: 'failed' })
    const succeeded = await commitRun(store, { createdAt: daysAgo(10), status: 'succeeded' })

    const dry = await pruneRuns(store, { olderThan: new Date(), dryRun: true })
    expect(dry).toMatchObject({ deleted: 2, dryRun: true })
    expect(await store.runs.get(failed.id)).toBeDefined()

    const onlyFailed = await pruneRuns(store, { olderThan: new Date(), statuses: ['failed'] })
    expect(onlyFailed.runIds).toEqual([failed.id])
    expect(await store.runs.get(succeeded.id)).toBeDefined()

    for (const statuses of [['running'], ['succeeded', 'paused']] as const) {
      const err = await pruneRuns(store, { olderThan: new Date(), statuses: [...statuses] }).catch((e) => e)
      expect(isWeftError(err) && err.code).toBe('input_invalid')
    }
    const bad = await pruneRuns(store, { olderThan: new Date('nope') }).catch((e) => e)
    expect(isWeftError(bad) && bad.code).toBe('input_invalid')
  })

  it('never touches a run that is running, even when everything is old enough', async () => {
    const store = createMemoryStore()
    const { runtime } = makeRuntime({ store })
    const workflow = (name: string, hang: boolean) => ({
      weft: 1 as const,
      name,
      defaults: { backend: 'test' },
      tasks: { a: { with: hang ? { hang: true } : {} } },
    })
    const done = await runtime.start({ workflow: workflow('done', false) })
    await runtime.wait(done.id)
    const live = await runtime.start({ workflow: workflow('live', true) })
    await new Promise((r) => setTimeout(r, 50))
    expect((await store.runs.get(live.id))!.status).toBe('running')

    const result = await pruneRuns(store, { olderThan: new Date(Date.now() + 1000) })
    expect(result.runIds).toEqual([done.id])
    expect(await store.runs.get(done.id)).toBeUndefined()
    expect((await store.runs.get(live.id))!.status).toBe('running')

    // The live run keeps writing after the prune.
    await runtime.cancel(live.id)
    expect((await runtime.wait(live.id)).status).toBe('canceled')
    await runtime.close()
  })
})
