/**
 * The part of the store conformance suite that drives a real `Runtime` on the store: recovery
 * after a process dies, export and prune. A store that passes the unit checks but loses a run
 * here is not a store weft can run on.
 */
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type Backend,
  createRuntime,
  pruneRuns,
  replayEvents,
  type Store,
  type WorkflowInput,
} from '@weft/core'
import { exportEvents } from '@weft/export'
import { describe, expect, it } from 'vitest'
import { killableStore } from './killable-store.js'
import { stubBackend, untilCanceled } from './stub-backend.js'

const LEASE_TTL_MS = 150

/** A backend whose `hang` option makes a task run until it is aborted. */
function scriptedBackend(hangs: boolean): Backend & { calls: string[] } {
  const calls: string[] = []
  return stubBackend({
    id: 'scripted',
    label: 'scripted (conformance)',
    capabilities: { cancel: true },
    calls,
    async execute(req, ctx) {
      calls.push(req.taskId)
      if (hangs && req.options.hang === true) await untilCanceled(ctx.signal)
      return { output: { task: req.taskId, prompt: req.prompt ?? null } }
    },
  })
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

const workflow = (tasks: WorkflowInput['tasks']): WorkflowInput => ({
  weft: 1,
  name: 'conformance',
  defaults: { backend: 'scripted' },
  tasks,
})

/** Registers the runtime-level checks; `getStore` returns the fresh store of the current test. */
export function describeRuntimeOnStore(getStore: () => Store): void {
  describe('with a runtime', () => {
    it('recovers a run whose process died: finished tasks kept, the lost attempt run again, the log replays', async () => {
      const store = getStore()
      const dying = killableStore(store)
      const first = createRuntime({
        store: dying.store,
        backends: [scriptedBackend(true)],
        leaseTtlMs: LEASE_TTL_MS,
        owner: 'first',
      })
      const run = await first.start({
        workflow: workflow({
          fetch: { prompt: 'fetch' },
          slow: { needs: ['fetch'], with: { hang: true } },
          report: { needs: ['slow'], prompt: 'fetched ${{ tasks.fetch.output.task }}' },
        }),
      })
      await until(async () => (await store.tasks.get(run.id, 'slow'))?.status === 'running')
      dying.kill()

      const backend = scriptedBackend(false)
      const second = createRuntime({ store, backends: [backend], leaseTtlMs: LEASE_TTL_MS, owner: 'second' })
      // The dead process's lease holds the run until it expires (on a loaded machine it may have
      // expired already by the time this runs: then the first try recovers it).
      let reports = await second.recover()
      if (reports[0]?.outcome === 'owned') {
        await sleep(LEASE_TTL_MS + 50)
        reports = await second.recover()
      }
      expect(reports).toEqual([
        { runId: run.id, name: 'conformance', outcome: 'recovered', interrupted: ['slow'], kept: ['fetch'] },
      ])
      const done = await second.wait(run.id)
      expect(done.status).toBe('succeeded')
      expect(backend.calls).toEqual(['slow', 'report'])

      const events = await store.events.read(run.id, { limit: 10_000 })
      const replayed = replayEvents(events)
      expect(replayed.gapless).toBe(true)
      expect(replayed.status).toBe('succeeded')
      for (const t of await store.tasks.list(run.id)) {
        expect(replayed.tasks[t.taskId]).toMatchObject({
          status: t.status,
          attempt: t.attempt,
          output: t.output,
        })
      }
      expect(events.filter((e) => e.type === 'task.succeeded').map((e) => e.taskId)).toEqual([
        'fetch',
        'slow',
        'report',
      ])
      await second.close()
    })

    it('exports a run in every format, complete and in order', async () => {
      const store = getStore()
      const runtime = createRuntime({ store, backends: [scriptedBackend(false)] })
      const run = await runtime.start({
        workflow: workflow({ a: { prompt: 'say "hi", then, newline\nok' }, b: { needs: ['a'] } }),
      })
      await runtime.wait(run.id)
      const stored = await store.events.read(run.id, { limit: 10_000 })
      const exported = async (format: 'jsonl' | 'csv' | 'json') => {
        const out = new PassThrough()
        const chunks: Buffer[] = []
        out.on('data', (c: Buffer) => chunks.push(c))
        const result = await exportEvents(store, { runId: run.id, pageSize: 3 }, format, out)
        expect(result.events).toBe(stored.length)
        return Buffer.concat(chunks).toString('utf8')
      }
      const jsonl = (await exported('jsonl'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { seq: number })
      expect(jsonl.map((e) => e.seq)).toEqual(stored.map((e) => e.seq))
      const json = JSON.parse(await exported('json')) as { seq: number; type: string }[]
      expect(json.map((e) => e.type)).toEqual(stored.map((e) => e.type))
      const csv = await exported('csv')
      expect(csv.split('\r\n')[0]).toBe('runId,seq,ts,type,taskId,attempt,severity,data')
      await runtime.close()
    })

    it('prunes finished runs only, with everything that belongs to them', async () => {
      const store = getStore()
      const runtime = createRuntime({ store, backends: [scriptedBackend(true)] })
      const old = await runtime.start({ workflow: workflow({ a: {} }) })
      await runtime.wait(old.id)
      const live = await runtime.start({ workflow: workflow({ h: { with: { hang: true } } }) })
      await until(async () => (await store.tasks.get(live.id, 'h'))?.status === 'running')
      const result = await pruneRuns(store, { olderThan: new Date(Date.now() + 60_000), batchSize: 1 })
      expect(result.runIds).toEqual([old.id])
      expect(await store.runs.get(old.id)).toBeUndefined()
      expect(await store.events.read(old.id)).toEqual([])
      expect((await store.runs.get(live.id))?.status).toBe('running')
      await runtime.cancel(live.id)
      expect((await runtime.wait(live.id)).status).toBe('canceled')
      await runtime.close()
    })
  })
}
