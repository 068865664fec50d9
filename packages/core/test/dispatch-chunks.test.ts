/**
 * A large ready set with as many slots is dispatched a chunk at a time (DISPATCH_CHUNK in
 * live-run.ts): each chunk's starts are committed and handed to the executor while the next
 * chunk waits for its turn of the event loop, in priority then declaration order.
 */
import { describe, expect, it } from 'vitest'
import { createMemoryStore, createRuntime, type TaskInput } from '../src/index.js'
import { DISPATCH_CHUNK } from '../src/run/live-run.js'
import { testBackend } from './helpers/test-backend.js'

describe('dispatching a large ready set', () => {
  it('commits and executes the first chunk before the last one is dispatched', async () => {
    const n = DISPATCH_CHUNK * 2 + 50
    const store = createMemoryStore()
    /** task.started events per commit, in commit order. */
    const startsPerCommit: number[] = []
    /** How many commits with starts had landed when the backend was first called. */
    let committedAtFirstCall: number | undefined
    const commit = store.commit.bind(store)
    store.commit = (c) => {
      const starts = c.events.filter((e) => e.type === 'task.started').length
      if (starts > 0) startsPerCommit.push(starts)
      return commit(c)
    }
    const backend = testBackend()
    const execute = backend.execute.bind(backend)
    backend.execute = (req, ctx) => {
      committedAtFirstCall ??= startsPerCommit.length
      return execute(req, ctx)
    }
    const runtime = createRuntime({ store, backends: [backend], maxParallelism: n })
    try {
      const tasks: Record<string, TaskInput> = {}
      // The first 100 declared have the lowest priority (0 is the highest): the order of starts
      // must follow priority, then declaration, across the chunks.
      for (let i = 0; i < n; i++) tasks[`t${i}`] = { priority: i < 100 ? 90 : 10 }
      const run = await runtime.start({
        workflow: { weft: 1, name: 'wide', maxParallelism: n, defaults: { backend: 'test' }, tasks },
      })
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('succeeded')
      expect(done.taskCounts.succeeded).toBe(n)

      // The first chunk is committed on its own; later ones may share a commit with each other
      // (a pump after an attempt ends starts a chunk too, and group commit joins them).
      expect(startsPerCommit[0]).toBe(DISPATCH_CHUNK)
      expect(startsPerCommit.reduce((a, b) => a + b, 0)).toBe(n)
      expect(startsPerCommit.length).toBeGreaterThanOrEqual(2)
      // The first chunk ran before the whole ready set had been committed.
      expect(committedAtFirstCall).toBeLessThan(startsPerCommit.length)

      const started: string[] = []
      for await (const e of runtime.events(run.id)) if (e.type === 'task.started') started.push(e.taskId!)
      const expected = [...Object.keys(tasks).slice(100), ...Object.keys(tasks).slice(0, 100)]
      expect(started).toEqual(expected)
    } finally {
      await runtime.close()
    }
  })
})
