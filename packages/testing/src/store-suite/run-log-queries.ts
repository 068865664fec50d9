import type { Store, WeftEvent } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { isoAt, logEvent, withTs } from '../fixtures.js'
import { ids, type StoreSuite } from './helpers.js'

/** The run log, required of every store: listing runs and reading or querying events. */
export function describeRunLogQueries(suite: StoreSuite): void {
  const { createRun } = suite
  describe('runs.list', () => {
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

    /** Six runs, created in this order (so newest first is the reverse). */
    async function seedRuns() {
      const specs = [
        { name: 'alpha', tags: ['nightly'], status: 'succeeded' },
        { name: 'beta', tags: [], status: 'failed' },
        { name: 'alpha', tags: ['nightly', 'prod'], status: 'running' },
        { name: 'gamma', tags: ['prod'], status: 'paused' },
        { name: 'alpha', tags: [], status: 'succeeded' },
        { name: 'beta', tags: ['nightly'], status: 'canceled' },
      ] as const
      const created: string[] = []
      for (const [i, s] of specs.entries()) {
        const { runId } = await createRun({
          name: s.name,
          tags: [...s.tags],
          summary: { status: s.status, createdAt: isoAt(i * 60) },
        })
        created.push(runId)
      }
      return { ids: created, newestFirst: [...created].reverse() }
    }

    it('lists runs newest first with their summaries', async () => {
      const { newestFirst } = await seedRuns()
      const page = await store.runs.list()
      expect(ids(page)).toEqual(newestFirst)
      expect(page.nextCursor).toBeUndefined()
      expect(page.items[0]).toEqual(await store.runs.get(newestFirst[0]!))
    })

    it('filters by status, name, tag and createdBefore, alone and combined', async () => {
      const { ids: all } = await seedRuns()
      const pick = (...i: number[]) => i.map((k) => all[k]!).reverse()
      expect(ids(await store.runs.list({ status: ['succeeded'] }))).toEqual(pick(0, 4))
      expect(ids(await store.runs.list({ status: ['running', 'paused'] }))).toEqual(pick(2, 3))
      expect(ids(await store.runs.list({ status: ['pending'] }))).toEqual([])
      expect(ids(await store.runs.list({ name: 'alpha' }))).toEqual(pick(0, 2, 4))
      expect(ids(await store.runs.list({ name: 'alp' }))).toEqual([])
      expect(ids(await store.runs.list({ tag: 'nightly' }))).toEqual(pick(0, 2, 5))
      expect(ids(await store.runs.list({ tag: 'prod' }))).toEqual(pick(2, 3))
      expect(ids(await store.runs.list({ tag: 'night' }))).toEqual([])
      expect(ids(await store.runs.list({ createdBefore: isoAt(120) }))).toEqual(pick(0, 1))
      expect(ids(await store.runs.list({ name: 'alpha', tag: 'nightly' }))).toEqual(pick(0, 2))
      expect(ids(await store.runs.list({ name: 'alpha', status: ['succeeded'], tag: 'nightly' }))).toEqual(
        pick(0),
      )
    })

    it('counts runs by status, every status present', async () => {
      expect(await store.runs.counts()).toEqual({
        pending: 0,
        running: 0,
        paused: 0,
        canceling: 0,
        succeeded: 0,
        failed: 0,
        canceled: 0,
      })
      const { ids: all } = await seedRuns()
      expect(await store.runs.counts()).toEqual({
        pending: 0,
        running: 1,
        paused: 1,
        canceling: 0,
        succeeded: 2,
        failed: 1,
        canceled: 1,
      })
      await store.runs.delete([all[0]!])
      expect((await store.runs.counts()).succeeded).toBe(1)
    })

    it('reflects status changes in filters', async () => {
      const { runId, commit } = await createRun()
      expect(ids(await store.runs.list({ status: ['pending'] }))).toEqual([runId])
      await store.commit({ runId, run: { ...commit.run!, status: 'running' }, events: [] })
      expect(ids(await store.runs.list({ status: ['pending'] }))).toEqual([])
      expect(ids(await store.runs.list({ status: ['running'] }))).toEqual([runId])
      await store.commit({ runId, run: { ...commit.run!, status: 'running', tags: ['late'] }, events: [] })
      expect(ids(await store.runs.list({ tag: 'late' }))).toEqual([runId])
    })

    it('pages with limit and nextCursor, each run exactly once, no cursor on the last page', async () => {
      const { newestFirst } = await seedRuns()
      const first = await store.runs.list({ limit: 4 })
      expect(ids(first)).toEqual(newestFirst.slice(0, 4))
      expect(typeof first.nextCursor).toBe('string')
      const second = await store.runs.list({ limit: 4, cursor: first.nextCursor! })
      expect(ids(second)).toEqual(newestFirst.slice(4))
      expect(second.nextCursor).toBeUndefined()

      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await store.runs.list({ limit: 1, ...(cursor ? { cursor } : {}) })
        expect(page.items.length).toBe(1)
        seen.push(...ids(page))
        cursor = page.nextCursor
        pages++
      } while (cursor && pages < 20)
      expect(seen).toEqual(newestFirst)

      // A page that ends exactly at the last run is the last page.
      const exact = await store.runs.list({ limit: 6 })
      expect(ids(exact)).toEqual(newestFirst)
      expect(exact.nextCursor).toBeUndefined()
    })

    it('pages through a filtered list', async () => {
      const { ids: all } = await seedRuns()
      const first = await store.runs.list({ tag: 'nightly', limit: 2 })
      expect(ids(first)).toEqual([all[5], all[2]])
      expect(first.nextCursor).toBeDefined()
      const second = await store.runs.list({ tag: 'nightly', limit: 2, cursor: first.nextCursor! })
      expect(ids(second)).toEqual([all[0]])
      expect(second.nextCursor).toBeUndefined()
    })
  })

  describe('events', () => {
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

    /** One run with 20 log events after the 3 creation events, ts = isoAt(seq). */
    async function seedEvents() {
      const { runId } = await createRun()
      await store.commit({
        runId,
        events: Array.from({ length: 20 }, (_, i) => logEvent(`e${i + 4}`, { ts: isoAt(i + 4) })),
      })
      return runId
    }

    it('reads after a seq, in order, with a limit', async () => {
      const runId = await seedEvents()
      expect((await store.events.read(runId)).map((e) => e.seq)).toEqual(
        Array.from({ length: 23 }, (_, i) => i + 1),
      )
      expect((await store.events.read(runId, { afterSeq: 10 })).map((e) => e.seq)).toEqual(
        Array.from({ length: 13 }, (_, i) => i + 11),
      )
      expect((await store.events.read(runId, { afterSeq: 10, limit: 3 })).map((e) => e.seq)).toEqual([
        11, 12, 13,
      ])
      expect((await store.events.read(runId, { limit: 2 })).map((e) => e.seq)).toEqual([1, 2])
      expect(await store.events.read(runId, { afterSeq: 23 })).toEqual([])
      expect(await store.events.read(runId, { afterSeq: 100 })).toEqual([])
      expect((await store.events.read(runId, { afterSeq: 0 }))[0]?.seq).toBe(1)
    })

    it('reads every event with the default limit when there are fewer than 1000', async () => {
      const { runId } = await createRun()
      await store.commit({ runId, events: Array.from({ length: 400 }, (_, i) => logEvent(`bulk ${i}`)) })
      expect(await store.events.read(runId)).toHaveLength(403)
    })

    async function seedQuery() {
      const one = await createRun({ taskIds: ['a', 'b'] })
      const two = await createRun({ taskIds: ['a'] })
      const drafts = (runTag: string) => [
        withTs({ type: 'task.started', taskId: 'a', attempt: 1, data: { backend: 'mock' } }, isoAt(10)),
        logEvent(`${runTag} a log`, { taskId: 'a', attempt: 1, ts: isoAt(11), severity: 'debug' }),
        withTs(
          {
            type: 'task.failed',
            taskId: 'a',
            attempt: 1,
            severity: 'error',
            data: { error: { code: 'timeout', message: 'slow' }, attempts: 1 },
          },
          isoAt(12),
        ),
        logEvent(`${runTag} warn`, { ts: isoAt(13), severity: 'warn' }),
        withTs(
          {
            type: 'run.failed',
            severity: 'error',
            data: {
              error: { code: 'task_failed', message: 'a failed' },
              usage: {
                inputTokens: 0,
                outputTokens: 0,
                cacheReadTokens: 0,
                cacheWriteTokens: 0,
                reasoningTokens: 0,
              },
              durationMs: 5,
            },
          },
          isoAt(14),
        ),
      ]
      await store.commit({ runId: one.runId, events: drafts('one') })
      await store.commit({ runId: two.runId, events: drafts('two') })
      return { one: one.runId, two: two.runId }
    }

    const key = (e: WeftEvent) => `${e.runId}#${e.seq}`
    const keys = (events: WeftEvent[]) => events.map(key).sort()

    it('queries by run, in seq order', async () => {
      const { one } = await seedQuery()
      const events = await store.events.query({ runId: one })
      expect(events).toEqual(await store.events.read(one))
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    })

    it('queries across runs when no run is given, ordered by ts, then run, then seq', async () => {
      const { one, two } = await seedQuery()
      const all = await store.events.query({})
      expect(keys(all)).toEqual(keys([...(await store.events.read(one)), ...(await store.events.read(two))]))
      const expected = [...all].sort((a, b) =>
        a.ts !== b.ts
          ? a.ts < b.ts
            ? -1
            : 1
          : a.runId !== b.runId
            ? a.runId < b.runId
              ? -1
              : 1
            : a.seq - b.seq,
      )
      expect(all.map(key)).toEqual(expected.map(key))
    })

    it('queries by types, taskId and severities', async () => {
      const { one, two } = await seedQuery()
      const failed = await store.events.query({ types: ['task.failed'] })
      expect(keys(failed)).toEqual([`${one}#6`, `${two}#5`].sort())
      expect(failed[0]).toMatchObject({
        type: 'task.failed',
        taskId: 'a',
        attempt: 1,
        severity: 'error',
        data: { error: { code: 'timeout' } },
      })

      const starts = await store.events.query({ runId: one, types: ['task.started', 'run.failed'] })
      expect(starts.map((e) => e.seq)).toEqual([4, 8])

      const taskA = await store.events.query({ runId: one, taskId: 'a' })
      expect(taskA.map((e) => e.seq)).toEqual([2, 4, 5, 6])
      expect((await store.events.query({ taskId: 'b' })).map(key)).toEqual([`${one}#3`])

      const errors = await store.events.query({ severities: ['error'] })
      expect(keys(errors)).toEqual([`${one}#6`, `${one}#8`, `${two}#5`, `${two}#7`].sort())
      const noisy = await store.events.query({ runId: two, severities: ['warn', 'debug'] })
      expect(noisy.map((e) => e.seq)).toEqual([4, 6])

      const combined = await store.events.query({
        runId: one,
        taskId: 'a',
        types: ['log'],
        severities: ['debug'],
      })
      expect(combined.map((e) => e.seq)).toEqual([5])
      expect(combined[0]!.data).toEqual({ message: 'one a log' })
    })

    it('queries a time window: since is inclusive, until is exclusive', async () => {
      const { one, two } = await seedQuery()
      const window = await store.events.query({ since: isoAt(11), until: isoAt(13) })
      expect(keys(window)).toEqual([`${one}#5`, `${one}#6`, `${two}#4`, `${two}#5`].sort())
      expect((await store.events.query({ runId: one, since: isoAt(14) })).map((e) => e.seq)).toEqual([8])
      expect((await store.events.query({ runId: one, until: isoAt(10) })).map((e) => e.seq)).toEqual([
        1, 2, 3,
      ])
      expect(await store.events.query({ since: isoAt(100) })).toEqual([])
    })

    it('limits query results (first matches of a run in seq order)', async () => {
      const { one } = await seedQuery()
      expect((await store.events.query({ runId: one, limit: 3 })).map((e) => e.seq)).toEqual([1, 2, 3])
      expect(
        (await store.events.query({ runId: one, severities: ['error'], limit: 1 })).map((e) => e.seq),
      ).toEqual([6])
      expect(await store.events.query({ limit: 2 })).toHaveLength(2)
    })

    it('matches nothing for empty type or severity lists and unknown task ids', async () => {
      const { one } = await seedQuery()
      expect(await store.events.query({ runId: one, types: [] })).toEqual([])
      expect(await store.events.query({ runId: one, severities: [] })).toEqual([])
      expect(await store.events.query({ runId: one, taskId: 'zzz' })).toEqual([])
    })
  })
}
