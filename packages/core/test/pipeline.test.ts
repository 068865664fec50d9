import { describe, expect, it } from 'vitest'
import {
  CONTEXT_PIPELINE_SPECIFICATION_VERSION,
  COST_MODEL_SPECIFICATION_VERSION,
  type ContextPipeline,
  type CostModel,
  createMemoryStore,
  type TaskInput,
  type Usage,
  type WorkflowInput,
} from '../src/index.js'
import { allEvents, makeRuntime } from './helpers/test-backend.js'

const wf = (tasks: Record<string, TaskInput>, extra: Partial<WorkflowInput> = {}): WorkflowInput => ({
  weft: 1,
  name: 'pipeline',
  defaults: { backend: 'test' },
  ...extra,
  tasks,
})

/** $1 per input token and $2 per output token for model `m`; every other model is unknown. */
const fakeCost: CostModel = {
  specificationVersion: COST_MODEL_SPECIFICATION_VERSION,
  model: (id) =>
    id === 'm'
      ? {
          id: 'm',
          provider: 'test',
          aliases: [],
          inputPerMTok: 1e6,
          outputPerMTok: 2e6,
          contextWindow: 1000,
          maxOutputTokens: 100,
        }
      : undefined,
  models: () => [],
  countTokens: (text) => (text ? text.split(/\s+/).filter(Boolean).length || 1 : 0),
  cost: (u: Usage, model) => (model === 'm' ? u.inputTokens + 2 * u.outputTokens : undefined),
  estimate: ({ text, model }) => ({
    inputTokens: text.split(/\s+/).length,
    outputTokens: 5,
    ...(model === 'm' ? { costUsd: text.split(/\s+/).length + 10 } : {}),
  }),
}

describe('budgets', () => {
  const chain = { a: {}, b: { needs: ['a'] }, c: { needs: ['b'] } }

  it('pauses before the task that would go over, and a raised budget finishes the run', async () => {
    const { runtime, backend } = makeRuntime()
    const run = await runtime.start({ workflow: wf(chain, { budget: { maxTokens: 40 } }) })
    const paused = await runtime.wait(run.id)
    expect(paused).toMatchObject({ status: 'paused', pause: { reason: 'budget' } })
    expect(paused.pause!.message).toContain("task 'c'")
    expect(backend.calls.map((c) => c.taskId)).toEqual(['a', 'b'])
    const exceeded = (await allEvents(runtime, run.id)).filter((e) => e.type === 'budget.exceeded')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({
      taskId: 'c',
      data: { scope: 'run', limit: 'tokens', max: 40, spent: 30, estimate: 15, policy: 'pause' },
    })
    await runtime.resume(run.id, { budget: { maxTokens: 100 } })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.usage).toMatchObject({ inputTokens: 30, outputTokens: 15 })
    expect((await runtime.store.runs.getSpec(run.id))!.budget).toEqual({ maxTokens: 100 })
    await runtime.close()
  })

  it('fails the task, or the run, by policy', async () => {
    const { runtime, backend } = makeRuntime()
    const failTask = await runtime.start({
      workflow: wf({ ...chain, side: {} }, { budget: { maxTokens: 40, onExceeded: 'fail_task' } }),
    })
    const done = await runtime.wait(failTask.id)
    expect(done.status).toBe('failed')
    // a and side use 30 of 40 tokens; b (15 more) would go over: it fails, c is skipped.
    const tasks = Object.fromEntries((await runtime.tasks(failTask.id)).map((t) => [t.taskId, t]))
    expect(tasks.b).toMatchObject({ status: 'failed', attempt: 0, error: { code: 'budget' } })
    expect(tasks.c!.status).toBe('skipped')
    expect(tasks.side!.status).toBe('succeeded')
    expect(backend.calls.map((x) => x.taskId).sort()).toEqual(['a', 'side'])

    // The only task that could run is refused at once: its dependent is skipped, not taken for a deadlock.
    const alone = await runtime.start({
      workflow: wf(
        { first: {}, next: { needs: ['first'] } },
        { budget: { maxTokens: 10, onExceeded: 'fail_task' } },
      ),
    })
    expect(await runtime.wait(alone.id)).toMatchObject({ status: 'failed', error: { code: 'task_failed' } })
    const aloneTasks = Object.fromEntries((await runtime.tasks(alone.id)).map((t) => [t.taskId, t.status]))
    expect(aloneTasks).toEqual({ first: 'failed', next: 'skipped' })

    // Three parallel tasks: the third would take the run over once the first two are in flight.
    const failRun = await runtime.start({
      workflow: wf(
        { p1: { with: { delayMs: 30 } }, p2: { with: { delayMs: 30 } }, p3: { with: { delayMs: 30 } } },
        { budget: { maxTokens: 40, onExceeded: 'fail_run' } },
      ),
    })
    const failed = await runtime.wait(failRun.id)
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'budget_exceeded' } })
    const events = await allEvents(runtime, failRun.id)
    expect(events.filter((e) => e.type === 'budget.exceeded').map((e) => e.taskId)).toEqual(['p3'])
    expect(events.filter((e) => e.type === 'task.started').map((e) => e.taskId)).toEqual(['p1', 'p2'])
    await runtime.close()
  })

  it('checks USD budgets with the cost model and prices usage; a reported cost wins, both are kept', async () => {
    const { runtime } = makeRuntime({ cost: fakeCost })
    const run = await runtime.start({
      workflow: wf(
        {
          priced: { model: 'm', with: { usage: { inputTokens: 3, outputTokens: 2 } } },
          reported: { model: 'm', with: { usage: { inputTokens: 3, outputTokens: 2, costUsd: 0.5 } } },
          unknown: { model: 'mystery' },
        },
        { budget: { maxCostUsd: 100 } },
      ),
    })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    const usage = (await allEvents(runtime, run.id)).filter((e) => e.type === 'usage.recorded')
    const byTask = Object.fromEntries(usage.map((e) => [e.taskId, e.data]))
    expect(byTask.priced).toMatchObject({ costUsd: 7, computedCostUsd: 7, model: 'm' })
    expect(byTask.reported).toMatchObject({ costUsd: 0.5, computedCostUsd: 7, reportedCostUsd: 0.5 })
    expect(byTask.unknown!.costUsd).toBeUndefined()
    expect(done.usage.costUsd).toBe(7.5)
    expect(done.usageByModel).toMatchObject({
      m: { costUsd: 7.5, inputTokens: 6 },
      mystery: { inputTokens: 10 },
    })
    expect(done.usageByBackend).toMatchObject({ test: { inputTokens: 16, outputTokens: 9 } })
    expect(done.estimated).toMatchObject({ tokens: 5 + 5 + 15 })
    const diagnostics = (await allEvents(runtime, run.id)).filter((e) => e.type === 'diagnostic')
    expect(diagnostics.map((e) => e.data.code)).toEqual(['unknown_model_cost'])
    await runtime.close()
  })
})

describe('context and memory', () => {
  const pipeline: ContextPipeline & { requests: unknown[] } = {
    specificationVersion: CONTEXT_PIPELINE_SPECIFICATION_VERSION,
    requests: [],
    async build(request, tools) {
      this.requests.push(request)
      // A fake router: `plan.stops` is member `stops` of task `plan`'s output.
      const sources = request.from.map((entry) => {
        const [id, ...path] = entry.split('.')
        const value = path.reduce<unknown>(
          (v, k) => (v as Record<string, unknown>)[k],
          request.upstream[id!]!.output,
        )
        return { label: `tasks.${entry}`, value }
      })
      const text = sources
        .map((s) => `## ${s.label}\n${typeof s.value === 'string' ? s.value : JSON.stringify(s.value)}`)
        .join('\n')
      const tokens = tools.countTokens(text)
      if (tokens <= request.maxTokens)
        return { context: { text, tokens, sources: sources.map((s) => ({ label: s.label, tokens: 1 })) } }
      const cut = text.split(/\s+/).slice(0, request.maxTokens).join(' ')
      return {
        context: { text: cut, tokens: request.maxTokens, sources: [] },
        compaction: {
          strategy: request.strategy,
          beforeTokens: tokens,
          afterTokens: request.maxTokens,
          dropped: [],
        },
      }
    },
  }

  it('builds context from the selected upstream outputs, compacts it, and puts it before the prompt', async () => {
    const { runtime, backend } = makeRuntime({ context: pipeline, cost: fakeCost })
    const run = await runtime.start({
      workflow: wf({
        plan: { with: { output: { stops: ['one two three', 'four'], note: 'x' } } },
        other: { with: { output: 'alpha beta gamma delta' } },
        write: {
          needs: ['plan', 'other'],
          prompt: 'Write it.',
          context: { from: ['plan.stops', 'other'], maxTokens: 6, strategy: 'keep-head' },
        },
        placed: { needs: ['other'], prompt: 'Before. ${{ context }} After.', context: {} },
      }),
    })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    const write = backend.calls.find((c) => c.taskId === 'write')!
    // 11 words of context cut to the cap of 6 (the fake pipeline counts words), then the prompt.
    expect(write.prompt).toBe('## tasks.plan.stops ["one two three","four"] ##\n\nWrite it.')
    expect(backend.calls.find((c) => c.taskId === 'placed')!.prompt).toBe(
      'Before. ## tasks.other\nalpha beta gamma delta After.',
    )
    const events = await allEvents(runtime, run.id)
    const compacted = events.find((e) => e.type === 'context.compacted' && e.taskId === 'write')!
    expect(compacted.data).toMatchObject({ strategy: 'keep-head', afterTokens: 6 })
    expect((compacted.data as { beforeTokens: number }).beforeTokens).toBe(11)
    expect(events.some((e) => e.type === 'context.built' && e.taskId === 'placed')).toBe(true)
    await runtime.close()
  })

  it('keeps run and agent memory in the store, readable in templates, across runs and recovery', async () => {
    const store = createMemoryStore()
    const { runtime, backend } = makeRuntime({ store, agents: { scribe: { backend: 'test' } } })
    const first = await runtime.start({
      workflow: wf({
        remember: { agent: 'scribe', with: { memory: { run: { topic: 'ports' }, agent: { seen: 1 } } } },
        use: { needs: ['remember'], prompt: 'topic=${{ memory.run.topic }}' },
      }),
    })
    expect((await runtime.wait(first.id)).status).toBe('succeeded')
    expect(backend.calls.find((c) => c.taskId === 'use')!.prompt).toBe('topic=ports')
    expect(await store.memory.get(`run:${first.id}`, 'topic')).toMatchObject({ value: 'ports' })
    const second = await runtime.start({
      workflow: wf({ recall: { agent: 'scribe', prompt: 'seen=${{ memory.agent.seen }}' } }),
    })
    await runtime.wait(second.id)
    expect(backend.calls.find((c) => c.taskId === 'recall')!.prompt).toBe('seen=1')
    await runtime.close()
  })
})
