import {
  type Commit,
  newRunId,
  RunSpecSchema,
  type RunSummary,
  RunSummarySchema,
  type Store,
  TaskStateSchema,
  WeftEventSchema,
} from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  buildCreateCommit,
  buildRunSpec,
  buildRunSummary,
  buildTaskState,
  isoAt,
  logEvent,
  withTs,
} from '../fixtures.js'
import { expectWeftError, type StoreSuite } from './helpers.js'
import { concurrentCommitTests } from './run-log-commit-concurrency.js'

/** The run log, required of every store: the one write path, `commit`. */
export function describeRunLogCommit(suite: StoreSuite): void {
  const { createRun, snapshot } = suite
  describe('commit', () => {
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

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

    concurrentCommitTests(suite)
  })
}
