import { describe, expect, it } from 'vitest'
import { createMemoryStore, isWeftError, type WeftError } from '../src/index.js'
import { allEvents, makeRuntime } from './helpers/test-backend.js'

const workflow = {
  weft: 1 as const,
  name: 'approval',
  defaults: { backend: 'test' },
  tasks: {
    draft: { with: { output: 'notes' } },
    side: { with: { delayMs: 30 } },
    approve: { needs: ['draft'], approval: { message: 'Publish these notes?' } },
    publish: {
      needs: ['approve'],
      prompt: 'publish ${{ tasks.draft.output }} as ${{ tasks.approve.output.channel }}',
    },
  },
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    return isWeftError(err) ? (err as WeftError).code : String(err)
  }
}

describe('approval gates', () => {
  it('pauses with a token once nothing else can run, and resumes with input as the output', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({ workflow })
    const paused = await runtime.wait(run.id)
    expect(paused.status).toBe('paused')
    expect(paused.pause).toMatchObject({
      reason: 'approval',
      waiting: [{ taskId: 'approve', message: 'Publish these notes?' }],
    })
    const token = paused.pause!.waiting[0]!.token
    expect(token).toMatch(/^tok_[\w-]{20,}$/)
    // the independent branch finished before the run paused
    expect((await runtime.tasks(run.id)).find((t) => t.taskId === 'side')!.status).toBe('succeeded')

    expect(await codeOf(runtime.resume(run.id))).toBe('resume_token_required')
    expect(await codeOf(runtime.resume(run.id, { token: 'tok_wrong' }))).toBe('resume_token_invalid')
    await runtime.resume(run.id, { token, input: { channel: 'blog' } })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(backend.calls.find((c) => c.taskId === 'publish')!.prompt).toBe('publish notes as blog')
    expect(await codeOf(runtime.resume(run.id, { token }))).toBe('resume_token_used')
    const types = (await allEvents(runtime, run.id)).map((e) => e.type)
    expect(types).toContain('task.waiting')
    expect(types).toContain('task.approved')
    expect(types.filter((t) => t === 'run.paused')).toHaveLength(1)
    await runtime.close()
  })

  it('two concurrent resumes with one token continue the run once', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({ workflow })
    const token = (await runtime.wait(run.id)).pause!.waiting[0]!.token
    const results = await Promise.allSettled([
      runtime.resume(run.id, { token, input: { channel: 'a' } }),
      runtime.resume(run.id, { token, input: { channel: 'b' } }),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as WeftError).code).toBe('resume_token_used')
    await runtime.wait(run.id)
    expect(backend.calls.filter((c) => c.taskId === 'publish')).toHaveLength(1)
    await runtime.close()
  })

  it('resumes from another runtime on the same store, and only one of two racing runtimes wins', async () => {
    const store = createMemoryStore()
    const first = makeRuntime({ store })
    const run = await first.runtime.start({ workflow })
    const token = (await first.runtime.wait(run.id)).pause!.waiting[0]!.token
    await first.runtime.close()

    const a = makeRuntime({ store })
    const b = makeRuntime({ store })
    const results = await Promise.allSettled([
      a.runtime.resume(run.id, { token, input: { channel: 'x' } }),
      b.runtime.resume(run.id, { token, input: { channel: 'y' } }),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(['resume_token_used', 'conflict']).toContain((loser.reason as WeftError).code)
    const winner = results[0]!.status === 'fulfilled' ? a : b
    expect((await winner.runtime.wait(run.id)).status).toBe('succeeded')
    expect(a.backend.calls.length + b.backend.calls.length).toBe(1)
    const events = await allEvents(winner.runtime, run.id)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    await a.runtime.close()
    await b.runtime.close()
  })

  it('cancel reaches an approval wait', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({ workflow })
    const token = (await runtime.wait(run.id)).pause!.waiting[0]!.token
    await runtime.cancel(run.id)
    expect((await runtime.wait(run.id)).status).toBe('canceled')
    const approve = (await runtime.tasks(run.id)).find((t) => t.taskId === 'approve')!
    expect(approve).toMatchObject({ status: 'canceled', approval: { status: 'canceled' } })
    expect(await codeOf(runtime.resume(run.id, { token }))).toBe('resume_token_used')
    await runtime.close()
  })
})

describe('addTasks', () => {
  it('adds tasks to a running run, validated against the live graph', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({
      workflow: {
        weft: 1,
        name: 'grow',
        defaults: { backend: 'test' },
        tasks: { a: { with: { delayMs: 50 } } },
      },
    })
    await runtime.addTasks(run.id, {
      b: { needs: ['a'], prompt: 'after ${{ tasks.a.output }}' },
      c: { needs: ['b'] },
    })
    expect(await codeOf(runtime.addTasks(run.id, { a: {} }))).toBe('tasks_invalid')
    expect(await codeOf(runtime.addTasks(run.id, { x: { needs: ['ghost'] } }))).toBe('tasks_invalid')
    expect(await codeOf(runtime.addTasks(run.id, { p: { needs: ['q'] }, q: { needs: ['p'] } }))).toBe(
      'tasks_invalid',
    )
    expect(await codeOf(runtime.addTasks(run.id, { t: { prompt: '${{ tasks.c.output }}' } }))).toBe(
      'tasks_invalid',
    )
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.taskCounts.total).toBe(3)
    expect(backend.calls.map((c) => c.taskId)).toEqual(['a', 'b', 'c'])
    expect(backend.calls[1]!.prompt).toBe('after out:a')
    expect(done.outputs).toEqual({ c: 'out:c' })
    const added = (await allEvents(runtime, run.id)).filter((e) => e.type === 'task.added' && e.data.dynamic)
    expect(added.map((e) => e.taskId)).toEqual(['b', 'c'])
    expect(Object.keys((await runtime.store.runs.getSpec(run.id))!.workflow.tasks)).toEqual(['a', 'b', 'c'])
    expect(await codeOf(runtime.addTasks(run.id, { z: {} }))).toBe('run_finished')
    await runtime.close()
  })
})
