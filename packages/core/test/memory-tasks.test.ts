import type { TaskState } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { StoredTasks } from '../src/store/memory-tasks.js'

const task = (taskId: string, order: number, status: TaskState['status'] = 'pending'): TaskState => ({
  runId: 'run_1',
  taskId,
  status,
  attempt: 0,
  priority: 50,
  order,
  needs: [],
})

describe("the in-memory store's task table", () => {
  it('finds tasks by id without a map built up front, in the order first committed', () => {
    const tasks = new StoredTasks()
    for (let i = 0; i < 5; i++) tasks.put(task(`t${i}`, i))
    tasks.put(task('t3', 3, 'running'))
    expect(tasks.get('t3')?.status).toBe('running')
    expect(tasks.get('t9')).toBeUndefined()
    expect(tasks.values().map((t) => t.taskId)).toEqual(['t0', 't1', 't2', 't3', 't4'])
  })

  it('keeps one entry, with its latest state, for a task committed again under another order', () => {
    const tasks = new StoredTasks()
    tasks.put(task('a', 0))
    tasks.put(task('a', 1, 'queued')) // the next slot: taken as new until the map is built
    tasks.put(task('a', 0, 'running')) // the latest state, found by its first order
    tasks.put(task('b', 2))
    expect(tasks.values()).toEqual([task('a', 0, 'running'), task('b', 2)])
    expect(tasks.get('a')?.status).toBe('running')
    // With the map built, later writes go through it.
    tasks.put(task('a', 7, 'succeeded'))
    expect(tasks.values().map((t) => [t.taskId, t.order, t.status])).toEqual([
      ['a', 7, 'succeeded'],
      ['b', 2, 'pending'],
    ])
  })
})
