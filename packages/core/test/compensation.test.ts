/**
 * Compensation (issue 15 item 4): when a run fails or is canceled, the `compensate:` calls of its
 * succeeded tasks run in reverse order of completion, as events the reducer folds, before the run
 * ends; each runs once, even across a crash.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  CompensationEventDataSchemas,
  createMemoryStore,
  replayEvents,
  type Store,
  type TaskInput,
  type WeftEvent,
  type WorkflowInput,
} from '../src/index.js'
import { allEvents, killableStore, makeRuntime } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>): WorkflowInput => ({
  weft: 1,
  name: 'compensation',
  defaults: { backend: 'test' },
  tasks,
})

/** A compensation that answers `{ undo: <the task's output> }` (and takes `extra` options). */
const undo = (extra: Record<string, unknown> = {}) => ({
  with: { output: { undo: '${{ output }}' }, ...extra },
})

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/** The tasks whose compensation the backend was called for, in call order. */
function compensationCalls(calls: { taskId: string; options: unknown }[]): string[] {
  return calls
    .filter((c) => (c.options as { output?: { undo?: unknown } }).output?.undo !== undefined)
    .map((c) => c.taskId)
}

/** Replaying the log gives the stored summary's compensation: live and replay agree. */
async function expectReplayAgrees(store: Store, runId: string, events: WeftEvent[]) {
  const replayed = replayEvents(events)
  expect(replayed.gapless).toBe(true)
  const stored = (await store.runs.get(runId))!
  expect(replayed.status).toBe(stored.status)
  expect(replayed.state.summary.compensation).toEqual(stored.compensation)
}

describe('compensation', () => {
  it('undoes the succeeded tasks in reverse order of completion when a task fails, then the run fails', async () => {
    const store = createMemoryStore()
    const { runtime, backend } = makeRuntime({ store })
    const run = await runtime.start({
      workflow: wf({
        a: { with: { output: 'A' }, compensate: undo() },
        b: { needs: ['a'], with: { output: 'B', delayMs: 20 }, compensate: undo() },
        c: { with: { output: 'C', delayMs: 60 }, compensate: undo() },
        plain: { with: { output: 'no compensation' } },
        boom: { needs: ['b', 'c'], with: { error: 'kaboom' }, compensate: undo() },
        never: { needs: ['boom'], compensate: undo() },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'task_failed', message: expect.stringContaining('kaboom') })

    const events = await allEvents(runtime, run.id)
    // The order is the reverse of the order of the `task.succeeded` events (only tasks with a compensation).
    const succeeded = events
      .filter((e) => e.type === 'task.succeeded' && ['a', 'b', 'c'].includes(e.taskId!))
      .map((e) => e.taskId!)
    const expected = [...succeeded].reverse()
    expect(compensationCalls(backend.calls)).toEqual(expected)
    expect(events.find((e) => e.type === 'run.compensating')!.data).toMatchObject({
      tasks: expected,
      outcome: 'failed',
    })
    // Each one started and succeeded once; failed, skipped and plain tasks are not compensated.
    for (const id of expected) {
      expect(events.filter((e) => e.type === 'compensation.started' && e.taskId === id)).toHaveLength(1)
      expect(events.filter((e) => e.type === 'compensation.succeeded' && e.taskId === id)).toHaveLength(1)
    }
    expect(
      events.some(
        (e) => e.type.startsWith('compensation.') && ['boom', 'never', 'plain'].includes(e.taskId!),
      ),
    ).toBe(false)
    // Their usage counts in the run's totals, marked as a compensation's, with their backend.
    const spent = events.filter((e) => e.type === 'usage.recorded' && e.data.purpose === 'compensate')
    expect(spent.map((e) => e.taskId)).toEqual(expected)
    expect(spent[0]!.data).toMatchObject({ inputTokens: 10, outputTokens: 5, backend: 'test' })
    const all = events.filter((e) => e.type === 'usage.recorded')
    expect(done.usage.inputTokens).toBe(
      all.reduce((n, e) => n + (e.data as { inputTokens: number }).inputTokens, 0),
    )
    // Their data fit the spec's schemas.
    for (const e of events)
      if (e.type === 'run.compensating' || e.type.startsWith('compensation.'))
        CompensationEventDataSchemas[e.type as keyof typeof CompensationEventDataSchemas].parse(e.data)
    // The run ends after its compensations: its end is the last event.
    const end = events.findIndex((e) => e.type === 'run.failed')
    expect(end).toBe(events.length - 1)
    expect(events.findLastIndex((e) => e.type.startsWith('compensation.'))).toBeLessThan(end)

    expect(done.compensation).toMatchObject({
      status: 'done',
      outcome: 'failed',
      tasks: expected.map((id) => ({
        taskId: id,
        status: 'succeeded',
        attempt: 1,
        backend: 'test',
        output: { undo: id.toUpperCase() },
      })),
    })
    await expectReplayAgrees(store, run.id, events)
    await runtime.close()
  })

  it('records a failed compensation and goes on with the next one', async () => {
    const store = createMemoryStore()
    const { runtime, backend } = makeRuntime({ store })
    const run = await runtime.start({
      workflow: wf({
        first: { with: { output: 1 }, compensate: undo() },
        second: { needs: ['first'], with: { output: 2 }, compensate: undo({ error: 'cannot undo' }) },
        boom: { needs: ['second'], with: { error: 'kaboom' } },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    expect(compensationCalls(backend.calls)).toEqual(['second', 'first'])
    expect(done.compensation!.tasks).toEqual([
      expect.objectContaining({
        taskId: 'second',
        status: 'failed',
        error: expect.objectContaining({ message: 'cannot undo' }),
      }),
      expect.objectContaining({ taskId: 'first', status: 'succeeded', output: { undo: 1 } }),
    ])
    await expectReplayAgrees(store, run.id, await allEvents(runtime, run.id))
    await runtime.close()
  })

  it('compensates on cancel, and a successful run compensates nothing', async () => {
    const store = createMemoryStore()
    const { runtime, backend } = makeRuntime({ store })
    const ok = await runtime.start({ workflow: wf({ a: { compensate: undo() } }) })
    const okDone = await runtime.wait(ok.id)
    expect(okDone.status).toBe('succeeded')
    expect(okDone.compensation).toBeUndefined()
    expect(compensationCalls(backend.calls)).toEqual([])

    const run = await runtime.start({
      workflow: wf({
        booked: { with: { output: 'seat 12A' }, compensate: undo() },
        waiting: { needs: ['booked'], with: { hang: true }, compensate: undo() },
      }),
    })
    await until(async () =>
      (await store.tasks.list(run.id)).some((t) => t.taskId === 'waiting' && t.status === 'running'),
    )
    await runtime.cancel(run.id, 'changed my mind')
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('canceled')
    // The canceled task did not succeed: only `booked` is undone.
    expect(compensationCalls(backend.calls)).toEqual(['booked'])
    expect(done.compensation).toMatchObject({
      status: 'done',
      outcome: 'canceled',
      reason: 'changed my mind',
      tasks: [{ taskId: 'booked', status: 'succeeded', output: { undo: 'seat 12A' } }],
    })
    await expectReplayAgrees(store, run.id, await allEvents(runtime, run.id))
    await runtime.close()
  })

  it('a cancel while a failed run compensates lets them go on; a second cancel aborts them', async () => {
    const store = createMemoryStore()
    const { runtime, backend } = makeRuntime({ store })
    const run = await runtime.start({
      workflow: wf({
        early: { with: { output: 'e' }, compensate: undo() },
        late: { needs: ['early'], with: { output: 'l' }, compensate: undo({ hang: true }) },
        boom: { needs: ['late'], with: { error: 'kaboom' } },
      }),
    })
    const compensatingLate = async () =>
      (await store.runs.get(run.id))?.compensation?.tasks[0]?.status === 'running'
    await until(compensatingLate)
    // Controls other than cancel are refused: the run is winding down.
    await expect(runtime.pause(run.id)).rejects.toMatchObject({ code: 'run_finished' })
    await runtime.cancel(run.id, 'first')
    expect((await store.runs.get(run.id))!.status).toBe('canceling')
    expect(await compensatingLate()).toBe(true)
    await runtime.cancel(run.id, 'second')
    const done = await runtime.wait(run.id)
    // The run failed before anyone canceled it: it stays failed.
    expect(done.status).toBe('failed')
    expect(done.compensation!.tasks).toEqual([
      expect.objectContaining({ taskId: 'late', status: 'canceled', reason: 'second', attempt: 1 }),
      expect.objectContaining({ taskId: 'early', status: 'canceled', reason: 'second', attempt: 0 }),
    ])
    // `early` was never started.
    expect(compensationCalls(backend.calls)).toEqual(['late'])
    await expectReplayAgrees(store, run.id, await allEvents(runtime, run.id))
    await runtime.close()
  })

  it('a compensation that renders badly, or outlives its timeout, fails and the next one runs', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        a: { with: { output: { id: 7 } }, compensate: undo() },
        b: {
          needs: ['a'],
          with: { output: 'text' },
          compensate: { with: { output: '${{ output.id.deeper }}' } },
        },
        c: { needs: ['b'], compensate: { with: { hang: true }, timeoutMs: 50 } },
        boom: { needs: ['c'], with: { error: 'kaboom' } },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.compensation!.tasks.map((t) => [t.taskId, t.status, t.error?.code])).toEqual([
      ['c', 'failed', 'timeout'],
      ['b', 'failed', 'template'],
      ['a', 'succeeded', undefined],
    ])
    await runtime.close()
  })

  it('undoes a mapped task item by item, with its item and index, and never the mapped task itself', async () => {
    const store = createMemoryStore()
    const { runtime, backend } = makeRuntime({ store })
    const run = await runtime.start({
      workflow: wf({
        each: {
          map: { over: ['x', 'y', 'z'], maxParallel: 1 },
          with: { output: 'done ${{ item }}' },
          compensate: undo({ note: '${{ index }}:${{ item }}' }),
        },
        boom: { needs: ['each'], with: { error: 'kaboom' } },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    // One item at a time: z finished last, so it is undone first.
    expect(compensationCalls(backend.calls)).toEqual(['each[2]', 'each[1]', 'each[0]'])
    expect(
      backend.calls
        .filter((c) => c.taskId.startsWith('each[') && (c.options as { note?: string }).note)
        .map((c) => (c.options as { note: string }).note),
    ).toEqual(['2:z', '1:y', '0:x'])
    expect(done.compensation!.tasks.map((t) => [t.taskId, t.output])).toEqual([
      ['each[2]', { undo: 'done z' }],
      ['each[1]', { undo: 'done y' }],
      ['each[0]', { undo: 'done x' }],
    ])
    await expectReplayAgrees(store, run.id, await allEvents(runtime, run.id))
    await runtime.close()
  })

  it('after a crash mid-compensation, recovery never reruns a finished one, reruns the one in flight, skips none', async () => {
    const store = createMemoryStore()
    const TTL = 120
    const handle = killableStore(store)
    const a = makeRuntime({ store: handle.store, owner: 'proc-a', leaseTtlMs: TTL })
    const run = await a.runtime.start({
      workflow: wf({
        one: { with: { output: 1 }, compensate: undo() },
        two: { needs: ['one'], with: { output: 2 }, compensate: undo() },
        three: { needs: ['two'], with: { output: 3 }, compensate: undo({ hang: true }) },
        four: { needs: ['three'], with: { output: 4 }, compensate: undo() },
        boom: { needs: ['four'], with: { error: 'kaboom' } },
      }),
    })
    // `four` is undone, then `three` hangs in this process: it dies there.
    await until(async () => (await store.runs.get(run.id))?.compensation?.tasks[1]?.status === 'running')
    handle.kill()
    expect(compensationCalls(a.backend.calls)).toEqual(['four', 'three'])

    await until(async () => Date.parse((await store.leases!.get(run.id))!.expiresAt) < Date.now())
    // In the recovering process the compensation of `three` finishes.
    const spec = (await store.runs.getSpec(run.id))!
    spec.workflow.tasks.three!.compensate = undo()
    await store.commit({ runId: run.id, spec, events: [] })
    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: TTL })
    await b.runtime.recover({ runId: run.id })
    const done = await b.runtime.wait(run.id)
    expect(done.status).toBe('failed')
    expect(compensationCalls(b.backend.calls)).toEqual(['three', 'two', 'one'])
    expect(done.compensation!.tasks.map((t) => [t.taskId, t.status, t.attempt])).toEqual([
      ['four', 'succeeded', 1],
      ['three', 'succeeded', 2],
      ['two', 'succeeded', 1],
      ['one', 'succeeded', 1],
    ])
    const events = await allEvents(b.runtime, run.id)
    expect(events.filter((e) => e.type === 'compensation.succeeded').map((e) => e.taskId)).toEqual([
      'four',
      'three',
      'two',
      'one',
    ])
    expect(events.filter((e) => e.type === 'run.compensating')).toHaveLength(1)
    await expectReplayAgrees(store, run.id, events)
    await b.runtime.close()
  })

  it('a canceled run that crashed mid-compensation is recovered still canceling, and finishes its compensations', async () => {
    const store = createMemoryStore()
    const TTL = 120
    const handle = killableStore(store)
    const a = makeRuntime({ store: handle.store, owner: 'proc-a', leaseTtlMs: TTL })
    const run = await a.runtime.start({
      workflow: wf({
        first: { with: { output: 'f' }, compensate: undo() },
        second: { needs: ['first'], with: { output: 's' }, compensate: undo({ hang: true }) },
        waiting: { needs: ['second'], with: { hang: true } },
      }),
    })
    await until(async () =>
      (await store.tasks.list(run.id)).some((t) => t.taskId === 'waiting' && t.status === 'running'),
    )
    await a.runtime.cancel(run.id, 'stop it')
    await until(async () => (await store.runs.get(run.id))?.compensation?.tasks[0]?.status === 'running')
    handle.kill()

    await until(async () => Date.parse((await store.leases!.get(run.id))!.expiresAt) < Date.now())
    const spec = (await store.runs.getSpec(run.id))!
    spec.workflow.tasks.second!.compensate = undo()
    await store.commit({ runId: run.id, spec, events: [] })
    expect((await store.runs.get(run.id))!.status).toBe('canceling')
    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: TTL })
    await b.runtime.recover({ runId: run.id })
    const done = await b.runtime.wait(run.id)
    expect(done.status).toBe('canceled')
    expect(done.compensation).toMatchObject({ outcome: 'canceled', reason: 'stop it' })
    expect(done.compensation!.tasks.map((t) => [t.taskId, t.status, t.attempt])).toEqual([
      ['second', 'succeeded', 2],
      ['first', 'succeeded', 1],
    ])
    expect(compensationCalls(b.backend.calls)).toEqual(['second', 'first'])
    await expectReplayAgrees(store, run.id, await allEvents(b.runtime, run.id))
    await b.runtime.close()
  })
})
