import { hasCapability, newRunId, type Store } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  buildRunSpec,
  buildRunSummary,
  buildTaskState,
  logEvent,
  TRICKY_JSON,
  utf8,
  withTs,
} from '../fixtures.js'
import { expectBytes, ids, type StoreSuite } from './helpers.js'

/** The run log, required of every store: deleting runs, data fidelity, closing. */
export function describeRunLogDelete(suite: StoreSuite): void {
  const { createRun } = suite
  describe('runs.delete', () => {
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

    /** A run with everything that can belong to a run: tasks, events, artifacts, signals, lease. */
    async function seedFullRun(name: string) {
      const { runId } = await createRun({ name })
      await store.commit({
        runId,
        tasks: [buildTaskState(runId, 'a', 0, { status: 'succeeded', output: { name } })],
        events: [logEvent(`${name} 1`, { taskId: 'a' }), logEvent(`${name} 2`)],
      })
      // The optional parts, where the store has them: a deleted run takes them along.
      if (hasCapability(store, 'artifacts')) {
        await store.artifacts.put({ runId, taskId: 'a', name: 'out/result.txt', data: utf8(name) })
        await store.artifacts.put({ runId, name: 'log.txt', data: utf8(`${name} log`) })
      }
      const signal = hasCapability(store, 'signals')
        ? await store.signals.send({ runId, kind: 'pause', data: { name } })
        : undefined
      if (hasCapability(store, 'leases')) await store.leases.acquire(runId, `owner-${name}`, 60_000)
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
        artifacts: hasCapability(store, 'artifacts') ? await store.artifacts.list(runId) : [],
        result: hasCapability(store, 'artifacts')
          ? await store.artifacts.get(runId, 'out/result.txt')
          : undefined,
        signals: hasCapability(store, 'signals') ? await store.signals.receive([runId], 0) : [],
        lease: hasCapability(store, 'leases') ? await store.leases.get(runId) : undefined,
      }
    }

    it('deletes the given runs with everything that belongs to them, and nothing else', async () => {
      const one = await seedFullRun('one')
      const two = await seedFullRun('two')
      const keep = await seedFullRun('keep')
      const kept = await everything(keep.runId)
      if (hasCapability(store, 'artifacts')) expect(kept.artifacts).toHaveLength(2)
      if (hasCapability(store, 'signals')) expect(kept.signals).toHaveLength(1)
      if (hasCapability(store, 'leases')) expect(kept.lease?.owner).toBe('owner-keep')

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

    it('lets a deleted run id be created again, from scratch', async () => {
      const { runId } = await seedFullRun('old')
      expect(await store.runs.delete([runId])).toBe(1)
      const again = await createRun({ name: 'new', taskIds: ['x'] }, runId)
      expect(again.stored.map((e) => e.seq)).toEqual([1, 2])
      expect(await store.runs.get(runId)).toEqual({ ...again.commit.run, lastSeq: 2 })
      expect((await store.tasks.list(runId)).map((t) => t.taskId)).toEqual(['x'])
      expect(await store.events.read(runId)).toEqual(again.stored)
      if (hasCapability(store, 'artifacts')) expect(await store.artifacts.list(runId)).toEqual([])
      if (hasCapability(store, 'signals')) expect(await store.signals.receive([runId], 0)).toEqual([])
      if (hasCapability(store, 'leases')) {
        expect(await store.leases.get(runId)).toBeUndefined()
        expect((await store.leases.acquire(runId, 'owner-new', 60_000)).acquired).toBe(true)
      }
    })

    it('deletes runs while other runs are written to', async () => {
      const doomed = await Promise.all(Array.from({ length: 4 }, (_, i) => seedFullRun(`doomed-${i}`)))
      const busy = await Promise.all(Array.from({ length: 3 }, (_, i) => createRun({ name: `busy-${i}` })))
      const artifacts = hasCapability(store, 'artifacts') ? store.artifacts : undefined
      const [deleted] = await Promise.all([
        store.runs.delete(doomed.map((d) => d.runId)),
        ...busy.flatMap(({ runId }) =>
          Array.from({ length: 3 }, (_, k) => store.commit({ runId, events: [logEvent(`write ${k}`)] })),
        ),
        ...(artifacts
          ? busy.map(({ runId }) => artifacts.put({ runId, name: 'during.txt', data: utf8(runId) }))
          : []),
      ])
      expect(deleted).toBe(4)
      expect(ids(await store.runs.list()).sort()).toEqual(busy.map((b) => b.runId).sort())
      for (const { runId } of busy) {
        expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
        if (hasCapability(store, 'artifacts')) {
          expectBytes((await store.artifacts.get(runId, 'during.txt'))?.data, utf8(runId))
        }
      }
      for (const { runId } of doomed) expect(await store.runs.getSpec(runId)).toBeUndefined()
    })
  })

  describe('data fidelity', () => {
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

    const tricky = TRICKY_JSON

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

      if (hasCapability(store, 'signals')) {
        const signal = await store.signals.send({ runId, kind: 'resume', data: tricky })
        expect((await store.signals.receive([runId], 0))[0]).toEqual(signal)
        expect(signal.data).toEqual(tricky)
      }
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
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

    it('can be closed twice', async () => {
      await store.close()
      await store.close()
      // afterEach closes a third time.
    })
  })
}
