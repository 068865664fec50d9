/**
 * Large graphs: what used to be quadratic (or recursive) in the scheduler and the validator.
 * Not timed: `pnpm bench` measures the speed; these check that big and deep graphs work at all
 * and that grouping commits keeps every guarantee.
 */
import { describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  createRuntime,
  type Store,
  type TaskInput,
  validateWorkflow,
  type WorkflowInput,
} from '../src/index.js'
import { allEvents, makeRuntime, testBackend } from './helpers/test-backend.js'

function chain(n: number): WorkflowInput {
  const tasks: Record<string, TaskInput> = {}
  for (let i = 0; i < n; i++) tasks[`t${i}`] = i === 0 ? {} : { needs: [`t${i - 1}`] }
  return { weft: 1, name: 'chain', defaults: { backend: 'test' }, tasks }
}

function countingStore(): { store: Store; commits: () => number } {
  const store = createMemoryStore()
  let commits = 0
  const commit = store.commit.bind(store)
  store.commit = (c) => {
    commits++
    return commit(c)
  }
  return { store, commits: () => commits }
}

describe('large graphs', () => {
  it('validates a chain of 100,000 tasks (no recursion as deep as the graph)', () => {
    const result = validateWorkflow(chain(100_000), { backends: new Map([['test', { id: 'test' }]]) })
    expect(result.diagnostics.filter((d) => d.level === 'error')).toEqual([])
  })

  it('still finds a long cycle, and a template reading a task that is not upstream', () => {
    const backends = new Map([['test', { id: 'test' }]])
    const looped = chain(2000)
    looped.tasks.t0 = { needs: ['t1999'] }
    expect(validateWorkflow(looped, { backends }).diagnostics.map((d) => d.code)).toContain('cycle')
    const wf = chain(2000)
    // t3 is upstream of t5 through t4; t7 is downstream.
    wf.tasks.t5 = {
      needs: ['t4'],
      prompt: '${{ tasks.t4.output }} ${{ tasks.t3.output }} ${{ tasks.t7.output }}',
    }
    const problems = validateWorkflow(wf, { backends }).diagnostics.filter((d) => d.level === 'error')
    expect(problems.map((d) => [d.code, d.message.includes('t7')])).toEqual([['template_not_upstream', true]])
  })

  it('runs a chain of 20,000 tasks to the end', async () => {
    const runtime = createRuntime({
      backends: [{ ...testBackend(), execute: async () => ({ output: null }) }],
    })
    const run = await runtime.start({ workflow: chain(20_000) })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.taskCounts).toMatchObject({ succeeded: 20_000, total: 20_000, pending: 0 })
    await runtime.close()
  }, 60_000)

  it('groups the commits of a wide run, keeps the log gapless and the counts exact', async () => {
    const { store, commits } = countingStore()
    const { runtime, backend } = makeRuntime({ store, maxParallelism: 8 })
    const tasks: Record<string, TaskInput> = {}
    for (let i = 0; i < 400; i++) tasks[`t${i}`] = { priority: 100 - (i % 7) }
    const run = await runtime.start({
      workflow: { weft: 1, name: 'wide', maxParallelism: 8, defaults: { backend: 'test' }, tasks },
    })
    const done = await runtime.wait(run.id)
    expect(done.taskCounts).toMatchObject({ succeeded: 400, total: 400 })
    // Each task writes queued, started, agent.message, usage and succeeded: without grouping,
    // two commits a task; the settles of a burst share one.
    expect(commits()).toBeLessThan(400)
    const events = await allEvents(runtime, run.id)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    // Dispatch order is still priority, then declaration order.
    const order = backend.calls.map((c) => c.taskId)
    const expected = Object.keys(tasks).sort(
      (a, b) => tasks[a]!.priority! - tasks[b]!.priority! || Number(a.slice(1)) - Number(b.slice(1)),
    )
    expect(order).toEqual(expected)
    const stored = await store.tasks.list(run.id)
    expect(stored.every((t) => t.status === 'succeeded')).toBe(true)
    await runtime.close()
  })

  it('a long run on the in-memory store still lets timers fire while it runs', async () => {
    // Every commit of the memory store answers at once: without a turn of the event loop now and
    // then, a run of thousands of tasks held it to the end, and lease heartbeats never ran.
    const { runtime } = makeRuntime()
    let finished = false
    let firedWhileRunning = 0
    const timer = setInterval(() => {
      if (!finished) firedWhileRunning++
    }, 1)
    const run = await runtime.start({ workflow: chain(5_000) })
    const done = await runtime.wait(run.id)
    finished = true
    clearInterval(timer)
    expect(done.taskCounts.succeeded).toBe(5_000)
    expect(firedWhileRunning).toBeGreaterThan(0)
    await runtime.close()
  })

  it('start() resolves once the run has started, before its first attempt is committed', async () => {
    const { runtime } = makeRuntime()
    const seen: string[] = []
    runtime.subscribe((e) => seen.push(e.type))
    await runtime.start({
      workflow: { weft: 1, name: 'one', defaults: { backend: 'test' }, tasks: { a: {} } },
    })
    expect(seen).toContain('run.started')
    expect(seen).not.toContain('task.started')
    await runtime.close()
  })
})
