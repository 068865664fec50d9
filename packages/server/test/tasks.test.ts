import {
  CancelTaskResponseSchema,
  QueueHistorySchema,
  QueueStatusSchema,
  SubmitTaskResponseSchema,
  TaskListSchema,
  TaskResponseSchema,
} from '@weft/api'
import { describe, expect, it } from 'vitest'
import { call, expectError, isFinished, useHarness, waitFor, waitForRun } from './helpers.js'

const h = useHarness()

const submit = (json: unknown) => call(h.url, '/api/v1/tasks', { json })

describe('the task API', () => {
  it('POST /tasks runs one task as a one-task run tagged weft:task; GET the task has its output', async () => {
    const r = await submit({ backend: 'mock', with: { output: { answer: 42 } }, priority: 10 })
    expect(r.status, r.text).toBe(202)
    const answer = SubmitTaskResponseSchema.parse(r.body)
    expect(answer.taskId).toBe('task')
    expect(answer.run.tags).toContain('weft:task')
    expect(answer.run.name).toBe('task:mock')
    expect(r.headers.get('location')).toBe(`/api/v1/runs/${answer.runId}/tasks/task`)
    await waitForRun(h, answer.runId, isFinished)
    const got = await call(h.url, `/api/v1/runs/${answer.runId}/tasks/task`)
    const { task } = TaskResponseSchema.parse(got.body)
    expect(task).toMatchObject({ status: 'succeeded', output: { answer: 42 }, priority: 10, backend: 'mock' })
  })

  it('refuses bad submissions with clear errors', async () => {
    expectError(await submit({}), 400, 'validation_failed')
    expectError(await submit({ backend: 'mock', priority: 101 }), 400, 'validation_failed')
    expectError(await submit({ backend: 'mock', extra: 1 }), 400, 'validation_failed')
    const unknown = await submit({ backend: 'nope' })
    expectError(unknown, 400, 'input_invalid')
    expect(unknown.body.error.message).toContain("unknown backend 'nope'")
    // The mock backend runs no command.
    const noCommand = await submit({ backend: 'mock', command: ['echo', 'hi'] })
    expectError(noCommand, 400, 'input_invalid')
    expect(noCommand.body.error.message).toContain('takes no command')
    expectError(await call(h.url, '/api/v1/runs/run_nope/tasks/task'), 404, 'run_not_found')
  })

  it('GET /tasks lists tasks across runs by status and backend', async () => {
    const ok = SubmitTaskResponseSchema.parse((await submit({ backend: 'mock', task: 'fine' })).body)
    const bad = SubmitTaskResponseSchema.parse(
      (await submit({ backend: 'mock', task: 'broken', with: { error: 'boom' } })).body,
    )
    await waitForRun(h, ok.runId, isFinished)
    await waitForRun(h, bad.runId, isFinished)
    const failed = TaskListSchema.parse((await call(h.url, '/api/v1/tasks?status=failed&backend=mock')).body)
    expect(failed.items.map((t) => [t.runId, t.taskId])).toContainEqual([bad.runId, 'broken'])
    expect(failed.items.every((t) => t.status === 'failed')).toBe(true)
    const one = TaskListSchema.parse((await call(h.url, `/api/v1/tasks?run=${ok.runId}`)).body)
    expect(one.items.map((t) => t.taskId)).toEqual(['fine'])
    expect(TaskListSchema.parse((await call(h.url, '/api/v1/tasks?backend=other')).body).items).toEqual([])
    expectError(await call(h.url, '/api/v1/tasks?status=nonsense'), 400, 'validation_failed')
  })

  it('cancels one task: its dependent is skipped, the independent branch finishes', async () => {
    const started = await call(h.url, '/api/v1/runs', {
      json: {
        workflow: {
          weft: 1,
          name: 'cancel-one',
          defaults: { backend: 'mock' },
          tasks: {
            slow: { with: { hang: true } },
            after: { needs: ['slow'] },
            other: { with: { delayMs: 20 } },
          },
        },
      },
    })
    const runId = started.body.runId as string
    await waitFor(async () => {
      const { task } = (await call(h.url, `/api/v1/runs/${runId}/tasks/slow`)).body
      return task?.status === 'running' ? true : undefined
    }, 'slow to start')
    const canceled = await call(h.url, `/api/v1/runs/${runId}/tasks/slow/cancel`, {
      json: { reason: 'not needed' },
    })
    expect(canceled.status, canceled.text).toBe(200)
    expect(CancelTaskResponseSchema.parse(canceled.body)).toMatchObject({
      outcome: 'canceled',
      task: { status: 'canceled', reason: 'not needed' },
    })
    const run = await waitForRun(h, runId, isFinished)
    expect(run.status).toBe('succeeded')
    const tasks = (await call(h.url, `/api/v1/runs/${runId}`)).body.tasks as {
      taskId: string
      status: string
    }[]
    expect(Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))).toEqual({
      slow: 'canceled',
      after: 'skipped',
      other: 'succeeded',
    })
    const again = CancelTaskResponseSchema.parse(
      (await call(h.url, `/api/v1/runs/${runId}/tasks/slow/cancel`, { method: 'POST' })).body,
    )
    expect(again.outcome).toBe('ended')
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/tasks/nope/cancel`, { method: 'POST' }),
      404,
      'task_not_found',
    )
  })

  it('the queue flag is durable and has a history with who and why', async () => {
    const paused = await call(h.url, '/api/v1/queue/pause', { json: { reason: 'deploy' } })
    expect(QueueStatusSchema.parse(paused.body)).toMatchObject({
      paused: true,
      reason: 'deploy',
      durable: true,
    })
    expect((await h.runtime.store.queue!.get()).paused).toBe(true)
    await call(h.url, '/api/v1/queue/resume', { method: 'POST' })
    const history = QueueHistorySchema.parse((await call(h.url, '/api/v1/queue/history?limit=2')).body)
    expect(history.items.map((c) => [c.type, c.reason, c.by])).toEqual([
      ['queue.resumed', undefined, 'anonymous'],
      ['queue.paused', 'deploy', 'anonymous'],
    ])
  })
})

describe('the task API on a server with keys', () => {
  const keyed = useHarness({
    server: { auth: { keys: [{ name: 'ci', key: 'k-ci-0123456789abcdef', scopes: ['write'] }] } },
  })
  it('refuses a submitted task where inline workflows are off, saying why', async () => {
    const r = await call(keyed.url, '/api/v1/tasks', {
      json: { backend: 'mock' },
      headers: { Authorization: 'Bearer k-ci-0123456789abcdef' },
    })
    expectError(r, 403, 'inline_workflows_disabled')
    expect(r.body.error.message).toMatch(/accepts no submitted tasks/)
    expect(r.body.error.hint).toMatch(/policy.inlineWorkflows/)
  })
})
