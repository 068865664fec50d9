import type { TaskState } from '@weft/core'
import { firstCommit } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { storeOfThisFile } from './schemas.js'

const store = storeOfThisFile()

describe('tasks.query on Postgres', () => {
  it('--agent finds the tasks a worker of that name claimed (its claim events name it)', async () => {
    const runId = 'run_0001_agents'
    await store.commit(firstCommit(runId))
    const task = (taskId: string, order: number, rest: Partial<TaskState>): TaskState => ({
      runId,
      taskId,
      status: 'pending',
      attempt: 0,
      priority: 50,
      order,
      needs: [],
      ...rest,
    })
    const claimed = (taskId: string, worker: string) => ({
      type: 'log' as const,
      taskId,
      attempt: 1,
      ts: new Date().toISOString(),
      data: { message: `claimed by ${worker}`, fields: { code: 'task.claimed', worker } },
    })
    await store.commit({
      runId,
      events: [claimed('a', 'w-1'), claimed('b', 'w-2'), claimed('c', 'w-1')],
      tasks: [
        task('a', 0, { status: 'succeeded', backend: 'shell', attempt: 1 }),
        task('b', 1, { status: 'running', backend: 'shell', attempt: 1 }),
        task('c', 2, { status: 'running', backend: 'mock', attempt: 1 }),
      ],
    })
    const ids = async (q: Parameters<NonNullable<typeof store.tasks.query>>[0]) =>
      (await store.tasks.query!(q)).map((t) => t.taskId)
    expect(await ids({ agent: 'w-1' })).toEqual(['a', 'c'])
    expect(await ids({ agent: 'w-1', statuses: ['running'] })).toEqual(['c'])
    expect(await ids({ agent: 'w-2', backend: 'shell' })).toEqual(['b'])
    expect(await ids({ agent: 'nobody' })).toEqual([])
  })
})
