import { setTimeout as sleep } from 'node:timers/promises'
import { type Backend, createRuntime, type Runtime, replayEvents, type Store } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { stubBackend, untilCanceled } from '../stub-backend.js'
import type { StoreSuite } from './helpers.js'

/** A backend that answers at once, or waits for cancel when a task asks it to `hang`. */
function echoBackend(): Backend {
  return stubBackend({
    id: 'echo',
    label: 'echo (store conformance)',
    capabilities: { cancel: true },
    async execute(req, ctx) {
      if (req.options.hang === true) await untilCanceled(ctx.signal)
      return { output: { task: req.taskId, prompt: req.prompt ?? null } }
    },
  })
}

/** Runs `use` with a runtime on `store` that has the echo backend, and closes it after. */
async function withEchoRuntime(store: Store, use: (runtime: Runtime) => Promise<void>): Promise<void> {
  const runtime = createRuntime({ store, backends: [echoBackend()] })
  try {
    await use(runtime)
  } finally {
    await runtime.close()
  }
}

/**
 * A runtime in one process runs on the run log alone: whatever optional parts a store lacks
 * (leases, signals, memory, artifacts), a workflow runs, its events replay to its state, and
 * cancel works in the process that runs it.
 */
export function describeRunLogRuntime(suite: StoreSuite): void {
  describe('with a runtime in one process', () => {
    it('runs a workflow to the end, and its log replays to the stored tasks', async () => {
      const store = suite.store
      await withEchoRuntime(store, async (runtime) => {
        const run = await runtime.start({
          workflow: {
            weft: 1,
            name: 'run-log',
            defaults: { backend: 'echo' },
            tasks: {
              fetch: { prompt: 'fetch' },
              left: { needs: ['fetch'], prompt: 'left of ${{ tasks.fetch.output.task }}' },
              right: { needs: ['fetch'], prompt: 'right' },
              join: { needs: ['left', 'right'], prompt: '${{ tasks.left.output.prompt }}' },
            },
          },
        })
        const done = await runtime.wait(run.id)
        expect(done.status).toBe('succeeded')
        const tasks = await store.tasks.list(run.id)
        expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
          ['fetch', 'succeeded'],
          ['left', 'succeeded'],
          ['right', 'succeeded'],
          ['join', 'succeeded'],
        ])
        expect((await store.tasks.get(run.id, 'join'))?.output).toEqual({
          task: 'join',
          prompt: 'left of fetch',
        })
        const events = await store.events.read(run.id, { limit: 10_000 })
        expect(events.at(-1)?.type).toBe('run.succeeded')
        const replayed = replayEvents(events)
        expect(replayed.gapless).toBe(true)
        expect(replayed.status).toBe('succeeded')
        for (const t of tasks) {
          expect(replayed.tasks[t.taskId], t.taskId).toMatchObject({
            status: t.status,
            attempt: t.attempt,
            output: t.output,
          })
        }
        expect((await runtime.list()).items.map((r) => r.id)).toEqual([run.id])
      })
    })

    it('cancels a run it runs', async () => {
      const store = suite.store
      await withEchoRuntime(store, async (runtime) => {
        const run = await runtime.start({
          workflow: {
            weft: 1,
            name: 'run-log-cancel',
            defaults: { backend: 'echo' },
            tasks: { stuck: { prompt: 'wait', with: { hang: true } } },
          },
        })
        for (let i = 0; i < 500 && (await store.tasks.get(run.id, 'stuck'))?.status !== 'running'; i++) {
          await sleep(10)
        }
        await runtime.cancel(run.id, 'enough')
        expect((await runtime.wait(run.id)).status).toBe('canceled')
      })
    })
  })
}
