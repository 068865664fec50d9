import type { Store, TaskState } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { buildTaskState } from '../fixtures.js'
import type { StoreSuite } from './helpers.js'

const key = (t: TaskState) => `${t.runId}/${t.taskId}`

/** `tasks.query`: tasks across runs by status, backend and run, newest run first. */
export function describeTaskQuery(suite: StoreSuite): void {
  const query = (q: Parameters<NonNullable<Store['tasks']['query']>>[0]) => suite.store.tasks.query!(q)

  describe('tasks across runs', () => {
    it('filters by status, backend and run, and orders newest run first, then declaration order', async () => {
      // Run ids sort by time; these are fixed so the order is known.
      const older = (await suite.createRun({ taskIds: ['a', 'b', 'c'] }, 'run_0001_q')).runId
      const newer = (await suite.createRun({ taskIds: ['x', 'y'] }, 'run_0002_q')).runId
      await suite.store.commit({
        runId: older,
        events: [],
        tasks: [
          buildTaskState(older, 'a', 0, { status: 'succeeded', backend: 'shell', attempt: 1 }),
          buildTaskState(older, 'b', 1, { status: 'running', backend: 'mock', attempt: 1 }),
          buildTaskState(older, 'c', 2, { status: 'queued', backend: 'shell' }),
        ],
      })
      await suite.store.commit({
        runId: newer,
        events: [],
        tasks: [
          buildTaskState(newer, 'x', 0, { status: 'failed', backend: 'shell', attempt: 1 }),
          buildTaskState(newer, 'y', 1, { status: 'queued', backend: 'mock' }),
        ],
      })

      expect((await query({})).map(key)).toEqual([
        'run_0002_q/x',
        'run_0002_q/y',
        'run_0001_q/a',
        'run_0001_q/b',
        'run_0001_q/c',
      ])
      expect((await query({ statuses: ['queued'] })).map(key)).toEqual(['run_0002_q/y', 'run_0001_q/c'])
      expect((await query({ statuses: ['queued', 'failed'], backend: 'shell' })).map(key)).toEqual([
        'run_0002_q/x',
        'run_0001_q/c',
      ])
      expect((await query({ runId: older, backend: 'mock' })).map(key)).toEqual(['run_0001_q/b'])
      expect((await query({ limit: 2 })).map(key)).toEqual(['run_0002_q/x', 'run_0002_q/y'])
      expect(await query({ backend: 'nope' })).toEqual([])
      expect(await query({ runId: 'run_missing' })).toEqual([])
      // Whole task states come back.
      const [b] = await query({ statuses: ['running'] })
      expect(b).toMatchObject({ runId: older, taskId: 'b', status: 'running', backend: 'mock', attempt: 1 })
    })
  })
}
