/**
 * Subworkflows (`uses:`): a task runs another workflow file as a linked run, with inputs rendered
 * from upstream outputs; the child's outputs are the task's output, its usage counts in the parent,
 * cancel reaches it, a small runtime-wide cap cannot deadlock it, and a parent recovered after a
 * crash waits for the child it had started instead of starting another.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createMemoryStore, type Store, validateWorkflow, type WorkflowInput } from '../src/index.js'
import { killableStore, makeRuntime } from './helpers/test-backend.js'

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-sub-'))
  for (const [name, doc] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(doc))
  return dir
}

const child = {
  weft: 1,
  name: 'review',
  inputs: { file: { type: 'string' } },
  defaults: { backend: 'test' },
  tasks: {
    read: { prompt: 'read ${{ inputs.file }}', with: { output: { lines: 3 } } },
    judge: { needs: ['read'], prompt: 'judge', with: { output: 'ok', delayMs: 5 } },
  },
  outputs: { file: '${{ inputs.file }}', verdict: '${{ tasks.judge.output }}' },
}

const parent = (uses: string, extra: Record<string, unknown> = {}): WorkflowInput =>
  ({
    weft: 1,
    name: 'parent',
    defaults: { backend: 'test' },
    tasks: {
      plan: { with: { output: { file: 'src/app.ts' } } },
      review: { needs: ['plan'], uses, inputs: { file: '${{ tasks.plan.output.file }}' }, ...extra },
      report: { needs: ['review'], prompt: 'verdict ${{ tasks.review.output.verdict }}' },
    },
  }) as WorkflowInput

describe('subworkflows', () => {
  it('runs the file as a linked run; its outputs are the task output and its usage counts in the parent', async () => {
    const dir = folder({ 'review.json': child })
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({ workflow: parent('./review.json'), source: join(dir, 'main.json') })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(tasks.review!.output).toEqual({ file: 'src/app.ts', verdict: 'ok' })
    expect(backend.calls.find((c) => c.taskId === 'report')!.prompt).toBe('verdict ok')
    expect(backend.calls.find((c) => c.taskId === 'read')!.prompt).toBe('read src/app.ts')

    const childId = tasks.review!.childRunId!
    const sub = (await runtime.get(childId))!
    expect(sub).toMatchObject({
      status: 'succeeded',
      name: 'review',
      parent: { runId: run.id, taskId: 'review' },
    })
    // The parent's usage includes the child's two tasks (10 + 5 tokens each) and its own two.
    expect(sub.usage.inputTokens).toBe(20)
    expect(done.usage.inputTokens).toBe(20 + 20)
    await runtime.close()
  })

  it('finds a workflow by name in the workflows folder, and does not deadlock on a runtime cap of 1', async () => {
    const dir = folder({ 'review.json': child })
    const { runtime } = makeRuntime({ workflowsDir: dir, maxParallelism: 1 })
    const run = await runtime.start({ workflow: parent('review') })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    await runtime.close()
  })

  it('a workflow started by name from the workflows folder finds a path relative to its file there', async () => {
    // The server starts a named workflow with its name as the source (`main.json`), not a path.
    const dir = folder({ 'main.json': parent('./sub/review.json') })
    const sub = join(dir, 'sub')
    mkdirSync(sub)
    writeFileSync(join(sub, 'review.json'), JSON.stringify(child))
    const { runtime } = makeRuntime({ workflowsDir: dir, workDir: tmpdir() })
    const run = await runtime.start({ workflow: parent('./sub/review.json'), source: 'main.json' })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    await runtime.close()
  })

  it('a child that fails fails the task, with the child named; a missing or invalid one too', async () => {
    const failing = { ...child, tasks: { read: { with: { error: 'disk on fire' } } }, outputs: undefined }
    const dir = folder({
      'fail.json': failing,
      'bad.json': { weft: 1, name: 'bad', tasks: { a: { needs: ['x'] } } },
    })
    const { runtime } = makeRuntime()
    for (const [uses, message] of [
      ['./fail.json', "subworkflow './fail.json' (run "],
      ['./bad.json', "subworkflow './bad.json': tasks.a.needs[0]: task 'a' needs 'x'"],
      ['./missing.json', "subworkflow './missing.json': workflow file"],
    ] as const) {
      const run = await runtime.start({ workflow: parent(uses), source: join(dir, 'main.json') })
      expect((await runtime.wait(run.id)).status).toBe('failed')
      const review = (await runtime.tasks(run.id)).find((t) => t.taskId === 'review')!
      expect(review.status, uses).toBe('failed')
      expect(review.error!.message, uses).toContain(message)
    }
    await runtime.close()
  })

  it('a workflow that uses itself stops at the nesting limit', async () => {
    const dir = folder({
      'loop.json': { weft: 1, name: 'loop', tasks: { again: { uses: './loop.json' } } },
    })
    const { runtime } = makeRuntime()
    const run = await runtime.start({
      workflow: { weft: 1, name: 'top', tasks: { go: { uses: './loop.json' } } },
      source: join(dir, 'top.json'),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    expect(done.error!.message).toContain('nest subworkflows more than 8 deep')
    await runtime.close()
  })

  it('cancel reaches the child run', async () => {
    const hanging = { ...child, tasks: { read: { with: { hang: true } } }, outputs: undefined }
    const dir = folder({ 'hang.json': hanging })
    const { runtime } = makeRuntime()
    const run = await runtime.start({ workflow: parent('./hang.json'), source: join(dir, 'main.json') })
    const childId = await until(
      async () => (await runtime.tasks(run.id)).find((t) => t.taskId === 'review')?.childRunId,
    )
    await until(async () => (await runtime.tasks(childId)).some((t) => t.status === 'running'))
    await runtime.cancel(run.id)
    expect((await runtime.wait(run.id)).status).toBe('canceled')
    expect((await runtime.wait(childId)).status).toBe('canceled')
    await runtime.close()
  })

  it('a parent recovered after a crash waits for the child it started instead of starting another', async () => {
    const slow = {
      ...child,
      tasks: { ...child.tasks, judge: { needs: ['read'], with: { output: 'ok', delayMs: 400 } } },
    }
    const dir = folder({ 'review.json': slow })
    const store = createMemoryStore()
    const a = mortal(store, 'proc-a')
    const run = await a.runtime.start({ workflow: parent('./review.json'), source: join(dir, 'main.json') })
    const childId = await until(
      async () => (await store.tasks.list(run.id)).find((t) => t.taskId === 'review')?.childRunId,
    )
    a.kill()

    const b = makeRuntime({ store, owner: 'proc-b', leaseTtlMs: 100 })
    await until(async () => {
      const reports = await b.runtime.recover()
      return reports.some((r) => r.runId === run.id && r.outcome === 'recovered') || undefined
    })
    const done = await b.runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    const children = await store.runs.list({ tag: `parent:${run.id}/review` })
    expect(children.items.map((r) => r.id)).toEqual([childId])
    expect((await store.runs.get(childId))!.status).toBe('succeeded')
    await b.runtime.close()
  })

  it('validation: inputs need uses; backend options of a subworkflow task are not used', () => {
    const backends = new Map([['test', { id: 'test' }]])
    const out = validateWorkflow(
      {
        weft: 1,
        name: 'v',
        defaults: { backend: 'test' },
        tasks: { a: { inputs: { x: 1 } }, b: { uses: './x.yaml', prompt: 'hi' } },
      },
      { backends },
    ).diagnostics.map((d) => [d.level, d.code, d.path])
    expect(out).toEqual([
      ['error', 'inputs_without_uses', 'tasks.a.inputs'],
      ['warning', 'uses_ignores', 'tasks.b.prompt'],
    ])
  })
})

function mortal(store: Store, owner: string) {
  const handle = killableStore(store)
  const { runtime, backend } = makeRuntime({ store: handle.store, owner, leaseTtlMs: 100 })
  return { runtime, backend, kill: handle.kill }
}

async function until<T>(check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}
