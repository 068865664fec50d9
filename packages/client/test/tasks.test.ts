import { describe, expect, it } from 'vitest'
import { isWeftApiError } from '../src/index.js'
import { useClient, useServer } from './helpers.js'

const h = useServer()
const client = useClient(h)

describe('tasks', () => {
  it('submits one task, waits for it, lists it, and a retried submit with the same key answers the same run', async () => {
    const first = await client.tasks.submit(
      { backend: 'mock', task: 'answer', with: { output: { n: 7 } }, priority: 3 },
      { idempotencyKey: 'task-key-1' },
    )
    expect(first.taskId).toBe('answer')
    expect(first.run.tags).toContain('weft:task')
    const again = await client.tasks.submit(
      { backend: 'mock', task: 'answer', with: { output: { n: 7 } }, priority: 3 },
      { idempotencyKey: 'task-key-1' },
    )
    expect(again.runId).toBe(first.runId)

    const done = await client.tasks.wait(first.runId, 'answer', { intervalMs: 20 })
    expect(done).toMatchObject({ status: 'succeeded', output: { n: 7 }, priority: 3 })
    expect(await client.tasks.get(first.runId, 'answer')).toEqual(done)
    const listed = await client.tasks.list({ run: first.runId })
    expect(listed.map((t) => t.taskId)).toEqual(['answer'])
    expect((await client.tasks.list({ status: ['failed'], run: first.runId })).length).toBe(0)
  })

  it('cancels one task, and reports an unknown one as task_not_found', async () => {
    const { runId } = await client.tasks.submit({ backend: 'mock', with: { hang: true } })
    const result = await client.tasks.cancel(runId, 'task', { reason: 'stop' })
    expect(result.outcome).toBe('canceled')
    expect(result.task.status).toBe('canceled')
    const err = await client.tasks.get(runId, 'nope').catch((e: unknown) => e)
    expect(isWeftApiError(err) && err.code).toBe('task_not_found')
  })

  it('pauses the queue with a reason and lists its history', async () => {
    const paused = await client.queue.pause({ reason: 'client test' })
    expect(paused).toMatchObject({ paused: true, reason: 'client test', durable: true })
    expect((await client.queue.resume()).paused).toBe(false)
    const history = await client.queue.history({ limit: 2 })
    expect(history.map((c) => c.type)).toEqual(['queue.resumed', 'queue.paused'])
  })
})
