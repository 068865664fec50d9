import {
  type Commit,
  type Json,
  newRunId,
  type RunLease,
  RunSpecSchema,
  type RunSummary,
  RunSummarySchema,
  type Store,
  TaskStateSchema,
  type WeftEvent,
  WeftEventSchema,
} from '@weft/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  buildCreateCommit,
  buildRunSpec,
  buildRunSummary,
  buildTaskState,
  isoAt,
  logEvent,
  pseudoRandomBytes,
  utf8,
  withTs,
} from './fixtures.js'
import { describeRuntimeOnStore } from './runtime-suite.js'

/**
 * Opens a fresh, EMPTY store for one test. The suite calls `init()` and `close()` itself; `cleanup`
 * runs after `close()` (delete a temp file, drop a schema, …).
 */
export type StoreFactory = () => Promise<{ store: Store; cleanup?: () => Promise<void> }>

/**
 * The conformance suite every `Store` implementation must pass. Call it at the top level of a
 * vitest test file:
 *
 *   describeStore('sqlite', async () => ({ store: createSqliteStore({ path: tmpFile() }) }))
 */
export function describeStore(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store
    let cleanup: (() => Promise<void>) | undefined

    beforeEach(async () => {
      const made = await factory()
      store = made.store
      cleanup = made.cleanup
      await store.init()
    })

    afterEach(async () => {
      await store.close()
      await cleanup?.()
    })

    /** Creates a run with the fixture's two tasks and its `run.created` + `task.added` events. */
    async function createRun(options: Parameters<typeof buildCreateCommit>[1] = {}, runId = newRunId()) {
      const commit = buildCreateCommit(runId, options)
      const stored = await store.commit(commit)
      return { runId, commit, stored }
    }

    /** Everything a commit may touch, to prove a refused commit wrote nothing. */
    async function snapshot(runId: string) {
      return {
        summary: await store.runs.get(runId),
        spec: await store.runs.getSpec(runId),
        tasks: await store.tasks.list(runId),
        events: await store.events.read(runId),
        list: await store.runs.list(),
        memory: await store.memory.list(`run:${runId}`),
      }
    }

    describeRuntimeOnStore(() => store)

    describe('lifecycle', () => {
      it('describes itself', () => {
        expect(store.specificationVersion).toBe('weft.store.v1')
        expect(typeof store.id).toBe('string')
        expect(store.id.length).toBeGreaterThan(0)
        for (const key of ['transactions', 'multiProcess', 'leases'] as const) {
          expect(typeof store.capabilities[key]).toBe('boolean')
        }
      })

      it('init is idempotent and keeps what was written', async () => {
        const { runId } = await createRun()
        await store.init()
        await store.init()
        expect((await store.runs.get(runId))?.id).toBe(runId)
        expect(await store.events.read(runId)).toHaveLength(3)
      })

      it('answers "nothing" for unknown runs instead of throwing', async () => {
        const id = newRunId()
        expect(await store.runs.get(id)).toBeUndefined()
        expect(await store.runs.getSpec(id)).toBeUndefined()
        expect(await store.tasks.list(id)).toEqual([])
        expect(await store.tasks.get(id, 'a')).toBeUndefined()
        expect(await store.events.read(id)).toEqual([])
        expect(await store.events.query({ runId: id })).toEqual([])
        expect(await store.runs.list()).toEqual({ items: [] })
      })
    })

    describe('commit', () => {
      it('create stores spec, summary, tasks and events, and returns the events with seqs 1..n', async () => {
        const { runId, commit, stored } = await createRun({
          name: 'first',
          tags: ['x'],
          inputs: { topic: 'store' },
        })

        expect(stored.map((e) => e.seq)).toEqual([1, 2, 3])
        expect(stored.map((e) => e.type)).toEqual(['run.created', 'task.added', 'task.added'])
        for (const e of stored) {
          expect(e.runId).toBe(runId)
          expect(e.ts).toBe(isoAt(0))
          expect(e.severity).toBe('info')
        }
        expect(stored[1]).toMatchObject({ taskId: 'a', data: { needs: [], priority: 50 } })
        expect(stored[2]).toMatchObject({ taskId: 'b', data: { needs: ['a'], priority: 50 } })

        expect(await store.runs.getSpec(runId)).toEqual(commit.create!.spec)
        expect(await store.runs.get(runId)).toEqual({ ...commit.run, lastSeq: 3 })
        expect(await store.tasks.list(runId)).toEqual(commit.tasks)
        expect(await store.tasks.get(runId, 'b')).toEqual(commit.tasks![1])
        expect(await store.tasks.get(runId, 'nope')).toBeUndefined()
        expect(await store.events.read(runId)).toEqual(stored)

        // What comes back is valid by core's own schemas (e.g. no `null` where a field is optional).
        RunSpecSchema.parse(await store.runs.getSpec(runId))
        RunSummarySchema.parse(await store.runs.get(runId))
        for (const t of await store.tasks.list(runId)) TaskStateSchema.parse(t)
        for (const e of await store.events.read(runId)) WeftEventSchema.parse(e)
      })

      it('keeps taskId, attempt and severity of events and defaults severity to info', async () => {
        const { runId } = await createRun()
        const stored = await store.commit({
          runId,
          events: [
            logEvent('plain'),
            logEvent('tasked', { taskId: 'a', attempt: 2, severity: 'warn' }),
            logEvent('bad', { severity: 'error' }),
            logEvent('chatty', { severity: 'debug' }),
          ],
        })
        expect(stored).toHaveLength(4)
        expect(stored[0]!.severity).toBe('info')
        expect(stored[0]!.taskId).toBeUndefined()
        expect(stored[0]!.attempt).toBeUndefined()
        expect(stored[1]).toMatchObject({
          taskId: 'a',
          attempt: 2,
          severity: 'warn',
          data: { message: 'tasked' },
        })
        expect(stored.map((e) => e.severity)).toEqual(['info', 'warn', 'error', 'debug'])
        expect(await store.events.read(runId, { afterSeq: 3 })).toEqual(stored)
        for (const e of stored) WeftEventSchema.parse(e)
      })

      it('assigns gapless seqs that continue across commits', async () => {
        const { runId } = await createRun()
        const second = await store.commit({ runId, events: [logEvent('4'), logEvent('5')] })
        const third = await store.commit({ runId, events: [logEvent('6')] })
        const fourth = await store.commit({ runId, events: [logEvent('7'), logEvent('8'), logEvent('9')] })
        expect(second.map((e) => e.seq)).toEqual([4, 5])
        expect(third.map((e) => e.seq)).toEqual([6])
        expect(fourth.map((e) => e.seq)).toEqual([7, 8, 9])
        const all = await store.events.read(runId)
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
        expect(all.slice(3).map((e) => (e.data as { message: string }).message)).toEqual([
          '4',
          '5',
          '6',
          '7',
          '8',
          '9',
        ])
      })

      it('accepts a commit without events and keeps the last seq', async () => {
        const { runId, commit } = await createRun()
        const stored = await store.commit({
          runId,
          tasks: [buildTaskState(runId, 'a', 0, { status: 'queued', queuedAt: isoAt(1) })],
          events: [],
        })
        expect(stored).toEqual([])
        expect((await store.tasks.get(runId, 'a'))?.status).toBe('queued')
        expect((await store.runs.get(runId))?.lastSeq).toBe(3)
        expect(await store.runs.get(runId)).toEqual({ ...commit.run, lastSeq: 3 })
        expect((await store.commit({ runId, events: [logEvent('next')] }))[0]!.seq).toBe(4)
      })

      it('refuses a second create of the same run with `conflict` and leaves the first intact', async () => {
        const { runId } = await createRun({ name: 'original' })
        const before = await snapshot(runId)
        const again = buildCreateCommit(runId, { name: 'impostor', taskIds: ['x', 'y', 'z'] })
        await expectWeftError(store.commit(again), 'conflict')
        expect(await snapshot(runId)).toEqual(before)
      })

      it('refuses a commit to an unknown run with `run_not_found` and creates nothing', async () => {
        const runId = newRunId()
        const spec = buildRunSpec()
        await expectWeftError(
          store.commit({
            runId,
            run: buildRunSummary(runId, spec),
            tasks: [buildTaskState(runId, 'a', 0)],
            events: [logEvent('orphan')],
          }),
          'run_not_found',
        )
        expect(await store.runs.get(runId)).toBeUndefined()
        expect(await store.runs.getSpec(runId)).toBeUndefined()
        expect(await store.tasks.list(runId)).toEqual([])
        expect(await store.events.read(runId)).toEqual([])
        expect(await store.events.query({})).toEqual([])
        expect((await store.runs.list()).items).toEqual([])
      })

      it('applies a commit whose expectLastSeq matches', async () => {
        const { runId } = await createRun()
        const stored = await store.commit({ runId, expectLastSeq: 3, events: [logEvent('ok')] })
        expect(stored.map((e) => e.seq)).toEqual([4])
        const next = await store.commit({ runId, expectLastSeq: 4, events: [] })
        expect(next).toEqual([])
      })

      it('refuses an expectLastSeq mismatch with `conflict` and writes NOTHING (atomicity)', async () => {
        const { runId, commit } = await createRun()
        const before = await snapshot(runId)
        const spec = buildRunSpec({ name: 'changed', taskIds: ['a', 'b', 'c'] })
        const changed: Commit = {
          runId,
          expectLastSeq: 2,
          spec,
          run: { ...commit.run!, status: 'running', name: 'changed', updatedAt: isoAt(5) },
          tasks: [
            buildTaskState(runId, 'a', 0, { status: 'running', attempt: 1 }),
            buildTaskState(runId, 'c', 2, { status: 'queued' }),
          ],
          events: [
            withTs({ type: 'run.started', data: { maxParallelism: 2, mode: 'eager' } }, isoAt(5)),
            logEvent('x'),
          ],
        }
        await expectWeftError(store.commit(changed), 'conflict')
        await expectWeftError(store.commit({ ...changed, expectLastSeq: 4 }), 'conflict')
        expect(await snapshot(runId)).toEqual(before)
        expect(await store.events.query({})).toEqual(before.events)

        // The same commit with the right expectation goes through, with the seqs it would have had.
        const stored = await store.commit({ ...changed, expectLastSeq: 3 })
        expect(stored.map((e) => e.seq)).toEqual([4, 5])
        expect((await store.runs.get(runId))?.status).toBe('running')
      })

      it('sets run.lastSeq in the stored summary to the last event seq', async () => {
        const { runId, commit } = await createRun()
        expect((await store.runs.get(runId))?.lastSeq).toBe(3)
        // Whatever lastSeq the caller sends, the store's own count wins.
        await store.commit({
          runId,
          run: { ...commit.run!, lastSeq: 999 },
          events: [logEvent('a'), logEvent('b')],
        })
        expect((await store.runs.get(runId))?.lastSeq).toBe(5)
        // A commit without a summary still moves the stored summary's lastSeq.
        await store.commit({ runId, events: [logEvent('c')] })
        const summary = await store.runs.get(runId)
        expect(summary?.lastSeq).toBe(6)
        expect(summary).toEqual({ ...commit.run, lastSeq: 6 })
        const listed = (await store.runs.list()).items[0]
        expect(listed?.lastSeq).toBe(6)
      })

      it('replaces the summary with each commit that carries one', async () => {
        const { runId, commit } = await createRun()
        const running: RunSummary = {
          ...commit.run!,
          status: 'running',
          startedAt: isoAt(1),
          updatedAt: isoAt(1),
        }
        await store.commit({
          runId,
          run: running,
          events: [withTs({ type: 'run.started', data: { maxParallelism: 1, mode: 'eager' } }, isoAt(1))],
        })
        expect(await store.runs.get(runId)).toEqual({ ...running, lastSeq: 4 })
        const done: RunSummary = {
          ...running,
          status: 'succeeded',
          completedAt: isoAt(2),
          updatedAt: isoAt(2),
          outputs: { b: { ok: true } },
          usage: {
            inputTokens: 10,
            outputTokens: 20,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            reasoningTokens: 0,
            costUsd: 0.0125,
          },
        }
        await store.commit({ runId, run: done, events: [] })
        expect(await store.runs.get(runId)).toEqual({ ...done, lastSeq: 4 })
      })

      it('replaces the spec when a commit carries one', async () => {
        const { runId } = await createRun()
        const grown = buildRunSpec({ taskIds: ['a', 'b', 'late'] })
        await store.commit({
          runId,
          spec: grown,
          tasks: [buildTaskState(runId, 'late', 2, { needs: ['b'] })],
          events: [
            withTs(
              { type: 'task.added', taskId: 'late', data: { needs: ['b'], priority: 50, dynamic: true } },
              isoAt(3),
            ),
          ],
        })
        expect(await store.runs.getSpec(runId)).toEqual(grown)
        expect((await store.tasks.list(runId)).map((t) => t.taskId)).toEqual(['a', 'b', 'late'])
      })

      it('upserts tasks by id and lists them ordered by `order`', async () => {
        const runId = newRunId()
        const spec = buildRunSpec({ taskIds: ['first', 'second', 'third', 'fourth'] })
        // Written out of order on purpose: listing order is `order`, not insertion order.
        await store.commit({
          runId,
          create: { spec },
          run: buildRunSummary(runId, spec),
          tasks: [buildTaskState(runId, 'third', 2), buildTaskState(runId, 'first', 0)],
          events: [],
        })
        await store.commit({
          runId,
          tasks: [buildTaskState(runId, 'fourth', 3), buildTaskState(runId, 'second', 1)],
          events: [],
        })
        expect((await store.tasks.list(runId)).map((t) => t.taskId)).toEqual([
          'first',
          'second',
          'third',
          'fourth',
        ])

        const finished = buildTaskState(runId, 'second', 1, {
          status: 'succeeded',
          attempt: 2,
          startedAt: isoAt(1),
          completedAt: isoAt(2),
          output: { answer: 42 },
          text: 'forty-two',
          sessionId: 'sess-1',
          usage: {
            inputTokens: 1,
            outputTokens: 2,
            cacheReadTokens: 3,
            cacheWriteTokens: 4,
            reasoningTokens: 5,
          },
        })
        await store.commit({ runId, tasks: [finished], events: [] })
        const tasks = await store.tasks.list(runId)
        expect(tasks).toHaveLength(4)
        expect(tasks[1]).toEqual(finished)
        expect(await store.tasks.get(runId, 'second')).toEqual(finished)
        // Upsert replaces the whole state: fields absent from the new state are gone.
        const reset = buildTaskState(runId, 'second', 1, { status: 'pending' })
        await store.commit({ runId, tasks: [reset], events: [] })
        expect(await store.tasks.get(runId, 'second')).toEqual(reset)
      })

      it('keeps tasks and events of different runs apart', async () => {
        const one = await createRun({ taskIds: ['a'] })
        const two = await createRun({ taskIds: ['a'] })
        await store.commit({
          runId: one.runId,
          tasks: [buildTaskState(one.runId, 'a', 0, { status: 'running' })],
          events: [logEvent('one')],
        })
        expect((await store.tasks.get(two.runId, 'a'))?.status).toBe('pending')
        expect((await store.events.read(two.runId)).map((e) => e.seq)).toEqual([1, 2])
        expect((await store.events.read(one.runId)).map((e) => e.seq)).toEqual([1, 2, 3])
      })

      it('serialises concurrent commits to one run: seqs stay gapless and distinct', async () => {
        const { runId } = await createRun()
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.commit({ runId, events: [logEvent(`c${i}-0`), logEvent(`c${i}-1`)] }),
          ),
        )
        const seqs = results
          .flat()
          .map((e) => e.seq)
          .sort((a, b) => a - b)
        expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 4))
        for (const r of results) expect(r[1]!.seq).toBe(r[0]!.seq + 1)
        const all = await store.events.read(runId)
        expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1))
        expect((await store.runs.get(runId))?.lastSeq).toBe(23)
      })

      it('lets exactly one of several concurrent commits with the same expectLastSeq win', async () => {
        const { runId } = await createRun()
        const outcomes = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) =>
            store.commit({ runId, expectLastSeq: 3, events: [logEvent(`resume ${i}`)] }),
          ),
        )
        const won = outcomes.filter((o) => o.status === 'fulfilled')
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        expect(won).toHaveLength(1)
        expect(lost).toHaveLength(4)
        for (const l of lost) expect(l.reason).toMatchObject({ name: 'WeftError', code: 'conflict' })
        expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
      })

      it('does not mix up concurrent commits to different runs', async () => {
        const runs = await Promise.all(Array.from({ length: 5 }, (_, i) => createRun({ name: `run-${i}` })))
        await Promise.all(
          Array.from({ length: 8 }, (_, round) =>
            runs.map(({ runId }, i) =>
              store.commit({
                runId,
                tasks: [buildTaskState(runId, 'a', 0, { status: 'running', attempt: round + 1 })],
                events: [logEvent(`run-${i} round-${round}`)],
              }),
            ),
          ).flat(),
        )
        for (const [i, { runId }] of runs.entries()) {
          const events = await store.events.read(runId)
          expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, k) => k + 1))
          expect(events.every((e) => e.runId === runId)).toBe(true)
          const messages = events.slice(3).map((e) => (e.data as { message: string }).message)
          expect(messages.every((m) => m.startsWith(`run-${i} `))).toBe(true)
          expect(new Set(messages).size).toBe(8)
          const summary = await store.runs.get(runId)
          expect(summary).toMatchObject({ name: `run-${i}`, lastSeq: 11 })
          expect((await store.tasks.get(runId, 'a'))?.status).toBe('running')
        }
      })
    })

    describe('runs.list', () => {
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
        expect(keys(all)).toEqual(
          keys([...(await store.events.read(one)), ...(await store.events.read(two))]),
        )
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

    describe('signals', () => {
      it('starts at lastId 0 and numbers signals upwards', async () => {
        expect(await store.signals.lastId()).toBe(0)
        const a = await store.signals.send({ runId: 'run_A', kind: 'pause' })
        const b = await store.signals.send({ runId: 'run_B', kind: 'cancel', data: 'because' })
        expect(a).toMatchObject({ runId: 'run_A', kind: 'pause' })
        expect(a.data).toBeUndefined()
        expect(Number.isInteger(a.id) && a.id > 0).toBe(true)
        expect(b.id).toBeGreaterThan(a.id)
        expect(Number.isNaN(Date.parse(a.createdAt))).toBe(false)
        expect(await store.signals.lastId()).toBe(b.id)
      })

      it('receives signals of the given runs after an id, oldest first', async () => {
        const start = await store.signals.lastId()
        const s1 = await store.signals.send({ runId: 'run_A', kind: 'pause' })
        const s2 = await store.signals.send({ runId: 'run_B', kind: 'pause' })
        const s3 = await store.signals.send({
          runId: 'run_A',
          kind: 'resume',
          data: { token: 'tok_1', input: { ok: true, n: [1, 2] } },
        })
        const s4 = await store.signals.send({ runId: 'run_C', kind: 'cancel', data: null })

        expect(await store.signals.receive(['run_A'], start)).toEqual([s1, s3])
        expect(await store.signals.receive(['run_A', 'run_C'], s1.id)).toEqual([s3, s4])
        expect(await store.signals.receive(['run_A', 'run_B', 'run_C'], start)).toEqual([s1, s2, s3, s4])
        expect(await store.signals.receive(['run_A'], s3.id)).toEqual([])
        expect(await store.signals.receive([], start)).toEqual([])
        expect(await store.signals.receive(['run_Z'], start)).toEqual([])

        const [resume] = await store.signals.receive(['run_A'], s1.id)
        expect(resume!.data).toEqual({ token: 'tok_1', input: { ok: true, n: [1, 2] } })
        expect((await store.signals.receive(['run_C'], start))[0]!.data).toBeNull()
        expect(await store.signals.lastId()).toBe(s4.id)
      })
    })

    describe('leases', () => {
      const LONG = 60_000

      /** The lease's expiry, checked to be `ttlMs` after a moment between `before` and now. */
      function expectExpiry(lease: RunLease, before: number, ttlMs: number) {
        const at = Date.parse(lease.expiresAt)
        expect(Number.isNaN(at), `expiresAt ${lease.expiresAt} is not an ISO time`).toBe(false)
        // A little slack for stores whose clock is not this process's (a database server's).
        expect(at).toBeGreaterThanOrEqual(before + ttlMs - CLOCK_SLACK_MS)
        expect(at).toBeLessThanOrEqual(Date.now() + ttlMs + CLOCK_SLACK_MS)
      }

      it('acquires a free lease and reports it; get returns it', async () => {
        const { runId } = await createRun()
        expect(await store.leases.get(runId)).toBeUndefined()
        const before = Date.now()
        const taken = await store.leases.acquire(runId, 'owner-a', LONG)
        expect(taken.acquired).toBe(true)
        expect(taken.lease).toMatchObject({ runId, owner: 'owner-a' })
        expectExpiry(taken.lease, before, LONG)
        expect(await store.leases.get(runId)).toEqual(taken.lease)
      })

      it('lets the holder acquire again, which extends its lease', async () => {
        const { runId } = await createRun()
        const first = await store.leases.acquire(runId, 'owner-a', 1_000)
        const before = Date.now()
        const again = await store.leases.acquire(runId, 'owner-a', LONG)
        expect(again.acquired).toBe(true)
        expect(again.lease.owner).toBe('owner-a')
        expectExpiry(again.lease, before, LONG)
        expect(Date.parse(again.lease.expiresAt)).toBeGreaterThan(Date.parse(first.lease.expiresAt))
        expect(await store.leases.get(runId)).toEqual(again.lease)
      })

      it('refuses another owner while the lease is unexpired and names the holder and its expiry', async () => {
        const { runId } = await createRun()
        const held = await store.leases.acquire(runId, 'owner-a', LONG)
        const refused = await store.leases.acquire(runId, 'owner-b', LONG)
        expect(refused.acquired).toBe(false)
        expect(refused.lease).toEqual(held.lease)
        // Refusal changes nothing: the holder and its expiry stay as they were.
        expect(await store.leases.get(runId)).toEqual(held.lease)
        expect(await store.leases.renew(runId, 'owner-b', LONG)).toBe(false)
        expect(await store.leases.get(runId)).toEqual(held.lease)
      })

      it('lets another owner take an expired lease; the old holder can then neither renew nor release it', async () => {
        const { runId } = await createRun()
        await store.leases.acquire(runId, 'owner-a', 50)
        await pause(80)
        const before = Date.now()
        const taken = await store.leases.acquire(runId, 'owner-b', LONG)
        expect(taken.acquired).toBe(true)
        expect(taken.lease).toMatchObject({ runId, owner: 'owner-b' })
        expectExpiry(taken.lease, before, LONG)

        expect(await store.leases.renew(runId, 'owner-a', LONG)).toBe(false)
        await store.leases.release(runId, 'owner-a')
        expect(await store.leases.get(runId)).toEqual(taken.lease)
        const back = await store.leases.acquire(runId, 'owner-a', LONG)
        expect(back).toEqual({ acquired: false, lease: taken.lease })
      })

      it('renews for the holder only', async () => {
        const { runId } = await createRun()
        const held = await store.leases.acquire(runId, 'owner-a', 1_000)
        const before = Date.now()
        expect(await store.leases.renew(runId, 'owner-a', LONG)).toBe(true)
        const renewed = await store.leases.get(runId)
        expect(renewed?.owner).toBe('owner-a')
        expectExpiry(renewed!, before, LONG)
        expect(Date.parse(renewed!.expiresAt)).toBeGreaterThan(Date.parse(held.lease.expiresAt))

        expect(await store.leases.renew(runId, 'owner-b', LONG)).toBe(false)
        expect(await store.leases.get(runId)).toEqual(renewed)
        // Renewing creates no lease where there is none.
        const { runId: free } = await createRun()
        expect(await store.leases.renew(free, 'owner-a', LONG)).toBe(false)
        expect(await store.leases.get(free)).toBeUndefined()
      })

      it('releases only for the holder; a released lease is free to take', async () => {
        const { runId } = await createRun()
        const held = await store.leases.acquire(runId, 'owner-a', LONG)
        await store.leases.release(runId, 'owner-b')
        expect(await store.leases.get(runId)).toEqual(held.lease)
        await store.leases.release(runId, 'owner-a')
        expect(await store.leases.get(runId)).toBeUndefined()
        // Releasing what nobody holds is not an error.
        await store.leases.release(runId, 'owner-a')
        const next = await store.leases.acquire(runId, 'owner-b', LONG)
        expect(next.acquired).toBe(true)
        expect(next.lease.owner).toBe('owner-b')
        expect(await store.leases.renew(runId, 'owner-a', LONG)).toBe(false)
      })

      it('lets exactly one of several owners acquiring at once win, and tells the others who did', async () => {
        const runIds = (await Promise.all(Array.from({ length: 5 }, () => createRun()))).map((r) => r.runId)
        const owners = ['owner-a', 'owner-b', 'owner-c', 'owner-d']
        const results = await Promise.all(
          runIds.map((runId) => Promise.all(owners.map((owner) => store.leases.acquire(runId, owner, LONG)))),
        )
        for (const [i, perOwner] of results.entries()) {
          const winners = perOwner.filter((r) => r.acquired)
          expect(winners).toHaveLength(1)
          const winner = winners[0]!.lease
          expect(winner.runId).toBe(runIds[i])
          for (const lost of perOwner.filter((r) => !r.acquired)) expect(lost.lease).toEqual(winner)
          expect(await store.leases.get(runIds[i]!)).toEqual(winner)
        }
      })

      it('keeps the leases of different runs independent', async () => {
        const one = (await createRun()).runId
        const two = (await createRun()).runId
        const a = await store.leases.acquire(one, 'owner-a', LONG)
        expect(await store.leases.get(two)).toBeUndefined()
        const b = await store.leases.acquire(two, 'owner-b', LONG)
        expect(b.acquired).toBe(true)
        expect((await store.leases.acquire(two, 'owner-a', LONG)).acquired).toBe(false)
        await store.leases.release(one, 'owner-a')
        expect(await store.leases.get(one)).toBeUndefined()
        expect(await store.leases.get(two)).toEqual(b.lease)
        expect(await store.leases.renew(two, 'owner-b', LONG)).toBe(true)
        expect(a.lease.runId).toBe(one)
      })
    })

    describe('artifacts', () => {
      it('refuses names that could point outside the run', async () => {
        const { runId } = await createRun()
        for (const name of ['', '/etc/passwd', '../escape.txt', 'a/../../b', 'a//b', './x']) {
          await expectWeftError(store.artifacts.put({ runId, name, data: utf8('x') }), 'input_invalid')
        }
        expect(await store.artifacts.list(runId)).toEqual([])
      })

      it('round-trips text bytes and describes them', async () => {
        const { runId } = await createRun()
        const data = utf8('# Report\n\nAll good — 🧵\n')
        const before = Date.now()
        const ref = await store.artifacts.put({
          runId,
          taskId: 'a',
          name: 'report.md',
          contentType: 'text/markdown',
          data,
        })
        expect(ref).toMatchObject({
          runId,
          taskId: 'a',
          name: 'report.md',
          contentType: 'text/markdown',
          size: data.byteLength,
        })
        const created = Date.parse(ref.createdAt)
        expect(created).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS)
        expect(created).toBeLessThanOrEqual(Date.now() + CLOCK_SLACK_MS)

        const back = await store.artifacts.get(runId, 'report.md')
        expect(back?.ref).toEqual(ref)
        expectBytes(back?.data, data)
        expect(await store.artifacts.list(runId)).toEqual([ref])
      })

      it('round-trips binary, empty, large and partial-view data exactly', async () => {
        const { runId } = await createRun()
        // Every byte value, NULs and sequences that are not valid UTF-8.
        const binary = new Uint8Array([
          ...Array.from({ length: 256 }, (_, i) => i),
          0,
          0,
          0xff,
          0xfe,
          0x80,
          0xc3,
          0x28,
          0xed,
          0xa0,
          0x80,
        ])
        const empty = new Uint8Array(0)
        const large = pseudoRandomBytes(512 * 1024)
        // A view into a bigger buffer: only the viewed bytes are the artifact.
        const backing = pseudoRandomBytes(64, 7)
        const view = backing.subarray(10, 30)

        const refs = {
          binary: await store.artifacts.put({ runId, name: 'blob.bin', data: binary }),
          empty: await store.artifacts.put({
            runId,
            name: 'empty.txt',
            contentType: 'text/plain',
            data: empty,
          }),
          large: await store.artifacts.put({ runId, name: 'large.bin', data: large }),
          view: await store.artifacts.put({ runId, name: 'view.bin', data: view }),
        }
        expect(refs.binary.size).toBe(binary.byteLength)
        expect(refs.empty.size).toBe(0)
        expect(refs.large.size).toBe(large.byteLength)
        expect(refs.view.size).toBe(20)
        // Absent optional fields stay absent (not `null`).
        expect(refs.binary.taskId).toBeUndefined()
        expect(refs.binary.contentType).toBeUndefined()

        expectBytes((await store.artifacts.get(runId, 'blob.bin'))?.data, binary)
        expectBytes((await store.artifacts.get(runId, 'empty.txt'))?.data, empty)
        expectBytes((await store.artifacts.get(runId, 'large.bin'))?.data, large)
        expectBytes((await store.artifacts.get(runId, 'view.bin'))?.data, backing.slice(10, 30))
        const emptyBack = await store.artifacts.get(runId, 'empty.txt')
        expect(emptyBack?.ref).toEqual(refs.empty)
        expect((await store.artifacts.get(runId, 'blob.bin'))?.ref.taskId).toBeUndefined()
      })

      it('keeps its own copy: changing the bytes given or returned changes nothing stored', async () => {
        const { runId } = await createRun()
        const data = utf8('original')
        await store.artifacts.put({ runId, name: 'a.txt', data })
        data.fill(0x21)
        const first = await store.artifacts.get(runId, 'a.txt')
        expectBytes(first?.data, utf8('original'))
        first!.data.fill(0x3f)
        expectBytes((await store.artifacts.get(runId, 'a.txt'))?.data, utf8('original'))
      })

      it('replaces an artifact of the same name, description included', async () => {
        const { runId } = await createRun()
        await store.artifacts.put({
          runId,
          taskId: 'a',
          name: 'out.json',
          contentType: 'application/json',
          data: utf8('{"v":1}'),
        })
        const second = await store.artifacts.put({
          runId,
          taskId: 'b',
          name: 'out.json',
          data: utf8('second version'),
        })
        expect(second).toMatchObject({ runId, taskId: 'b', name: 'out.json', size: 14 })
        // Fields absent from the new put are gone, as with task upserts.
        expect(second.contentType).toBeUndefined()
        const back = await store.artifacts.get(runId, 'out.json')
        expect(back?.ref).toEqual(second)
        expectBytes(back?.data, utf8('second version'))
        expect(await store.artifacts.list(runId)).toEqual([second])
      })

      it('lists the artifacts of a run sorted by name, with names that contain folders', async () => {
        const { runId } = await createRun()
        const put = (name: string, text: string, extra: { taskId?: string; contentType?: string } = {}) =>
          store.artifacts.put({ runId, name, data: utf8(text), ...extra })
        // Put out of order on purpose.
        const z = await put('z.txt', 'last', { taskId: 'b', contentType: 'text/plain' })
        const deep = await put('out/deep/data.json', '[1,2,3]', { contentType: 'application/json' })
        const a = await put('a.bin', 'x')
        const report = await put('out/report.md', '# hi', { taskId: 'a', contentType: 'text/markdown' })
        const notes = await put('notes/résumé.txt', 'ünïcode')

        const listed = await store.artifacts.list(runId)
        expect(listed.map((r) => r.name)).toEqual([
          'a.bin',
          'notes/résumé.txt',
          'out/deep/data.json',
          'out/report.md',
          'z.txt',
        ])
        expect(listed).toEqual([a, notes, deep, report, z])
        expect(notes.size).toBe(utf8('ünïcode').byteLength)
        expectBytes((await store.artifacts.get(runId, 'out/deep/data.json'))?.data, utf8('[1,2,3]'))
        expectBytes((await store.artifacts.get(runId, 'notes/résumé.txt'))?.data, utf8('ünïcode'))
        // A folder is not an artifact.
        expect(await store.artifacts.get(runId, 'out')).toBeUndefined()
        expect(await store.artifacts.get(runId, 'out/deep')).toBeUndefined()
      })

      it('keeps artifacts of different runs apart', async () => {
        const one = (await createRun()).runId
        const two = (await createRun()).runId
        await store.artifacts.put({ runId: one, name: 'same.txt', data: utf8('one') })
        await store.artifacts.put({ runId: two, name: 'same.txt', data: utf8('two') })
        await store.artifacts.put({ runId: two, name: 'only-two.txt', data: utf8('2') })
        expectBytes((await store.artifacts.get(one, 'same.txt'))?.data, utf8('one'))
        expectBytes((await store.artifacts.get(two, 'same.txt'))?.data, utf8('two'))
        expect((await store.artifacts.list(one)).map((r) => r.name)).toEqual(['same.txt'])
        expect((await store.artifacts.list(two)).map((r) => r.name)).toEqual(['only-two.txt', 'same.txt'])
        expect(await store.artifacts.get(one, 'only-two.txt')).toBeUndefined()
      })

      it('answers "nothing" for unknown runs and names, and refuses a put to an unknown run', async () => {
        const { runId } = await createRun()
        expect(await store.artifacts.get(runId, 'nope.txt')).toBeUndefined()
        expect(await store.artifacts.list(runId)).toEqual([])
        const unknown = newRunId()
        expect(await store.artifacts.get(unknown, 'a.txt')).toBeUndefined()
        expect(await store.artifacts.list(unknown)).toEqual([])
        await expectWeftError(
          store.artifacts.put({ runId: unknown, name: 'a.txt', data: utf8('x') }),
          'run_not_found',
        )
        expect(await store.artifacts.list(unknown)).toEqual([])
        expect(await store.runs.get(unknown)).toBeUndefined()
        expect(await store.runs.getSpec(unknown)).toBeUndefined()
      })
    })

    describe('runs.delete', () => {
      /** A run with everything that can belong to a run: tasks, events, artifacts, signals, lease. */
      async function seedFullRun(name: string) {
        const { runId } = await createRun({ name })
        await store.commit({
          runId,
          tasks: [buildTaskState(runId, 'a', 0, { status: 'succeeded', output: { name } })],
          events: [logEvent(`${name} 1`, { taskId: 'a' }), logEvent(`${name} 2`)],
        })
        await store.artifacts.put({ runId, taskId: 'a', name: 'out/result.txt', data: utf8(name) })
        await store.artifacts.put({ runId, name: 'log.txt', data: utf8(`${name} log`) })
        const signal = await store.signals.send({ runId, kind: 'pause', data: { name } })
        await store.leases.acquire(runId, `owner-${name}`, 60_000)
        return { runId, signal }
      }

      /** Everything `seedFullRun` wrote, as the store reads it back. */
      async function everything(runId: string) {
        return {
          summary: await store.runs.get(runId),
          spec: await store.runs.getSpec(runId),
          tasks: await store.tasks.list(runId),
          events: await store.events.read(runId),
          queried: await store.events.query({ runId }),
          artifacts: await store.artifacts.list(runId),
          result: await store.artifacts.get(runId, 'out/result.txt'),
          signals: await store.signals.receive([runId], 0),
          lease: await store.leases.get(runId),
        }
      }

      it('deletes the given runs with everything that belongs to them, and nothing else', async () => {
        const one = await seedFullRun('one')
        const two = await seedFullRun('two')
        const keep = await seedFullRun('keep')
        const kept = await everything(keep.runId)
        expect(kept.artifacts).toHaveLength(2)
        expect(kept.signals).toHaveLength(1)
        expect(kept.lease?.owner).toBe('owner-keep')

        // Unknown ids are ignored and not counted.
        expect(await store.runs.delete([one.runId, newRunId(), two.runId])).toBe(2)

        for (const { runId } of [one, two]) {
          expect(await everything(runId)).toEqual({
            summary: undefined,
            spec: undefined,
            tasks: [],
            events: [],
            queried: [],
            artifacts: [],
            result: undefined,
            signals: [],
            lease: undefined,
          })
          expect(await store.tasks.get(runId, 'a')).toBeUndefined()
        }
        expect(await everything(keep.runId)).toEqual(kept)
        expect(ids(await store.runs.list())).toEqual([keep.runId])
        expect(await store.events.query({})).toEqual(kept.events)
        expect(await store.events.query({ taskId: 'a' })).toEqual(kept.events.filter((e) => e.taskId === 'a'))

        // Deleting again, nothing, or unknown ids deletes nothing.
        expect(await store.runs.delete([one.runId])).toBe(0)
        expect(await store.runs.delete([])).toBe(0)
        expect(await store.runs.delete([newRunId()])).toBe(0)
        expect(await everything(keep.runId)).toEqual(kept)
      })

      it('counts a run named twice once', async () => {
        const { runId } = await createRun()
        expect(await store.runs.delete([runId, runId])).toBe(1)
        expect(await store.runs.get(runId)).toBeUndefined()
      })

      it('never reuses the ids of deleted signals', async () => {
        const keep = await createRun()
        const doomed = await createRun()
        const early = await store.signals.send({ runId: keep.runId, kind: 'pause' })
        const last = await store.signals.send({ runId: doomed.runId, kind: 'cancel' })
        expect(await store.runs.delete([doomed.runId])).toBe(1)
        // A reader that already saw `last` must still see the next signal.
        const next = await store.signals.send({ runId: keep.runId, kind: 'resume' })
        expect(next.id).toBeGreaterThan(last.id)
        expect(await store.signals.receive([keep.runId], last.id)).toEqual([next])
        expect(await store.signals.receive([keep.runId], 0)).toEqual([early, next])
        expect(await store.signals.lastId()).toBe(next.id)
      })

      it('lets a deleted run id be created again, from scratch', async () => {
        const { runId } = await seedFullRun('old')
        expect(await store.runs.delete([runId])).toBe(1)
        const again = await createRun({ name: 'new', taskIds: ['x'] }, runId)
        expect(again.stored.map((e) => e.seq)).toEqual([1, 2])
        expect(await store.runs.get(runId)).toEqual({ ...again.commit.run, lastSeq: 2 })
        expect((await store.tasks.list(runId)).map((t) => t.taskId)).toEqual(['x'])
        expect(await store.events.read(runId)).toEqual(again.stored)
        expect(await store.artifacts.list(runId)).toEqual([])
        expect(await store.signals.receive([runId], 0)).toEqual([])
        expect(await store.leases.get(runId)).toBeUndefined()
        expect((await store.leases.acquire(runId, 'owner-new', 60_000)).acquired).toBe(true)
      })

      it('deletes runs while other runs are written to', async () => {
        const doomed = await Promise.all(Array.from({ length: 4 }, (_, i) => seedFullRun(`doomed-${i}`)))
        const busy = await Promise.all(Array.from({ length: 3 }, (_, i) => createRun({ name: `busy-${i}` })))
        const [deleted] = await Promise.all([
          store.runs.delete(doomed.map((d) => d.runId)),
          ...busy.flatMap(({ runId }) =>
            Array.from({ length: 3 }, (_, k) => store.commit({ runId, events: [logEvent(`write ${k}`)] })),
          ),
          ...busy.map(({ runId }) => store.artifacts.put({ runId, name: 'during.txt', data: utf8(runId) })),
        ])
        expect(deleted).toBe(4)
        expect(ids(await store.runs.list()).sort()).toEqual(busy.map((b) => b.runId).sort())
        for (const { runId } of busy) {
          expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
          expectBytes((await store.artifacts.get(runId, 'during.txt'))?.data, utf8(runId))
        }
        for (const { runId } of doomed) expect(await store.runs.getSpec(runId)).toBeUndefined()
      })
    })

    /**
     * Memory as the runtime uses it: a commit of a run writes its own `run:<id>` scope and agent
     * scopes (`agent:<name>`, shared by every run). What a commit of one run writes to ANOTHER
     * run's `run:` scope is left unspecified: a store that keeps a run's scope with the run (fs)
     * cannot make it atomic with the other run's own commits, and refuses it.
     */
    describe('memory', () => {
      type MemoryWrite = NonNullable<Commit['memory']>[number]
      const w = (scope: string, key: string, value: Json | null): MemoryWrite => ({ scope, key, value })
      /** A commit that only writes memory. */
      const remember = (runId: string, memory: MemoryWrite[]) => store.commit({ runId, events: [], memory })
      const entries = async (scope: string) =>
        (await store.memory.list(scope)).map((e): [string, Json] => [e.key, e.value])

      it('keeps what commits write, the creating commit included, with scope, key and time', async () => {
        const runId = newRunId()
        const scope = `run:${runId}`
        const before = Date.now()
        await store.commit({
          ...buildCreateCommit(runId),
          memory: [w(scope, 'plan', { steps: ['a', 'b'], done: false }), w('agent:writer', 'style', 'terse')],
        })
        const plan = await store.memory.get(scope, 'plan')
        expect(plan).toEqual({
          scope,
          key: 'plan',
          value: { steps: ['a', 'b'], done: false },
          updatedAt: expect.any(String),
        })
        // An ISO time, taken when the commit was made.
        expect(new Date(plan!.updatedAt).toISOString()).toBe(plan!.updatedAt)
        expect(Date.parse(plan!.updatedAt)).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS)
        expect(Date.parse(plan!.updatedAt)).toBeLessThanOrEqual(Date.now() + CLOCK_SLACK_MS)
        expect(await store.memory.get('agent:writer', 'style')).toMatchObject({
          scope: 'agent:writer',
          key: 'style',
          value: 'terse',
        })
        expect(await store.memory.list(scope)).toEqual([plan])

        // A memory-only commit moves no seq.
        await remember(runId, [w(scope, 'notes', 'n')])
        expect((await store.runs.get(runId))?.lastSeq).toBe(3)
        expect(await store.events.read(runId)).toHaveLength(3)
        expect(await entries(scope)).toEqual([
          ['notes', 'n'],
          ['plan', { steps: ['a', 'b'], done: false }],
        ])
      })

      it('lists a scope sorted by key, by UTF-16 code units like artifact names', async () => {
        const { runId } = await createRun()
        const scope = `run:${runId}`
        // Written out of order on purpose. '🧵' (a surrogate pair) sorts before '～' (U+FF5E) in
        // UTF-16, after it by code points or UTF-8 bytes.
        const keys = ['b', '～', 'a.b', '🧵', 'B', '9', 'ä', '10', 'a']
        await remember(
          runId,
          keys.map((key, i) => w(scope, key, i)),
        )
        const listed = await store.memory.list(scope)
        expect(listed.map((e) => e.key)).toEqual(['10', '9', 'B', 'a', 'a.b', 'b', 'ä', '🧵', '～'])
        for (const e of listed) {
          expect(e.scope).toBe(scope)
          expect(e.value).toBe(keys.indexOf(e.key))
        }
      })

      it('deletes a key with a null value and applies the writes of one commit in order', async () => {
        const { runId } = await createRun()
        const scope = `run:${runId}`
        await remember(runId, [
          w(scope, 'x', 1),
          w(scope, 'x', 2),
          w(scope, 'gone', 'soon'),
          w(scope, 'gone', null),
          w(scope, 'y', 'keep'),
        ])
        expect(await entries(scope)).toEqual([
          ['x', 2],
          ['y', 'keep'],
        ])
        // Falsy values are values: only null deletes.
        await remember(runId, [
          w(scope, 'zero', 0),
          w(scope, 'false', false),
          w(scope, 'empty', ''),
          w(scope, 'list', []),
          w(scope, 'object', {}),
        ])
        expect(await entries(scope)).toEqual([
          ['empty', ''],
          ['false', false],
          ['list', []],
          ['object', {}],
          ['x', 2],
          ['y', 'keep'],
          ['zero', 0],
        ])
        // Deleting a key that is not there is no error.
        await remember(runId, [w(scope, 'never', null), w(scope, 'x', null)])
        expect(await store.memory.get(scope, 'x')).toBeUndefined()
        expect(await store.memory.get(scope, 'never')).toBeUndefined()
        // Deleting every key empties the scope; a deleted key can be set again.
        await remember(
          runId,
          (await store.memory.list(scope)).map((e) => w(scope, e.key, null)),
        )
        expect(await store.memory.list(scope)).toEqual([])
        await remember(runId, [w(scope, 'x', 'back')])
        expect(await entries(scope)).toEqual([['x', 'back']])
      })

      it('answers "nothing" for unknown scopes and keys instead of throwing', async () => {
        expect(await store.memory.get('agent:nobody', 'k')).toBeUndefined()
        expect(await store.memory.list('agent:nobody')).toEqual([])
        const unknown = newRunId()
        expect(await store.memory.get(`run:${unknown}`, 'k')).toBeUndefined()
        expect(await store.memory.list(`run:${unknown}`)).toEqual([])

        const { runId } = await createRun()
        expect(await store.memory.list(`run:${runId}`)).toEqual([])
        await remember(runId, [w('agent:some', 'k', 'v')])
        expect(await store.memory.get('agent:some', 'other')).toBeUndefined()
        // Scopes match exactly: no prefix, case folding or trimming.
        for (const scope of ['agent:Some', 'agent:som', 'agent:some ', 'agent:some:k', 'agent', 'some']) {
          expect(await store.memory.list(scope)).toEqual([])
          expect(await store.memory.get(scope, 'k')).toBeUndefined()
        }
      })

      it('writes memory atomically with the rest of the commit: a refused commit writes none of it', async () => {
        const { runId, commit } = await createRun()
        const scope = `run:${runId}`
        await remember(runId, [w(scope, 'kept', 'old'), w('agent:atomic', 'kept', 'old')])
        const before = {
          agent: await store.memory.list('agent:atomic'),
          snapshot: await snapshot(runId),
        }
        expect(before.snapshot.memory).toHaveLength(1)
        const refused: Commit = {
          runId,
          expectLastSeq: 2,
          run: { ...commit.run!, status: 'running', updatedAt: isoAt(5) },
          tasks: [buildTaskState(runId, 'a', 0, { status: 'running', attempt: 1 })],
          events: [logEvent('x')],
          memory: [
            w(scope, 'kept', null),
            w(scope, 'new', 1),
            w('agent:atomic', 'kept', 'changed'),
            w('agent:atomic', 'new', 1),
            w('agent:untouched', 'k', 'v'),
          ],
        }
        await expectWeftError(store.commit(refused), 'conflict')
        // A commit to a run that does not exist, and a second create, write no memory either.
        await expectWeftError(
          store.commit({ runId: newRunId(), events: [], memory: [w('agent:untouched', 'k', 'v')] }),
          'run_not_found',
        )
        await expectWeftError(
          store.commit({
            ...buildCreateCommit(runId),
            memory: [w(scope, 'new', 1), w('agent:untouched', 'k', 'v')],
          }),
          'conflict',
        )
        expect(await snapshot(runId)).toEqual(before.snapshot)
        expect(await store.memory.list('agent:atomic')).toEqual(before.agent)
        expect(await store.memory.list('agent:untouched')).toEqual([])

        // The same commit with the right expectation writes all of it.
        await store.commit({ ...refused, expectLastSeq: 3 })
        expect(await entries(scope)).toEqual([['new', 1]])
        expect(await entries('agent:atomic')).toEqual([
          ['kept', 'changed'],
          ['new', 1],
        ])
        expect(await entries('agent:untouched')).toEqual([['k', 'v']])
        expect((await store.runs.get(runId))?.status).toBe('running')
      })

      it('keeps scopes apart, and shares an agent scope between the commits of every run', async () => {
        const one = (await createRun()).runId
        const two = (await createRun()).runId
        await remember(one, [
          w(`run:${one}`, 'k', 'one'),
          w('agent:shared', 'from-one', 1),
          w('agent:shared', 'both', 1),
        ])
        await remember(two, [
          w(`run:${two}`, 'k', 'two'),
          w('agent:shared', 'from-two', 2),
          w('agent:shared', 'both', 2),
        ])
        expect(await entries(`run:${one}`)).toEqual([['k', 'one']])
        expect(await entries(`run:${two}`)).toEqual([['k', 'two']])
        expect(await entries('agent:shared')).toEqual([
          ['both', 2],
          ['from-one', 1],
          ['from-two', 2],
        ])
        await remember(one, [w('agent:shared', 'from-two', null)])
        expect(await entries('agent:shared')).toEqual([
          ['both', 2],
          ['from-one', 1],
        ])

        // Scope names are kept exactly, whatever characters they hold (a store that names files
        // after scopes must not let them collide or leave their directory).
        const odd = [
          'agent:Shared',
          'agent:shared ',
          'agent:../../escape',
          'agent:with/slash\\and\\backslash',
          'agent:ünï 🧵',
          'agent:a:b',
          `agent:${'long'.repeat(100)}`,
        ]
        await remember(
          one,
          odd.map((scope, i) => w(scope, 'i', i)),
        )
        for (const [i, scope] of odd.entries()) {
          expect(await store.memory.list(scope)).toEqual([
            { scope, key: 'i', value: i, updatedAt: expect.any(String) },
          ])
        }
        expect(await entries('agent:shared')).toEqual([
          ['both', 2],
          ['from-one', 1],
        ])
      })

      it('changes updatedAt when a key is written again, even with the same value', async () => {
        const { runId } = await createRun()
        await remember(runId, [w('agent:clock', 'a', 1), w('agent:clock', 'b', 1)])
        const [a1, b1] = await store.memory.list('agent:clock')
        await pause(15)
        await remember(runId, [w('agent:clock', 'a', 1)])
        const [a2, b2] = await store.memory.list('agent:clock')
        expect(a2!.value).toBe(1)
        expect(Date.parse(a2!.updatedAt)).toBeGreaterThan(Date.parse(a1!.updatedAt))
        expect(b2).toEqual(b1)
      })

      it('removes the run scope of deleted runs with runs.delete, and keeps agent scopes', async () => {
        const doomed = (await createRun()).runId
        const keep = (await createRun()).runId
        await remember(doomed, [w(`run:${doomed}`, 'k', 'doomed'), w('agent:survivor', 'from-doomed', true)])
        await remember(keep, [w(`run:${keep}`, 'k', 'keep'), w('agent:survivor', 'from-keep', true)])
        expect(await store.runs.delete([doomed])).toBe(1)
        expect(await store.memory.list(`run:${doomed}`)).toEqual([])
        expect(await store.memory.get(`run:${doomed}`, 'k')).toBeUndefined()
        expect(await entries(`run:${keep}`)).toEqual([['k', 'keep']])
        // Agent memory outlives the runs that wrote it.
        expect(await entries('agent:survivor')).toEqual([
          ['from-doomed', true],
          ['from-keep', true],
        ])
        // A run created again under a deleted id starts with empty memory.
        await createRun({}, doomed)
        expect(await store.memory.list(`run:${doomed}`)).toEqual([])
      })

      it('loses no write of concurrent commits of several runs to one agent scope', async () => {
        const runs = await Promise.all(Array.from({ length: 4 }, () => createRun()))
        await Promise.all(
          runs.flatMap(({ runId }, r) =>
            Array.from({ length: 3 }, (_, c) =>
              remember(runId, [w('agent:busy', `r${r}-c${c}`, c), w(`run:${runId}`, `c${c}`, r)]),
            ),
          ),
        )
        const expected = runs.flatMap((_, r) => [0, 1, 2].map((c) => `r${r}-c${c}`)).sort()
        expect((await store.memory.list('agent:busy')).map((e) => e.key)).toEqual(expected)
        for (const [r, { runId }] of runs.entries()) {
          expect(await entries(`run:${runId}`)).toEqual([
            ['c0', r],
            ['c1', r],
            ['c2', r],
          ])
        }
      })
    })

    describe('data fidelity', () => {
      const tricky: Json = {
        nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] } },
        unicode: 'héllo wörld — 你好 — こんにちは — שלום — 🧵🚀👩🏽‍💻 — e\u0301',
        escapes: 'quote " backslash \\ newline \n tab \t cr \r slash / and \u2028\u2029',
        numbers: [0, -1, 1.5, 0.1, 1e21, 2 ** 53 - 1, -(2 ** 53 - 1), 1e-7],
        booleans: [true, false],
        empty: { object: {}, array: [], string: '' },
        nullValue: null,
        'key with spaces & ünïcode 🔑': 'v',
        sqlish: "'; DROP TABLE runs; --",
      }

      it('round-trips nested JSON and unicode in spec, summary, tasks, events and signals', async () => {
        const runId = newRunId()
        const spec = buildRunSpec({
          name: 'fidélité 🧵',
          tags: ['ünï', 'tag with space'],
          inputs: { doc: tricky },
        })
        const summary = buildRunSummary(runId, spec, {
          outputs: { result: tricky },
          error: { code: 'x', message: '✗ failed', details: tricky },
        })
        const task = buildTaskState(runId, 'a', 0, {
          status: 'succeeded',
          output: tricky,
          text: (tricky as { unicode: string }).unicode,
        })
        const stored = await store.commit({
          runId,
          create: { spec },
          run: summary,
          tasks: [task],
          events: [
            withTs({
              type: 'task.succeeded',
              taskId: 'a',
              attempt: 1,
              data: { output: tricky, durationMs: 12 },
            }),
            withTs({
              type: 'tool.finished',
              taskId: 'a',
              data: { toolId: 't1', name: 'grep', output: tricky },
            }),
          ],
        })
        expect(await store.runs.getSpec(runId)).toEqual(spec)
        expect(await store.runs.get(runId)).toEqual({ ...summary, lastSeq: 2 })
        expect(await store.tasks.get(runId, 'a')).toEqual(task)
        const events = await store.events.read(runId)
        expect(events).toEqual(stored)
        expect(events[0]!.data).toEqual({ output: tricky, durationMs: 12 })
        expect(events[1]!.data).toEqual({ toolId: 't1', name: 'grep', output: tricky })
        expect(ids(await store.runs.list({ tag: 'ünï' }))).toEqual([runId])
        expect(ids(await store.runs.list({ name: 'fidélité 🧵' }))).toEqual([runId])

        const signal = await store.signals.send({ runId, kind: 'resume', data: tricky })
        expect((await store.signals.receive([runId], 0))[0]).toEqual(signal)
        expect(signal.data).toEqual(tricky)
      })

      it('round-trips nested JSON and unicode in memory values, keys and scopes', async () => {
        const { runId } = await createRun()
        const scope = `run:${runId}`
        const values: [string, Json][] = [
          ['tricky', tricky],
          ['text', (tricky as { unicode: string }).unicode],
          ['numbers', (tricky as { numbers: Json }).numbers],
          ['nulls inside', { a: null, b: [null, { c: null }] }],
          ['key with spaces & ünïcode 🔑 "quoted"', 'v'],
          ["'; DROP TABLE memory; --", 'x'],
          ['__proto__', { polluted: true }],
          ['constructor', 'c'],
        ]
        await store.commit({
          runId,
          events: [],
          memory: [
            ...values.map(([key, value]) => ({ scope, key, value })),
            { scope: 'agent:fidélité 🧵', key: 'doc', value: tricky },
          ],
        })
        for (const [key, value] of values) {
          const entry = await store.memory.get(scope, key)
          expect(entry?.value, key).toEqual(value)
          expect(entry?.key).toBe(key)
        }
        const listed = await store.memory.list(scope)
        expect(listed.map((e) => e.key)).toEqual(values.map(([key]) => key).sort())
        expect(listed.find((e) => e.key === '__proto__')?.value).toEqual({ polluted: true })
        expect((await store.memory.get('agent:fidélité 🧵', 'doc'))?.value).toEqual(tricky)
        // Nothing leaked into plain objects.
        expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
      })

      it('round-trips large outputs exactly', async () => {
        const { runId } = await createRun()
        const big = 'lorem ipsum 🧵 '.repeat(150_000) // ~2.4 MB of UTF-16, with astral characters
        const rows = Array.from({ length: 5_000 }, (_, i) => ({
          i,
          name: `row ${i}`,
          tags: ['x', 'y'],
          score: i / 7,
        }))
        const task = buildTaskState(runId, 'a', 0, { status: 'succeeded', output: { rows }, text: big })
        const [event] = await store.commit({
          runId,
          tasks: [task],
          events: [
            withTs({
              type: 'task.succeeded',
              taskId: 'a',
              attempt: 1,
              data: { output: { rows }, text: big, durationMs: 1 },
            }),
          ],
        })
        const back = await store.tasks.get(runId, 'a')
        expect(back?.text?.length).toBe(big.length)
        expect(back?.text === big).toBe(true)
        expect(back).toEqual(task)
        const [read] = await store.events.read(runId, { afterSeq: event!.seq - 1 })
        expect(read).toEqual(event)
        expect((read!.data as { text: string }).text === big).toBe(true)
      })
    })

    describe('close', () => {
      it('can be closed twice', async () => {
        await store.close()
        await store.close()
        // afterEach closes a third time.
      })
    })
  })
}

const ids = (page: { items: RunSummary[] }) => page.items.map((r) => r.id)

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * How far a store's timestamps (lease expiry, artifact creation) may stray from this process's
 * clock: a store may take the time from a database server rather than from `Date.now()`.
 */
const CLOCK_SLACK_MS = 1000

/** Same bytes, as a `Uint8Array` (a `Buffer` is one too); reports the first difference. */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual, 'expected bytes, got nothing').toBeInstanceOf(Uint8Array)
  expect(actual!.byteLength).toBe(expected.byteLength)
  const first = expected.findIndex((b, i) => actual![i] !== b)
  expect(first, `bytes differ from index ${first}`).toBe(-1)
}

/** Checks the error by name and code, not `instanceof`: a store may load another copy of core. */
async function expectWeftError(promise: Promise<unknown>, code: string): Promise<void> {
  const outcome = await promise.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  )
  expect(outcome.ok, `expected the call to fail with WeftError '${code}'`).toBe(false)
  if (!outcome.ok) expect(outcome.err).toMatchObject({ name: 'WeftError', code })
}
