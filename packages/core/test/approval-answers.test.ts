import { describe, expect, it } from 'vitest'
import { createMemoryStore, isWeftError, validateWorkflow, type WeftError } from '../src/index.js'
import { createManualClock } from '../src/run/clock.js'
import { allEvents, makeRuntime } from './helpers/test-backend.js'

/** Approvals (issue 15, part 5): reject with a reason, onReject paths, timeouts, who answered. */

// biome-ignore lint/suspicious/noExplicitAny: task specs of the tests, checked by the schema at start
const wf = (approval: Record<string, any>, extra: Record<string, any> = {}) => ({
  weft: 1 as const,
  name: 'approvals',
  defaults: { backend: 'test' },
  tasks: {
    draft: { with: { output: { title: 'Release 1.2' } } },
    gate: {
      needs: ['draft'],
      approval: { message: 'Publish ${{ tasks.draft.output.title }}?', ...approval },
    },
    publish: { needs: ['gate'], with: { output: 'published' } },
    ...extra,
  },
})

async function errorOf(p: Promise<unknown>): Promise<WeftError> {
  try {
    await p
  } catch (err) {
    if (isWeftError(err)) return err
    throw err
  }
  throw new Error('expected an error')
}

describe('answering approvals', () => {
  it('renders the message template, and a paused run carries the outputs finished so far', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({ workflow: wf({}) })
    const paused = await runtime.wait(run.id)
    expect(paused.status).toBe('paused')
    expect(paused.pause!.waiting[0]!.message).toBe('Publish Release 1.2?')
    expect(paused.outputs).toEqual({ draft: { title: 'Release 1.2' } })
    await runtime.close()
  })

  it('a rejection fails the gate with its reason and who answered; dependents are skipped', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({ workflow: wf({}) })
    const token = (await runtime.wait(run.id)).pause!.waiting[0]!.token
    await runtime.resume(run.id, { token, reject: 'the changelog is wrong', by: 'alice' })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    expect(tasks.gate).toMatchObject({
      status: 'failed',
      error: { code: 'rejected', message: "approval 'gate' was rejected by alice: the changelog is wrong" },
      approval: { status: 'rejected', by: 'alice', reason: 'the changelog is wrong' },
    })
    expect(tasks.publish!.status).toBe('skipped')
    expect(backend.calls.map((c) => c.taskId)).toEqual(['draft'])
    const rejected = (await allEvents(runtime, run.id)).find((e) => e.type === 'task.rejected')
    expect(rejected).toMatchObject({ taskId: 'gate', severity: 'warn', data: { token, by: 'alice' } })
    await runtime.close()
  })

  it('records who approved', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({ workflow: wf({}) })
    const token = (await runtime.wait(run.id)).pause!.waiting[0]!.token
    await runtime.resume(run.id, { token, by: 'ci-key' })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    const gate = (await runtime.tasks(run.id)).find((t) => t.taskId === 'gate')!
    expect(gate.approval).toMatchObject({ status: 'approved', by: 'ci-key' })
    await runtime.close()
  })

  it('onReject: a rejection takes the reject path, an approval skips it', async () => {
    const extra = { notify: { needs: ['gate'], prompt: 'fix: ${{ tasks.gate.output.reason }}' } }
    const rejectRun = makeRuntime()
    const r = await rejectRun.runtime.start({ workflow: wf({ onReject: 'notify' }, extra) })
    const token = (await rejectRun.runtime.wait(r.id)).pause!.waiting[0]!.token
    await rejectRun.runtime.resume(r.id, { token, reject: 'typo in the title' })
    expect((await rejectRun.runtime.wait(r.id)).status).toBe('succeeded')
    const rt = Object.fromEntries((await rejectRun.runtime.tasks(r.id)).map((t) => [t.taskId, t]))
    expect(rt.gate).toMatchObject({
      status: 'succeeded',
      output: { approved: false, reason: 'typo in the title' },
    })
    expect(rt.publish!.status).toBe('skipped')
    expect(rt.notify!.status).toBe('succeeded')
    expect(rejectRun.backend.calls.find((c) => c.taskId === 'notify')!.prompt).toBe('fix: typo in the title')
    await rejectRun.runtime.close()

    const approveRun = makeRuntime()
    const a = await approveRun.runtime.start({ workflow: wf({ onReject: ['notify'] }, extra) })
    const t2 = (await approveRun.runtime.wait(a.id)).pause!.waiting[0]!.token
    await approveRun.runtime.resume(a.id, { token: t2 })
    expect((await approveRun.runtime.wait(a.id)).status).toBe('succeeded')
    const at = Object.fromEntries((await approveRun.runtime.tasks(a.id)).map((t) => [t.taskId, t]))
    expect(at.publish!.status).toBe('succeeded')
    expect(at.notify).toMatchObject({ status: 'skipped', reason: "approval 'gate' was approved" })
    await approveRun.runtime.close()
  })

  it('refuses an unknown or reused token with a resume.invalidToken diagnostic in the details', async () => {
    const { runtime } = makeRuntime()
    const run = await runtime.start({ workflow: wf({}) })
    const token = (await runtime.wait(run.id)).pause!.waiting[0]!.token
    const unknown = await errorOf(runtime.resume(run.id, { token: 'tok_nope' }))
    expect(unknown.code).toBe('resume_token_invalid')
    expect(unknown.details).toMatchObject({ diagnostic: { code: 'resume.invalidToken', reason: 'unknown' } })
    expect(unknown.diagnostics).toMatchObject([{ code: 'resume.invalidToken', level: 'error' }])
    expect(unknown.hint).toContain(`gate (token ${token})`)
    expect((await errorOf(runtime.resume(run.id, { reject: 'no' }))).code).toBe('resume_token_required')
    await runtime.resume(run.id, { token, reject: 'no', by: 'bob' })
    await runtime.wait(run.id)
    const used = await errorOf(runtime.resume(run.id, { token }))
    expect(used.code).toBe('resume_token_used')
    expect(used.details).toMatchObject({ diagnostic: { code: 'resume.invalidToken', reason: 'used' } })
    expect(used.hint).toContain('rejected by bob')
    await runtime.close()
  })
})

describe('approval timeouts', () => {
  async function timedOut(onTimeout: 'reject' | 'approve' | 'fail' | undefined, extra = {}) {
    const clock = createManualClock()
    const { runtime } = makeRuntime({ clock })
    const run = await runtime.start({
      workflow: wf(
        { timeoutMs: 60_000, ...(onTimeout ? { onTimeout } : {}), ...extra },
        {
          notify: { needs: ['gate'], with: { output: 'notified' } },
        },
      ),
    })
    expect((await runtime.wait(run.id)).status).toBe('paused')
    clock.advance(59_999)
    await new Promise((r) => setTimeout(r, 20))
    expect((await runtime.get(run.id))!.status).toBe('paused')
    clock.advance(1)
    const done = await runtime.wait(run.id)
    const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
    await runtime.close()
    return { done, tasks }
  }

  it('fails the gate by default', async () => {
    const { done, tasks } = await timedOut(undefined)
    expect(done.status).toBe('failed')
    expect(tasks.gate).toMatchObject({ status: 'failed', error: { code: 'timeout' } })
    expect(tasks.gate!.error!.message).toContain('nobody answered within 60000 ms')
  })

  it('approves on timeout when the policy says so', async () => {
    const { done, tasks } = await timedOut('approve')
    expect(done.status).toBe('succeeded')
    expect(tasks.gate).toMatchObject({ status: 'succeeded', approval: { status: 'approved', by: 'timeout' } })
    expect(tasks.publish!.status).toBe('succeeded')
  })

  it('rejects on timeout, following onReject', async () => {
    const { done, tasks } = await timedOut('reject', { onReject: 'notify' })
    expect(done.status).toBe('succeeded')
    expect(tasks.gate).toMatchObject({ approval: { status: 'rejected', by: 'timeout' } })
    expect(tasks.publish!.status).toBe('skipped')
    expect(tasks.notify!.status).toBe('succeeded')
  })
})

describe('approval timeouts across processes', () => {
  it('a process that takes the paused run over keeps the gate’s deadline (from when it was asked)', async () => {
    const clock = createManualClock()
    const store = createMemoryStore()
    const first = makeRuntime({ clock, store })
    const run = await first.runtime.start({ workflow: wf({ timeoutMs: 60_000, onTimeout: 'approve' }) })
    expect((await first.runtime.wait(run.id)).status).toBe('paused')
    await first.runtime.close()
    clock.advance(30_000)

    const second = makeRuntime({ clock, store })
    const report = await second.runtime.recover({ runId: run.id })
    expect(report.map((r) => r.runId)).toEqual([run.id])
    clock.advance(29_999)
    await new Promise((r) => setTimeout(r, 20))
    expect((await second.runtime.get(run.id))!.status).toBe('paused')
    clock.advance(1)
    expect((await second.runtime.wait(run.id)).status).toBe('succeeded')
    const gate = (await second.runtime.tasks(run.id)).find((t) => t.taskId === 'gate')!
    expect(gate.approval).toMatchObject({ status: 'approved', by: 'timeout' })
    await second.runtime.close()
  })
})

describe('validating approvals', () => {
  const backends = new Map([['test', { id: 'test' }]])
  it('checks onReject, onTimeout and the message template', () => {
    const r = validateWorkflow(
      wf(
        { message: 'Publish ${{ tasks.draft.outptu }}?', onReject: ['nope', 'side'], onTimeout: 'approve' },
        { side: { needs: ['draft'] } },
      ),
      { backends },
    )
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['approval_unknown_task', 'tasks.gate.approval.onReject[0]'],
      ['approval_reject_not_dependent', 'tasks.gate.approval.onReject[1]'],
      ['approval_timeout_missing', 'tasks.gate.approval.onTimeout'],
      ['template_unknown_field', 'tasks.gate.approval.message'],
    ])
  })
})
