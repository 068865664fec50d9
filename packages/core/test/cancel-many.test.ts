/**
 * A stopping run cancels what has not started by looking, after each attempt that ends, at the
 * tasks changed since its last look (not at every task, which made stopping 10,000 attempts
 * quadratic): it still cancels every unstarted task, and nothing starts after the stop, not even
 * the dependent of a task that ignored the abort and succeeded.
 */
import { describe, expect, it } from 'vitest'
import { drain, runHarness } from './helpers/run-harness.js'
import { testBackend } from './helpers/test-backend.js'

// biome-ignore lint/suspicious/noExplicitAny: task specs of the tests, checked by the schema at start
const wf = (tasks: Record<string, any>, extra: Record<string, unknown> = {}) => ({
  workflow: { weft: 1 as const, name: 'cancel-many', defaults: { backend: 'test' }, tasks, ...extra },
})

describe('cancelling a run with many attempts in flight', () => {
  it('cancels every unstarted task, and the dependents of a task that succeeded after the cancel', async () => {
    const backend = testBackend()
    const h = runHarness({ backends: [backend], slots: 1000, cancelGraceMs: 60_000 })
    // biome-ignore lint/suspicious/noExplicitAny: task specs
    const tasks: Record<string, any> = {
      stubborn: { with: { delayMs: 300, ignoreAbort: true } },
      after: { needs: ['stubborn'] },
      last: { needs: ['after'] },
    }
    for (let i = 0; i < 300; i++) {
      tasks[`w${i}`] = { with: { hang: true } }
      tasks[`later${i}`] = { needs: [`w${i}`] }
    }
    const exec = await h.start(wf(tasks, { maxParallelism: 1000 }))
    for (let i = 0; i < 50 && backend.calls.length < 301; i++) await drain()
    expect(backend.calls).toHaveLength(301)

    void exec.cancel('stop it')
    const done = await exec.settled()
    expect(done.status).toBe('canceled')
    // It ignored the abort and finished; its dependent was canceled, not started.
    expect(exec.tasks.get('stubborn')!.status).toBe('succeeded')
    expect(exec.tasks.get('after')!.status).toBe('canceled')
    expect(exec.tasks.get('last')!.status).toBe('canceled')
    for (let i = 0; i < 300; i++) {
      expect(exec.tasks.get(`w${i}`)!.status).toBe('canceled')
      expect(exec.tasks.get(`later${i}`)!.status).toBe('canceled')
    }
    expect(backend.calls.map((c) => c.taskId)).not.toContain('after')
    expect(done.taskCounts).toMatchObject({ succeeded: 1, canceled: 602 })
  })
})
