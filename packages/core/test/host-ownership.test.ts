/**
 * Who owns a run after its process died: a holder on this host that is provably dead (pid gone,
 * a zombie, a pid reused by another process) does not protect its runs; a live one does; one that
 * cannot be checked is waited out, and `keepTrying` takes its runs once its lease expires.
 */
import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { processStartTime } from '@weft/process'
import { describe, expect, it } from 'vitest'
import { parseOwner } from '../src/host/owner.js'
import {
  createMemoryStore,
  type Store,
  type TaskInput,
  type WeftError,
  type WorkflowInput,
} from '../src/index.js'
import { killableStore, makeRuntime } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>): WorkflowInput => ({
  weft: 1,
  name: 'ownership',
  defaults: { backend: 'test' },
  tasks,
})

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/** Starts a run with a hanging task under `owner`, then "kills" that runtime (its store handle). */
async function strandedRun(store: Store, owner: string, leaseTtlMs: number) {
  const handle = killableStore(store)
  const { runtime } = makeRuntime({ store: handle.store, owner, leaseTtlMs })
  const run = await runtime.start({
    workflow: wf({ first: { with: { output: 1 } }, slow: { needs: ['first'], with: { hang: true } } }),
  })
  await until(async () =>
    (await store.tasks.list(run.id)).some((t) => t.taskId === 'slow' && t.status === 'running'),
  )
  handle.kill()
  // The hanging task hangs only in the dead runtime.
  const spec = (await store.runs.getSpec(run.id))!
  spec.workflow.tasks.slow!.with = { output: 2 }
  await store.commit({ runId: run.id, spec, events: [] })
  return run.id
}

/** A pid that is gone: a child that has exited and been reaped. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim())
}

describe('run ownership after a crash', () => {
  it('names its runtimes host:pid:startTime:random in the leases it holds', async () => {
    const store = createMemoryStore()
    const { runtime } = makeRuntime({ store })
    const run = await runtime.start({ workflow: wf({ slow: { with: { hang: true } } }) })
    const lease = await store.leases!.get(run.id)
    expect(lease?.owner).toMatch(/^.+:\d+:\d+:[0-9a-f]{6}$/)
    expect(parseOwner(lease!.owner)).toMatchObject({ host: hostname(), pid: process.pid })
    await runtime.close()
  })

  it.runIf(process.platform === 'linux')(
    'takes at once a run whose holder on this host is dead: pid gone, or pid reused (start time differs)',
    async () => {
      const long = 600_000
      for (const owner of [
        `${hostname()}:${deadPid()}:${processStartTime(process.pid)}:aa`,
        `${hostname()}:${process.pid}:1:bb`, // this pid, but a process that started at another time
      ]) {
        const store = createMemoryStore()
        const runId = await strandedRun(store, owner, long)
        const { runtime } = makeRuntime({ store, leaseTtlMs: long })
        const [report] = await runtime.recover({ runId })
        expect(report).toMatchObject({ outcome: 'recovered', previousOwner: { owner, because: 'dead' } })
        expect((await runtime.wait(runId)).status).toBe('succeeded')
        await runtime.close()
      }
    },
  )

  it.runIf(process.platform === 'linux')(
    'a live holder on this host keeps its run, and says so',
    async () => {
      const store = createMemoryStore()
      const owner = `${hostname()}:${process.pid}:${processStartTime(process.pid)}:cc`
      expect(parseOwner(owner)).toMatchObject({ pid: process.pid })
      const runId = await strandedRun(store, owner, 600_000)
      const { runtime } = makeRuntime({ store, leaseTtlMs: 600_000 })
      expect((await runtime.recover())[0]).toMatchObject({ runId, outcome: 'owned', holder: 'alive' })
      const refused = (await runtime.recover({ runId }).catch((e) => e)) as WeftError
      expect(refused.code).toBe('conflict')
      expect(refused.message).toMatch(/is alive and runs it/)
      await runtime.close()
    },
  )

  it('cancel of a run whose holder is dead takes it and records it canceled, starting nothing again', async () => {
    const store = createMemoryStore()
    const owner = `${hostname()}:${process.pid}:1:dd`
    const runId = await strandedRun(store, owner, 600_000)
    const { runtime, backend } = makeRuntime({ store, leaseTtlMs: 600_000 })
    const canceled = await runtime.cancel(runId, 'stop it')
    expect((await runtime.wait(runId)).status).toBe('canceled')
    expect(canceled.status === 'canceled' || canceled.status === 'canceling').toBe(true)
    expect(backend.calls).toEqual([])
    const types = (await store.events.read(runId, { limit: 1000 })).map((e) => e.type)
    expect(types).toContain('run.canceled')
    await runtime.close()
  })

  it('keepTrying: a run held by a lease that cannot be checked is taken once the lease expires', async () => {
    const store = createMemoryStore()
    const runId = await strandedRun(store, 'proc-elsewhere', 200)
    const { runtime } = makeRuntime({ store, leaseTtlMs: 200, recoveryRetryMs: 50 })
    expect((await runtime.recover({ keepTrying: true }))[0]).toMatchObject({
      runId,
      outcome: 'owned',
      holder: 'unverified',
    })
    // No second call: the runtime keeps trying by itself.
    await until(async () => (await store.runs.get(runId))?.status === 'succeeded')
    await runtime.close()
  })

  it('a runtime cut off from the store past its lease stops its attempts (another may have taken the run)', async () => {
    const store = createMemoryStore()
    let cutOff = false
    const leases = store.leases!
    const partitioned: Store = {
      ...store,
      leases: {
        ...leases,
        renew: (...args: Parameters<typeof leases.renew>) =>
          cutOff ? Promise.reject(new Error('connection lost')) : leases.renew(...args),
      },
    }
    const warnings: string[] = []
    const { runtime } = makeRuntime({
      store: partitioned,
      leaseTtlMs: 150,
      reporter: { warn: (m) => warnings.push(m) },
    })
    const run = await runtime.start({ workflow: wf({ slow: { with: { hang: true } } }) })
    await until(async () => (await store.tasks.list(run.id)).some((t) => t.status === 'running'))
    cutOff = true
    const stopped = (await runtime.wait(run.id).catch((e) => e)) as WeftError
    expect(stopped.code).toBe('conflict')
    expect(warnings.some((w) => w.includes('connection lost'))).toBe(true)
    await runtime.close()
  })
})
