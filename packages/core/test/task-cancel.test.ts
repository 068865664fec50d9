import { runLogOnly } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createMemoryStore, createRuntime, type TaskInput, type WorkflowInput } from '../src/index.js'
import { makeRuntime, nextEvent, testBackend } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>): WorkflowInput => ({
  weft: 1 as const,
  name: 'cancel-one',
  defaults: { backend: 'test' },
  tasks,
})

describe('cancel one task', () => {
  it('a running task ends canceled, its dependents skip, an independent branch runs on', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        slow: { with: { hang: true } },
        after: { needs: ['slow'] },
        other: { with: { delayMs: 50 } },
        last: { needs: ['other'] },
      }),
    })
    await nextEvent(runtime, (e) => e.type === 'task.started' && e.taskId === 'slow')
    const result = await runtime.cancelTask(run.id, 'slow', 'not needed')
    expect(result.outcome).toBe('canceled')
    expect(result.task).toMatchObject({ status: 'canceled', reason: 'not needed' })
    const end = await runtime.wait(run.id)
    expect(end.status).toBe('succeeded')
    const byId = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t.status]))
    expect(byId).toEqual({ slow: 'canceled', after: 'skipped', other: 'succeeded', last: 'succeeded' })
    await runtime.close()
  })

  it('a queued task is canceled before it starts; an ended task is reported, an unknown one refused', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: { ...wf({ first: { with: { delayMs: 100 } }, second: {} }), maxParallelism: 1 },
    })
    await nextEvent(runtime, (e) => e.type === 'task.started' && e.taskId === 'first')
    expect((await runtime.cancelTask(run.id, 'second')).outcome).toBe('canceled')
    await runtime.wait(run.id)
    expect(backend.calls.map((c) => c.taskId)).toEqual(['first'])
    expect((await runtime.cancelTask(run.id, 'first')).outcome).toBe('ended')
    await expect(runtime.cancelTask(run.id, 'nope')).rejects.toMatchObject({ code: 'task_not_found' })
    await runtime.close()
  })

  it('canceling the approval a run waits for lets the run go on and finish', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        a: {},
        gate: { needs: ['a'], approval: { message: 'go?' } },
        publish: { needs: ['gate'] },
      }),
    })
    const paused = await runtime.wait(run.id)
    expect(paused).toMatchObject({ status: 'paused', pause: { reason: 'approval' } })
    expect((await runtime.cancelTask(run.id, 'gate', 'nobody will answer')).outcome).toBe('canceled')
    const end = await runtime.wait(run.id)
    expect(end.status).toBe('succeeded')
    const byId = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t.status]))
    expect(byId).toEqual({ a: 'succeeded', gate: 'canceled', publish: 'skipped' })
    await runtime.close()
  })

  it('reaches a task of a run another runtime runs, through a signal', async () => {
    const store = createMemoryStore()
    const holder = createRuntime({ store, backends: [testBackend()], signalPollMs: 20, cancelGraceMs: 500 })
    const other = createRuntime({ store, backends: [testBackend()] })
    const run = await holder.start({
      workflow: wf({ slow: { with: { hang: true } }, next: { needs: ['slow'] } }),
    })
    await nextEvent(holder, (e) => e.type === 'task.started' && e.taskId === 'slow')
    const result = await other.cancelTask(run.id, 'slow', 'from elsewhere')
    expect(result).toMatchObject({ outcome: 'canceled', task: { status: 'canceled' } })
    expect((await holder.wait(run.id)).status).toBe('succeeded')
    expect((await store.tasks.get(run.id, 'next'))?.status).toBe('skipped')
    await other.close()
    await holder.close()
  })
})

describe.each([
  ['a store that answers tasks.query', () => createMemoryStore()],
  ['a store without tasks.query (scanned)', () => runLogOnly(createMemoryStore())],
])('tasks across runs on %s', (_name, store) => {
  it('queryTasks filters by status, backend and run, newest run first', async () => {
    const { runtime } = makeRuntime({ store: store() })
    const a = await runtime.start({ workflow: wf({ x: {}, y: { needs: ['x'] } }) })
    await runtime.wait(a.id)
    const b = await runtime.start({ workflow: wf({ z: { with: { error: 'boom' } } }) })
    await runtime.wait(b.id)
    const all = await runtime.queryTasks()
    expect(all.map((t) => `${t.runId === b.id ? 'b' : 'a'}:${t.taskId}`)).toEqual(['b:z', 'a:x', 'a:y'])
    expect((await runtime.queryTasks({ statuses: ['failed'] })).map((t) => t.taskId)).toEqual(['z'])
    expect(await runtime.queryTasks({ backend: 'other' })).toEqual([])
    expect((await runtime.queryTasks({ runId: a.id, limit: 1 })).map((t) => t.taskId)).toEqual(['x'])
    await runtime.close()
  })
})
