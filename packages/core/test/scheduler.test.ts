import { describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  isWeftError,
  type TaskInput,
  type WeftError,
  type WeftEvent,
  type WorkflowInput,
} from '../src/index.js'
import { allEvents, makeRuntime, maxConcurrent } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>, extra: Partial<WorkflowInput> = {}): WorkflowInput => ({
  weft: 1 as const,
  name: 'test',
  defaults: { backend: 'test' },
  ...extra,
  tasks,
})

const started = (events: WeftEvent[]) => events.filter((e) => e.type === 'task.started').map((e) => e.taskId)
const indexOf = (events: WeftEvent[], type: string, taskId: string) =>
  events.findIndex((e) => e.type === type && e.taskId === taskId)

async function rejectsWith(promise: Promise<unknown>, code: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isWeftError(err), `expected WeftError ${code}, got ${String(err)}`).toBe(true)
  expect((err as WeftError).code).toBe(code)
  return err as WeftError
}

describe('scheduler', () => {
  it('runs tasks declared before the tasks they need, and skips the dependents of a failure among them', async () => {
    const { runtime } = makeRuntime()
    // Declared against the graph's order: z needs y needs x; w needs z and v; v fails, so w is skipped.
    const run = await runtime.start({
      workflow: wf({
        w: { needs: ['z', 'v'] },
        z: { needs: 'y' },
        y: { needs: 'x', priority: 0 },
        v: { with: { error: 'broken' } },
        x: {},
      }),
    })
    const done = await runtime.wait(run.id)
    const events = await allEvents(runtime, run.id)
    const order = started(events)
    expect(order.indexOf('x')).toBeLessThan(order.indexOf('y'))
    expect(order.indexOf('y')).toBeLessThan(order.indexOf('z'))
    expect(indexOf(events, 'task.succeeded', 'y')).toBeLessThan(indexOf(events, 'task.started', 'z'))
    expect(done.taskCounts).toMatchObject({ succeeded: 3, failed: 1, skipped: 1, total: 5 })
    expect(order).not.toContain('w')
  })

  it('runs a diamond, routes outputs through templates and keeps a gapless log', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        a: { prompt: 'start' },
        b: { needs: ['a'], prompt: 'b got ${{ tasks.a.output }}' },
        c: { needs: ['a'], with: { output: { n: 2 } } },
        d: { needs: ['b', 'c'], prompt: 'n=${{ tasks.c.output.n }}' },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.outputs).toEqual({ d: 'out:d' })
    expect(done.taskCounts).toMatchObject({ succeeded: 4, total: 4 })
    expect(done.usage).toMatchObject({ inputTokens: 40, outputTokens: 20 })
    expect(backend.calls.find((c) => c.taskId === 'b')!.prompt).toBe('b got out:a')
    expect(backend.calls.find((c) => c.taskId === 'd')!.prompt).toBe('n=2')
    expect(backend.calls.find((c) => c.taskId === 'd')!.upstream).toEqual({
      b: { output: 'out:b' },
      c: { output: { n: 2 } },
    })
    const events = await allEvents(runtime, run.id)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]!.type).toBe('run.created')
    expect(events.at(-1)!.type).toBe('run.succeeded')
    expect(done.lastSeq).toBe(events.length)
    expect(indexOf(events, 'task.started', 'd')).toBeGreaterThan(indexOf(events, 'task.succeeded', 'b'))
    await runtime.close()
  })

  it('dispatches by priority, then declaration order, under maxParallelism 1', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({ a: {}, b: { priority: 10 }, c: { priority: 90 }, d: { priority: 10 }, e: {} }),
      maxParallelism: 1,
    })
    await runtime.wait(run.id)
    expect(started(await allEvents(runtime, run.id))).toEqual(['b', 'd', 'a', 'e', 'c'])
    await runtime.close()
  })

  it('never exceeds the run cap, and fills it', async () => {
    const { runtime, backend } = makeRuntime()
    const tasks = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`t${i}`, { with: { delayMs: 20 } }]),
    )
    const run = await runtime.start({ workflow: wf(tasks, { maxParallelism: 3 }) })
    await runtime.wait(run.id)
    expect(maxConcurrent(await allEvents(runtime, run.id))).toBe(3)
    expect(backend.maxActive).toBe(3)
    await runtime.close()
  })

  it('honours the runtime-wide cap across runs', async () => {
    const { runtime, backend } = makeRuntime({ maxParallelism: 2 })
    const tasks = Object.fromEntries(
      Array.from({ length: 4 }, (_, i) => [`t${i}`, { with: { delayMs: 20 } }]),
    )
    const runs = await Promise.all(
      [1, 2, 3].map(() => runtime.start({ workflow: wf(tasks, { maxParallelism: 4 }) })),
    )
    const results = await Promise.all(runs.map((r) => runtime.wait(r.id)))
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(backend.maxActive).toBe(2)
    await runtime.close()
  })

  it('retries retryable errors with backoff, then succeeds', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({ flaky: { with: { failTimes: 2 }, retry: { maxAttempts: 3, backoffMs: 5 } } }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(backend.calls.map((c) => c.attempt)).toEqual([1, 2, 3])
    const events = await allEvents(runtime, run.id)
    const retries = events.filter((e) => e.type === 'task.retry_scheduled')
    expect(retries.map((e) => e.data)).toMatchObject([
      { nextAttempt: 2, maxAttempts: 3, delayMs: 5, error: { code: 'server_error' } },
      { nextAttempt: 3, maxAttempts: 3, delayMs: 10, error: { code: 'server_error' } },
    ])
    expect((await runtime.tasks(run.id))[0]).toMatchObject({ status: 'succeeded', attempt: 3 })
    await runtime.close()
  })

  it('does not retry a non-retryable error, and the run override beats the workflow', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({ bad: { with: { error: 'boom' }, retry: { maxAttempts: 5, backoffMs: 1 } } }),
    })
    expect((await runtime.wait(run.id)).status).toBe('failed')
    expect(backend.calls).toHaveLength(1)
    const run2 = await runtime.start({
      workflow: wf(
        { flaky: { with: { failTimes: 3 } } },
        { defaults: { backend: 'test', retry: { maxAttempts: 5, backoffMs: 1 } } },
      ),
      retry: { maxAttempts: 2 },
    })
    const done2 = await runtime.wait(run2.id)
    expect(done2.status).toBe('failed')
    expect((await runtime.tasks(run2.id))[0]).toMatchObject({ attempt: 2, error: { code: 'server_error' } })
    await runtime.close()
  })

  it('skips the dependents of a failed task and finishes independent branches', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        bad: { with: { error: 'permanent' } },
        child: { needs: ['bad'] },
        grandchild: { needs: ['child'] },
        other: { with: { delayMs: 30 } },
        other2: { needs: ['other'] },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'task_failed', message: "task 'bad' failed: permanent" })
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(tasks.bad).toMatchObject({ status: 'failed', error: { code: 'failed', message: 'permanent' } })
    expect(tasks.child).toMatchObject({ status: 'skipped', reason: "needs 'bad', which failed" })
    expect(tasks.grandchild).toMatchObject({ status: 'skipped', reason: "needs 'child', which was skipped" })
    expect(tasks.other2!.status).toBe('succeeded')
    await runtime.close()
  })

  it('failFast stops the run at the first failure', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf(
        {
          bad: { with: { error: 'x', delayMs: 20 } },
          slow: { with: { hang: true } },
          later: { needs: ['slow'] },
        },
        { failFast: true },
      ),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t.status]))
    expect(tasks).toEqual({ bad: 'failed', slow: 'canceled', later: 'canceled' })
    await runtime.close()
  })

  it('times out a task, as a retryable failure', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        slow: { with: { hang: true }, timeoutMs: 50, retry: { maxAttempts: 2, backoffMs: 1 } },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    expect(backend.calls).toHaveLength(2)
    expect((await runtime.tasks(run.id))[0]!.error).toMatchObject({
      code: 'timeout',
      message: "task 'slow' timed out after 50 ms",
    })
    await runtime.close()
  })

  it('times out a run', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({ slow: { with: { hang: true } }, next: { needs: ['slow'] } }, { timeoutMs: 80 }),
    })
    const done = await runtime.wait(run.id)
    expect(done).toMatchObject({ status: 'failed', error: { code: 'run_timeout' } })
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t.status]))
    expect(tasks).toEqual({ slow: 'canceled', next: 'canceled' })
    await runtime.close()
  })

  it('cancel reaches a running task and a retry wait', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        hang: { with: { hang: true } },
        flaky: { with: { failTimes: 5 }, retry: { maxAttempts: 3, backoffMs: 60_000 } },
      }),
    })
    for await (const e of runtime.events(run.id, { follow: true }))
      if (e.type === 'task.retry_scheduled') break
    const t0 = Date.now()
    await runtime.cancel(run.id, 'user said stop')
    const done = await runtime.wait(run.id)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(done.status).toBe('canceled')
    const tasks = await runtime.tasks(run.id)
    expect(tasks.map((t) => [t.taskId, t.status, t.reason])).toEqual([
      ['hang', 'canceled', 'user said stop'],
      ['flaky', 'canceled', 'user said stop'],
    ])
    const events = await allEvents(runtime, run.id)
    expect(events.at(-1)).toMatchObject({ type: 'run.canceled', data: { reason: 'user said stop' } })
    await runtime.close()
  })

  it('abandons a backend that ignores cancel after the grace period', async () => {
    const { runtime } = makeRuntime({ cancelGraceMs: 50 })
    const run = await runtime.start({
      workflow: wf({ stubborn: { with: { hang: true, ignoreAbort: true } } }),
    })
    await new Promise((r) => setTimeout(r, 20))
    await runtime.cancel(run.id)
    expect((await runtime.wait(run.id)).status).toBe('canceled')
    const events = await allEvents(runtime, run.id)
    expect(events.some((e) => e.type === 'log' && String(e.data.message).includes('did not stop'))).toBe(true)
    await runtime.close()
  })

  it('pauses dispatch and resumes it', async () => {
    const { runtime } = makeRuntime()
    const aStarted = new Promise<void>((resolve) => {
      const off = runtime.subscribe((e) => {
        if (e.type === 'task.started' && e.taskId === 'a') resolve(off())
      })
    })
    const run = await runtime.start({ workflow: wf({ a: { with: { delayMs: 40 } }, b: { needs: ['a'] } }) })
    // Paused while `a` runs: `a` finishes, `b` stays queued.
    await aStarted
    await runtime.pause(run.id)
    const paused = await runtime.wait(run.id)
    expect(paused).toMatchObject({ status: 'paused', pause: { reason: 'manual' } })
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t.status]))
    expect(tasks).toEqual({ a: 'succeeded', b: 'queued' })
    await rejectsWith(runtime.resume(run.id, { token: 'nope' }), 'resume_token_invalid')
    await runtime.resume(run.id)
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    await rejectsWith(runtime.resume(run.id), 'run_finished')
    await runtime.close()
  })

  it('runs the ready set in barriers in batched mode', async () => {
    const { runtime } = makeRuntime()
    const tasks = {
      slow: { with: { delayMs: 60 } },
      fast: { with: { delayMs: 5 } },
      third: { with: { delayMs: 5 } },
    }
    const batched = await runtime.start({ workflow: wf(tasks, { maxParallelism: 2, mode: 'batched' }) })
    await runtime.wait(batched.id)
    const be = await allEvents(runtime, batched.id)
    expect(indexOf(be, 'task.started', 'third')).toBeGreaterThan(indexOf(be, 'task.succeeded', 'slow'))
    const eager = await runtime.start({ workflow: wf(tasks, { maxParallelism: 2 }) })
    await runtime.wait(eager.id)
    const ee = await allEvents(runtime, eager.id)
    expect(indexOf(ee, 'task.started', 'third')).toBeLessThan(indexOf(ee, 'task.succeeded', 'slow'))
    await runtime.close()
  })

  it('skips a task whose condition is false, and its dependents', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        check: { with: { output: { ok: false, n: 3 } } },
        yes: { needs: ['check'], when: '${{ tasks.check.output.ok }}' },
        after: { needs: ['yes'] },
        big: { needs: ['check'], when: '${{ tasks.check.output.n >= 3 }}' },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(backend.calls.map((c) => c.taskId)).toEqual(['check', 'big'])
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t.status]))
    expect(tasks).toEqual({ check: 'succeeded', yes: 'skipped', after: 'skipped', big: 'succeeded' })
    await runtime.close()
  })

  it('rejects an invalid workflow with every diagnostic and writes nothing', async () => {
    const { runtime } = makeRuntime()
    const err = await rejectsWith(
      runtime.start({ workflow: wf({ a: { needs: ['b'] }, c: { backend: 'nope' } }) }),
      'workflow_invalid',
    )
    expect(err.diagnostics.map((d) => d.code).sort()).toEqual(['unknown_backend', 'unknown_need'])
    expect((await runtime.list()).items).toEqual([])
    await runtime.close()
  })

  it('follows events live until the run ends', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({ a: { with: { delayMs: 20 } }, b: { needs: ['a'], with: { delayMs: 20 } } }),
    })
    const seen: WeftEvent[] = []
    for await (const e of runtime.events(run.id, { follow: true })) seen.push(e)
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1))
    expect(seen.at(-1)!.type).toBe('run.succeeded')
    const after = await allEvents(runtime, run.id)
    expect(seen).toEqual(after)
    await runtime.close()
  })

  it('detects a deadlock and names the stuck tasks', async () => {
    // Validation rejects cycles, so write a corrupt run straight into the store.
    const store = createMemoryStore()
    const { runtime } = makeRuntime({ store })
    const run = await runtime.start({ workflow: wf({ a: { with: { delayMs: 30 } } }) })
    await runtime.pause(run.id)
    await runtime.wait(run.id)
    await runtime.close()
    const spec = (await store.runs.getSpec(run.id))!
    spec.workflow.tasks = { ...spec.workflow.tasks, x: { needs: ['y'] }, y: { needs: ['x'] } }
    const summary = (await store.runs.get(run.id))!
    await store.commit({
      runId: run.id,
      spec,
      run: summary,
      tasks: ['x', 'y'].map((id, i) => ({
        runId: run.id,
        taskId: id,
        status: 'pending' as const,
        attempt: 0,
        priority: 50,
        order: 1 + i,
        needs: [id === 'x' ? 'y' : 'x'],
      })),
      events: [],
    })
    const { runtime: second } = makeRuntime({ store })
    await second.resume(run.id)
    const done = await second.wait(run.id)
    expect(done).toMatchObject({ status: 'failed', error: { code: 'deadlock' } })
    expect(done.error!.message).toContain('x, y')
    await second.close()
  })
})
