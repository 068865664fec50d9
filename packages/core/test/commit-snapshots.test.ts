/**
 * The reducer changes a task's state in place (reducer.ts). What a commit hands the store is a
 * snapshot: a state the store took stays as it was when committed, while the run goes on to
 * change the task (queued, started, retried, succeeded), and the store's view matches what the
 * events say at every commit.
 */
import type { TaskState } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { createMemoryStore, createRuntime } from '../src/index.js'
import { testBackend } from './helpers/test-backend.js'

describe('task states in commits', () => {
  it('are snapshots that later events do not change', async () => {
    const store = createMemoryStore()
    const taken: { state: TaskState; json: string }[] = []
    const commit = store.commit.bind(store)
    store.commit = (c) => {
      for (const t of c.tasks ?? []) taken.push({ state: t, json: JSON.stringify(t) })
      return commit(c)
    }
    // `flaky` fails once, then succeeds: its state goes pending → queued → running → retrying →
    // queued → running → succeeded, with fields added (error, nextRetryAt) and dropped again.
    // Usage is recorded on each task too (a field replaced, not changed inside).
    const backend = testBackend()
    const runtime = createRuntime({ store, backends: [backend], maxParallelism: 2 })
    try {
      const run = await runtime.start({
        workflow: {
          weft: 1,
          name: 'snapshots',
          defaults: { backend: 'test' },
          tasks: {
            a: {},
            flaky: {
              needs: ['a'],
              with: { failTimes: 1 },
              // A backoff long enough that `retrying` is committed on its own before the retry's
              // timer fires (with 1 ms, a busy machine could fire it first and merge the states).
              retry: { maxAttempts: 2, backoffMs: 200, jitter: 0 },
            },
            b: { needs: ['flaky'] },
          },
        },
      })
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('succeeded')

      // Every state as taken still reads as it did when its commit was made.
      for (const { state, json } of taken) expect(JSON.stringify(state)).toBe(json)
      // And the run did change them after: each task was committed in several states.
      const statuses = (id: string) => taken.filter((t) => t.state.taskId === id).map((t) => t.state.status)
      // (A commit may carry several events of a task: `queued` and `running` often land together.)
      expect(statuses('flaky')).toEqual(
        expect.arrayContaining(['pending', 'running', 'retrying', 'succeeded']),
      )
      expect(statuses('b')).toEqual(expect.arrayContaining(['pending', 'succeeded']))
      const flaky = (await runtime.tasks(run.id)).find((t) => t.taskId === 'flaky')
      expect(flaky).toMatchObject({ status: 'succeeded', attempt: 2, output: 'out:flaky' })
      expect(flaky).not.toHaveProperty('error')
      expect(flaky).not.toHaveProperty('nextRetryAt')
    } finally {
      await runtime.close()
    }
  })
})
