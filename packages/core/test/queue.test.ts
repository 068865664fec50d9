import { describe, expect, it } from 'vitest'
import type { TaskInput, WorkflowInput } from '../src/index.js'
import { makeRuntime, nextEvent } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>): WorkflowInput => ({
  weft: 1 as const,
  name: 'queue',
  defaults: { backend: 'test' },
  tasks,
})

describe('runtime-wide queue', () => {
  it('pausing dispatch keeps new tasks queued in every run, running ones finish, resume drains', async () => {
    const { runtime } = makeRuntime({ maxParallelism: 4 })
    const first = await runtime.start({ workflow: wf({ slow: { with: { delayMs: 150 } } }) })
    await nextEvent(runtime, (e) => e.type === 'task.started' && e.runId === first.id)
    await runtime.pauseQueue()
    await runtime.pauseQueue() // idempotent

    const second = await runtime.start({ workflow: wf({ a: {}, b: {}, c: { needs: ['a'] } }) })
    expect((await runtime.wait(first.id)).status).toBe('succeeded')
    const status = await runtime.queueStatus()
    expect(status).toMatchObject({
      paused: true,
      activeRuns: 1,
      runningTasks: 0,
      queuedTasks: 2,
      capacity: 4,
    })
    expect(status.runs).toMatchObject({ succeeded: 1, running: 1 })
    const tasks = await runtime.tasks(second.id)
    expect(tasks.map((t) => t.status).sort()).toEqual(['pending', 'queued', 'queued'])

    await runtime.resumeQueue()
    expect((await runtime.wait(second.id)).status).toBe('succeeded')
    expect(await runtime.queueStatus()).toMatchObject({
      paused: false,
      activeRuns: 0,
      runningTasks: 0,
      queuedTasks: 0,
      runs: { succeeded: 2, running: 0, pending: 0 },
    })
    await runtime.close()
  })

  it('counts queued tasks that wait for a slot under the runtime-wide cap', async () => {
    const { runtime } = makeRuntime({ maxParallelism: 1 })
    const run = await runtime.start({ workflow: wf({ a: { with: { hang: true } }, b: {}, c: {} }) })
    await nextEvent(runtime, (e) => e.type === 'task.started' && e.runId === run.id)
    expect(await runtime.queueStatus()).toMatchObject({ runningTasks: 1, queuedTasks: 2, capacity: 1 })
    await runtime.cancel(run.id)
    expect((await runtime.wait(run.id)).status).toBe('canceled')
    await runtime.close()
  })
})
