/**
 * The backend event `process` becomes a stored `task.process_started` and the running task's
 * `processes`, through the reducer; a new attempt starts with none of the last one's.
 */
import { hostname } from 'node:os'
import { stubBackend } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { type Backend, BackendError, createRuntime, replayEvents } from '../src/index.js'
import { allEvents } from './helpers/test-backend.js'

function processBackend(): Backend {
  return stubBackend({
    id: 'proc',
    label: 'process groups',
    capabilities: { events: true, cancel: true },
    async execute(req, ctx) {
      const pid = 1000 + req.attempt
      ctx.emit({ type: 'process', pid, pgid: pid, startTime: `${9000 + req.attempt}` })
      if (req.attempt === 1) {
        ctx.emit({ type: 'process', pid: 2000, pgid: 1001 })
        throw new BackendError('server_error', 'first attempt fails')
      }
      return { output: 'ok' }
    },
  })
}

describe('process groups of an attempt', () => {
  it('records task.process_started with the host and keeps the current attempt in TaskState.processes', async () => {
    const runtime = createRuntime({ backends: [processBackend()], random: () => 0.5 })
    try {
      const run = await runtime.start({
        workflow: {
          weft: 1,
          name: 'procs',
          defaults: { backend: 'proc' },
          tasks: { work: { retry: { maxAttempts: 2, backoffMs: 1, jitter: 0 } } },
        },
      })
      expect((await runtime.wait(run.id)).status).toBe('succeeded')
      const events = await allEvents(runtime, run.id)
      const started = events.filter((e) => e.type === 'task.process_started')
      expect(started.map((e) => ({ attempt: e.attempt, data: e.data }))).toEqual([
        { attempt: 1, data: { host: hostname(), pid: 1001, pgid: 1001, startTime: '9001' } },
        { attempt: 1, data: { host: hostname(), pid: 2000, pgid: 1001 } },
        { attempt: 2, data: { host: hostname(), pid: 1002, pgid: 1002, startTime: '9002' } },
      ])
      const [task] = await runtime.tasks(run.id)
      // The second attempt replaced the first one's groups.
      expect(task!.processes).toEqual([
        { host: hostname(), pid: 1002, pgid: 1002, startTime: '9002', attempt: 2 },
      ])
      const stored = await runtime.store.tasks.get(run.id, 'work')
      expect(stored!.processes).toEqual(task!.processes)
      expect(replayEvents(events).state.tasks.get('work')!.processes).toEqual(task!.processes)
    } finally {
      await runtime.close()
    }
  })
})
