/**
 * `map:`: one item task per item of a list made at run time, `${{ item }}`/`${{ index }}` in its
 * templates, at most `maxParallel` at once, `onItemFailure`, the mapped task's output as the array
 * of its items' outputs, and recovery in the middle of a map.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  replayEvents,
  type Store,
  type TaskInput,
  validateWorkflow,
  type WorkflowInput,
} from '../src/index.js'
import { allEvents, killableStore, makeRuntime, maxConcurrent } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>, extra: Partial<WorkflowInput> = {}): WorkflowInput => ({
  weft: 1,
  name: 'map',
  defaults: { backend: 'test' },
  ...extra,
  tasks,
})

const files = ['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts']

describe('map over a list made at run time', () => {
  it('runs one item task per item, with item and index, and hands the outputs on in item order', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        plan: { with: { output: { files } } },
        review: {
          needs: ['plan'],
          map: { over: '${{ tasks.plan.output.files }}' },
          prompt: 'review ${{ item }} (#${{ index }})',
          // Later items finish first: the output still follows the list.
          with: { output: '${{ item }}', delayMs: 1 },
        },
        summary: { needs: ['review'], prompt: 'reviewed ${{ tasks.review.output }}' },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(tasks.review).toMatchObject({ status: 'succeeded', output: files, map: { items: 5 } })
    expect(tasks['review[2]']).toMatchObject({
      status: 'succeeded',
      parent: 'review',
      index: 2,
      item: 'c.ts',
    })
    const prompts = backend.calls.filter((c) => c.taskId.startsWith('review[')).map((c) => c.prompt)
    expect(prompts.sort()).toEqual(files.map((f, i) => `review ${f} (#${i})`).sort())
    expect(backend.calls.find((c) => c.taskId === 'summary')!.prompt).toBe(
      `reviewed ${JSON.stringify(files)}`,
    )
    // The run's outputs are its final tasks' outputs, not every item's.
    const succeeded = (await allEvents(runtime, run.id)).find((e) => e.type === 'run.succeeded')
    expect(Object.keys((succeeded!.data as { outputs: object }).outputs)).toEqual(['summary'])
    await runtime.close()
  })

  it('keeps at most maxParallel items of a map running, while other tasks still run', async () => {
    const { runtime } = makeRuntime({ maxParallelism: 8 })
    const run = await runtime.start({
      workflow: wf(
        {
          review: {
            map: { over: Array.from({ length: 12 }, (_, i) => i), maxParallel: 2 },
            with: { delayMs: 5 },
          },
          other: { with: { delayMs: 20 } },
        },
        { maxParallelism: 8 },
      ),
    })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    const events = await allEvents(runtime, run.id)
    const items = events.filter((e) => e.taskId?.startsWith('review['))
    expect(maxConcurrent(items)).toBe(2)
    // `other` was not held back behind the waiting items.
    const otherStart = events.findIndex((e) => e.type === 'task.started' && e.taskId === 'other')
    const lastItemStart = events.findLastIndex(
      (e) => e.type === 'task.started' && e.taskId?.startsWith('review['),
    )
    expect(otherStart).toBeLessThan(lastItemStart)
    await runtime.close()
  })

  it('onItemFailure: fail skips the items not started and fails the mapped task and its dependents', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        review: {
          map: { over: [1, 2, 3, 4, 5, 6], maxParallel: 1 },
          with: { error: 'no', output: '${{ item }}' },
        },
        after: { needs: ['review'] },
      }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(tasks['review[0]']!.status).toBe('failed')
    expect(tasks['review[5]']).toMatchObject({
      status: 'skipped',
      reason: "item 'review[0]' of 'review' failed",
    })
    expect(tasks.review!.error).toMatchObject({ code: 'map_item_failed' })
    expect(tasks.review!.error!.message).toContain("item 0 of 6 ('review[0]') failed: no")
    expect(tasks.after!.status).toBe('skipped')
    await runtime.close()
  })

  it('onItemFailure: skip leaves failed items out; collect puts their error in place', async () => {
    const { runtime } = makeRuntime()
    const item = { with: { output: '${{ item }}' } }
    const run = await runtime.start({
      workflow: wf({
        source: { with: { output: [1, 2, 3] } },
        skipping: {
          needs: ['source'],
          map: { over: '${{ tasks.source.output }}', onItemFailure: 'skip' },
          with: { ...item.with, error: '${{ index == 1 }}' },
        },
        collecting: {
          needs: ['source'],
          map: { over: '${{ tasks.source.output }}', onItemFailure: 'collect' },
          with: { ...item.with, error: '${{ index == 1 }}' },
        },
      }),
    })
    // The test backend fails when `error` is truthy: "false" is a string, so only index 1 renders true.
    const done = await runtime.wait(run.id)
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(done.status).toBe('failed') // items failed, so the run reports failed tasks
    expect(tasks.skipping).toMatchObject({ status: 'succeeded', output: [1, 3] })
    expect(tasks.collecting).toMatchObject({
      status: 'succeeded',
      output: [1, { error: { code: 'failed', message: 'true' } }, 3],
    })
    await runtime.close()
  })

  it('an empty list succeeds at once with []; a value that is not a list fails the task', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({
        src: { with: { output: { none: [], text: 'hello' } } },
        empty: { needs: ['src'], map: { over: '${{ tasks.src.output.none }}' } },
        wrong: { needs: ['src'], map: { over: '${{ tasks.src.output.text }}' } },
        after: { needs: ['empty'], prompt: '${{ tasks.empty.output }}' },
      }),
    })
    await runtime.wait(run.id)
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(tasks.empty).toMatchObject({ status: 'succeeded', output: [] })
    expect(tasks.after!.status).toBe('succeeded')
    expect(tasks.wrong).toMatchObject({ status: 'failed', error: { code: 'map_not_a_list' } })
    expect(tasks.wrong!.error!.message).toContain("rendered the text 'hello', not a list")
    await runtime.close()
  })

  it('maps 10,000 items', async () => {
    const { runtime } = makeRuntime({ maxParallelism: 16 })
    const over = Array.from({ length: 10_000 }, (_, i) => i)
    const run = await runtime.start({
      workflow: wf({ each: { map: { over }, with: { output: '${{ item }}' } } }, { maxParallelism: 16 }),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.taskCounts.succeeded).toBe(10_001)
    const each = (await runtime.tasks(run.id)).find((t) => t.taskId === 'each')!
    expect(each.output).toEqual(over)
    await runtime.close()
  }, 120_000)

  it('cancel cancels the mapped task and its waiting items', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: wf({ each: { map: { over: [1, 2, 3, 4], maxParallel: 1 }, with: { hang: true } } }),
    })
    await waitUntil(async () => (await runtime.tasks(run.id)).some((t) => t.status === 'running' && t.parent))
    await runtime.cancel(run.id)
    expect((await runtime.wait(run.id)).status).toBe('canceled')
    const statuses = new Set((await runtime.tasks(run.id)).map((t) => t.status))
    expect([...statuses]).toEqual(['canceled'])
    await runtime.close()
  })

  it('recovers in the middle of a map: ended items are kept, the rest run, the log replays to the state', async () => {
    const store = createMemoryStore()
    const a = mortal(store, 'proc-a')
    const workflow = wf({
      each: {
        map: { over: [0, 1, 2, 3, 4, 5], maxParallel: 2 },
        with: { output: '${{ item }}', delayMs: 30 },
      },
      after: { needs: ['each'], prompt: '${{ tasks.each.output }}' },
    })
    const run = await a.runtime.start({ workflow })
    await waitUntil(
      async () => (await store.tasks.list(run.id)).filter((t) => t.status === 'succeeded').length >= 2,
    )
    a.kill()
    const kept = (await store.tasks.list(run.id)).filter((t) => t.parent && t.status === 'succeeded')

    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: 100 })
    await waitUntil(async () => {
      const [report] = await b.runtime.recover({ runId: run.id }).catch(() => [undefined])
      return report?.outcome === 'recovered'
    })
    const done = await b.runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    const tasks = Object.fromEntries((await store.tasks.list(run.id)).map((t) => [t.taskId, t]))
    expect(tasks.each!.output).toEqual([0, 1, 2, 3, 4, 5])
    expect(tasks.after!.status).toBe('succeeded')
    // Items that had succeeded did not run again in the second process.
    const again = new Set(b.backend.calls.map((c) => c.taskId))
    for (const t of kept) expect(again.has(t.taskId), t.taskId).toBe(false)
    // No item was added twice, and the log alone rebuilds every state.
    const events = await store.events.read(run.id, { limit: 100_000 })
    const added = events.filter((e) => e.type === 'task.added').map((e) => e.taskId)
    expect(new Set(added).size).toBe(added.length)
    const replayed = replayEvents(events)
    for (const t of await store.tasks.list(run.id))
      expect(replayed.state.tasks.get(t.taskId), t.taskId).toEqual(t)
    await b.runtime.close()
  })
})

describe('map validation', () => {
  const backends = new Map([['test', { id: 'test' }]])
  const codes = (w: WorkflowInput) =>
    validateWorkflow(w, { backends })
      .diagnostics.filter((d) => d.level === 'error')
      .map((d) => [d.code, d.path])

  it('accepts item and index in a mapped task, and refuses them anywhere else', () => {
    expect(
      codes(
        wf({
          a: { map: { over: [1] }, prompt: '${{ item }} ${{ index }}', with: { x: '${{ item.name }}' } },
        }),
      ),
    ).toEqual([])
    expect(codes(wf({ a: { prompt: '${{ item }}' } }))).toEqual([
      ['template_item_outside_map', 'tasks.a.prompt'],
    ])
    expect(codes(wf({ a: { map: { over: [1] }, when: '${{ index == 0 }}' } }))).toEqual([
      ['template_item_outside_map', 'tasks.a.when'],
    ])
    expect(codes(wf({ a: { map: { over: '${{ item }}' } } }))).toEqual([
      ['template_item_outside_map', 'tasks.a.map.over'],
    ])
  })

  it('checks the list template like any other, and refuses a text that is no template', () => {
    expect(codes(wf({ p: {}, a: { map: { over: '${{ tasks.p.output }}' } } }))).toEqual([
      ['template_not_upstream', 'tasks.a.map.over'],
    ])
    expect(codes(wf({ a: { map: { over: 'files' } } }))).toEqual([
      ['map_over_not_template', 'tasks.a.map.over'],
    ])
    expect(codes(wf({ a: { map: { over: [1] }, approval: {} } }))).toEqual([
      ['map_on_approval', 'tasks.a.map'],
    ])
    expect(codes(wf({ a: { map: { over: [1], maxParallel: 0 } } })).map(([c]) => c)).toEqual(['bad_value'])
  })
})

function mortal(store: Store, owner: string) {
  const handle = killableStore(store)
  const { runtime, backend } = makeRuntime({ store: handle.store, owner, leaseTtlMs: 100 })
  return { runtime, backend, kill: handle.kill }
}

async function waitUntil(check: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}
