import { describe, expect, it } from 'vitest'
import { createMemoryStore, createRuntime, type WeftEvent, type WorkflowInput } from '../src/index.js'
import { testBackend } from './helpers/test-backend.js'

const wf: WorkflowInput = {
  weft: 1 as const,
  name: 'durable-queue',
  defaults: { backend: 'test' },
  tasks: { a: { with: { delayMs: 100 } }, b: { needs: ['a'] } },
}

describe('durable queue pause', () => {
  it('a pause from another runtime on the same store stops dispatch here until it resumes', async () => {
    const store = createMemoryStore()
    const worker = createRuntime({ store, backends: [testBackend()], queuePollMs: 20 })
    const admin = createRuntime({ store, backends: [testBackend()] })
    const events: WeftEvent[] = []
    worker.subscribe((e) => events.push(e))
    const started = new Promise<void>((resolve) =>
      worker.subscribe((e) => e.type === 'task.started' && e.taskId === 'a' && resolve()),
    )
    const run = await worker.start({ workflow: wf })
    await started
    const paused = await admin.pauseQueue({ reason: 'maintenance', by: 'test' })
    expect(paused).toMatchObject({ paused: true, reason: 'maintenance', by: 'test', durable: true })
    // The worker sees the flag (its next poll), a finishes, b stays queued.
    await expect.poll(async () => (await worker.queueStatus()).paused).toBe(true)
    await expect.poll(async () => (await store.tasks.get(run.id, 'a'))?.status).toBe('succeeded')
    expect((await store.tasks.get(run.id, 'b'))?.status).toBe('queued')
    expect(events.some((e) => e.type === 'task.started' && e.taskId === 'b')).toBe(false)

    await admin.resumeQueue({ by: 'test' })
    expect((await worker.wait(run.id)).status).toBe('succeeded')
    expect((await admin.queueHistory()).map((c) => c.type)).toEqual(['queue.resumed', 'queue.paused'])
    await admin.close()
    await worker.close()
  })
})
