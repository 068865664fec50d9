import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  replayEvents,
  type Store,
  type TaskInput,
  type WeftError,
  type WorkflowInput,
} from '../src/index.js'
import { allEvents, killableStore, makeRuntime } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>, extra: Partial<WorkflowInput> = {}): WorkflowInput => ({
  weft: 1,
  name: 'recovery',
  defaults: { backend: 'test' },
  ...extra,
  tasks,
})

const TTL = 120

/** A runtime on its own handle of the store, which the test can "kill" like a crashed process. */
function mortal(store: Store, owner: string, leaseTtlMs = TTL) {
  const handle = killableStore(store)
  const { runtime, backend } = makeRuntime({ store: handle.store, owner, leaseTtlMs })
  return { runtime, backend, kill: handle.kill }
}

async function until(check: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

async function statuses(store: Store, runId: string) {
  return Object.fromEntries((await store.tasks.list(runId)).map((t) => [t.taskId, t.status]))
}

async function expectLogMatchesState(store: Store, runId: string) {
  const events = await store.events.read(runId, { limit: 100_000 })
  const replayed = replayEvents(events)
  expect(replayed.gapless).toBe(true)
  expect(replayed.status).toBe((await store.runs.get(runId))!.status)
  for (const t of await store.tasks.list(runId)) {
    expect(replayed.tasks[t.taskId], t.taskId).toMatchObject({ status: t.status, attempt: t.attempt })
    if (t.status === 'succeeded') expect(replayed.tasks[t.taskId]!.output).toEqual(t.output)
  }
}

describe('recovery', () => {
  it('continues a run whose process died: finished tasks are kept, the running one runs again', async () => {
    const store = createMemoryStore()
    // A lease long enough that the refusal below is checked before it expires, even on a busy machine.
    const a = mortal(store, 'proc-a', 2000)
    const run = await a.runtime.start({
      workflow: wf({
        first: { with: { output: { n: 1 } } },
        slow: { needs: ['first'], with: { hang: true } },
        last: { needs: ['slow'], prompt: 'n=${{ tasks.first.output.n }}' },
      }),
    })
    await until(async () => (await statuses(store, run.id)).slow === 'running')
    a.kill()

    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: TTL })
    // Still leased by the dead process: refused until the lease expires.
    const refused = (await b.runtime.recover({ runId: run.id }).catch((e) => e)) as WeftError
    expect(refused.code).toBe('conflict')
    expect(refused.message).toContain('proc-a')
    expect((await b.runtime.recover())[0]).toMatchObject({
      runId: run.id,
      outcome: 'owned',
      lease: { owner: 'proc-a' },
    })

    // Until the dead process's lease has expired.
    await until(async () => Date.parse((await store.leases!.get(run.id))!.expiresAt) < Date.now())
    // The slow task hangs only in the dead process; this time it finishes.
    const spec = (await store.runs.getSpec(run.id))!
    spec.workflow.tasks.slow!.with = { output: 'done' }
    await store.commit({ runId: run.id, spec, events: [] })
    const reports = await b.runtime.recover()
    expect(reports).toEqual([
      { runId: run.id, name: 'recovery', outcome: 'recovered', interrupted: ['slow'], kept: ['first'] },
    ])
    const done = await b.runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(b.backend.calls.map((c) => [c.taskId, c.attempt])).toEqual([
      ['slow', 2],
      ['last', 1],
    ])
    expect(b.backend.calls[1]!.prompt).toBe('n=1')
    const events = await allEvents(b.runtime, run.id)
    expect(events.filter((e) => e.type === 'task.succeeded').map((e) => e.taskId)).toEqual([
      'first',
      'slow',
      'last',
    ])
    expect(events.find((e) => e.type === 'task.interrupted')).toMatchObject({ taskId: 'slow', attempt: 1 })
    expect(events.find((e) => e.type === 'run.recovered')!.data).toMatchObject({
      owner: 'proc-b',
      previousOwner: 'proc-a',
      interrupted: ['slow'],
    })
    await expectLogMatchesState(store, run.id)
    await b.runtime.close()
  })

  it('lets exactly one of two racing runtimes recover a run', async () => {
    const store = createMemoryStore()
    const a = mortal(store, 'proc-a')
    const run = await a.runtime.start({
      workflow: wf({ x: { with: { delayMs: 30 } }, y: { with: { hang: true } }, z: { needs: ['x', 'y'] } }),
    })
    await until(async () => (await statuses(store, run.id)).y === 'running')
    a.kill()
    await sleep(TTL + 30)
    const unfinished = Object.values(await statuses(store, run.id)).filter((s) => s !== 'succeeded').length
    const spec = (await store.runs.getSpec(run.id))!
    spec.workflow.tasks.y!.with = { delayMs: 20 }
    await store.commit({ runId: run.id, spec, events: [] })

    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: TTL })
    const c = makeRuntime({ store, owner: 'proc-c', leaseTtlMs: TTL })
    const results = await Promise.allSettled([
      b.runtime.recover({ runId: run.id }),
      c.runtime.recover({ runId: run.id }),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((loser.reason as WeftError).code).toBe('conflict')
    const winner = results[0]!.status === 'fulfilled' ? b : c
    expect((await winner.runtime.wait(run.id)).status).toBe('succeeded')
    const succeeded = (await allEvents(winner.runtime, run.id))
      .filter((e) => e.type === 'task.succeeded')
      .map((e) => e.taskId)
    expect(succeeded.sort()).toEqual(['x', 'y', 'z'])
    // Every task that had not succeeded ran exactly once more, in one of the two.
    expect(b.backend.calls.length + c.backend.calls.length).toBe(unfinished)
    await expectLogMatchesState(store, run.id)
    await b.runtime.close()
    await c.runtime.close()
  })

  it('resumes retry timers with their remaining delay and keeps approval waits', async () => {
    const store = createMemoryStore()
    const a = mortal(store, 'proc-a')
    const run = await a.runtime.start({
      workflow: wf({
        flaky: { with: { failTimes: 1 }, retry: { maxAttempts: 2, backoffMs: 400, jitter: 0 } },
        gate: { approval: { message: 'ok?' } },
        after: { needs: ['gate', 'flaky'] },
      }),
    })
    await until(async () => (await statuses(store, run.id)).flaky === 'retrying')
    a.kill()
    const due = Date.parse((await store.tasks.get(run.id, 'flaky'))!.nextRetryAt!)
    await sleep(TTL + 30)
    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: TTL })
    expect((await b.runtime.recover())[0]).toMatchObject({ outcome: 'recovered', interrupted: [] })
    const paused = await b.runtime.wait(run.id)
    expect(Date.now()).toBeGreaterThanOrEqual(due)
    expect(paused).toMatchObject({ status: 'paused', pause: { reason: 'approval' } })
    expect(b.backend.calls.map((c) => [c.taskId, c.attempt])).toEqual([['flaky', 2]])
    await b.runtime.resume(run.id, { token: paused.pause!.waiting[0]!.token })
    expect((await b.runtime.wait(run.id)).status).toBe('succeeded')
    await expectLogMatchesState(store, run.id)
    await b.runtime.close()
  })

  it('shuts down gracefully: finishes what fits in the grace period, records the rest, releases the run', async () => {
    const store = createMemoryStore()
    const { runtime: a } = makeRuntime({ store, owner: 'proc-a', leaseTtlMs: 60_000 })
    const run = await a.start({
      workflow: wf({
        quick: { with: { delayMs: 60 } },
        stuck: { with: { hang: true } },
        next: { needs: ['quick'] },
      }),
    })
    await until(async () => (await statuses(store, run.id)).stuck === 'running')
    await a.shutdown({ graceMs: 150 })
    expect(await statuses(store, run.id)).toEqual({ quick: 'succeeded', stuck: 'queued', next: 'queued' })
    expect(await store.leases.get(run.id)).toBeUndefined()
    const events = await store.events.read(run.id, { limit: 1000 })
    expect(events.find((e) => e.type === 'task.interrupted')).toMatchObject({
      taskId: 'stuck',
      data: { reason: 'the runtime shut down before the task finished' },
    })
    expect(events.some((e) => e.type === 'task.started' && e.taskId === 'next')).toBe(false)

    // No lease to wait for: another runtime continues at once.
    const spec = (await store.runs.getSpec(run.id))!
    spec.workflow.tasks.stuck!.with = {}
    await store.commit({ runId: run.id, spec, events: [] })
    const b = makeRuntime({ store, owner: 'proc-b' })
    expect((await b.runtime.recover())[0]).toMatchObject({
      outcome: 'recovered',
      interrupted: [],
      kept: ['quick'],
    })
    expect((await b.runtime.wait(run.id)).status).toBe('succeeded')
    expect(b.backend.calls.map((c) => c.taskId).sort()).toEqual(['next', 'stuck'])
    await expectLogMatchesState(store, run.id)
    await b.runtime.close()
  })
})

describe('rerun', () => {
  it('reuses the outputs of tasks not downstream of --from and runs the rest', async () => {
    const { runtime, backend } = makeRuntime()
    const tasks = {
      fetch: { with: { output: { items: 3 } } },
      side: {},
      build: { needs: ['fetch'], with: { failFirstCalls: 1 } },
      publish: { needs: ['build', 'side'], prompt: 'items=${{ tasks.fetch.output.items }}' },
    }
    const first = await runtime.start({ workflow: wf(tasks) })
    expect((await runtime.wait(first.id)).status).toBe('failed')
    const again = await runtime.rerun(first.id, { from: 'build' })
    const done = await runtime.wait(again.id)
    expect(done.status).toBe('succeeded')
    expect(backend.calls.map((c) => c.taskId)).toEqual(['fetch', 'side', 'build', 'build', 'publish'])
    expect(backend.calls.at(-1)!.prompt).toBe('items=3')
    expect((await runtime.store.runs.getSpec(again.id))!.rerunOf).toEqual({ runId: first.id, from: 'build' })
    const reused = (await allEvents(runtime, again.id)).filter((e) => e.type === 'task.reused')
    expect(reused.map((e) => [e.taskId, e.data.fromRunId])).toEqual([
      ['fetch', first.id],
      ['side', first.id],
    ])
    await expectLogMatchesState(runtime.store, again.id)
    expect(((await runtime.rerun(first.id, { from: 'nope' }).catch((e) => e)) as WeftError).code).toBe(
      'task_not_found',
    )
    await runtime.close()
  })
})
