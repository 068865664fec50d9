import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createMockBackend } from '@weft/backend-mock'
import { createOpenAIBackend } from '@weft/backend-openai'
import { createShellBackend } from '@weft/backend-shell'
import { createRuntime, type RunSpecInput, type Runtime } from '@weft/core'
import { createCostModel } from '@weft/cost'
import { type OtlpReceiver, type ReceivedSpan, startFakeModelServer, startOtlpReceiver } from '@weft/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { attemptSpanId, attemptTraceContext, createOtelTraceSink, runTraceId } from '../src/index.js'

let receiver: OtlpReceiver
let runtime: Runtime | undefined

beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(async () => {
  await runtime?.close()
  runtime = undefined
  await receiver.close()
})

const sink = () =>
  createOtelTraceSink({ endpoint: receiver.url, serviceName: 'weft-test', spanProcessor: 'simple' })

/** a → (b, c) → d: b fails once and is retried, c fails for good, so d is skipped. */
const diamond: RunSpecInput = {
  workflow: {
    weft: 1,
    name: 'diamond',
    defaults: { backend: 'mock', model: 'mock-1', retry: { maxAttempts: 2, backoffMs: 20, jitter: 0 } },
    tasks: {
      a: {
        prompt: 'start',
        with: { delayMs: 30, usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.001, model: 'mock-1' } },
      },
      b: { needs: ['a'], prompt: 'flaky', with: { delayMs: 20, failTimes: 1, output: 'ok' } },
      c: { needs: ['a'], prompt: 'broken', with: { delayMs: 15, error: 'boom' } },
      d: { needs: ['b', 'c'], prompt: 'join' },
    },
  },
}

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name)
  expect(found, `one span named ${name}`).toHaveLength(1)
  return found[0]!
}

describe('@weft/otel spans over OTLP/HTTP', () => {
  it('records a failed run’s compensations as events of its span, in the order they ran', async () => {
    runtime = createRuntime({ backends: [createMockBackend()], traceSink: sink() })
    const run = await runtime.start({
      workflow: {
        weft: 1,
        name: 'undo',
        defaults: { backend: 'mock' },
        tasks: {
          book: {
            prompt: 'book',
            with: { output: { id: 7 } },
            compensate: { with: { output: 'undo ${{ output.id }}' } },
          },
          pay: { needs: ['book'], prompt: 'pay', with: { error: 'declined' } },
        },
      },
    })
    expect((await runtime.wait(run.id)).status).toBe('failed')
    await runtime.close()
    runtime = undefined
    const root = byName(receiver.spans, 'weft.run undo')
    const events = root.events.filter(
      (e) => e.name.startsWith('weft.run.compensating') || e.name.startsWith('weft.compensation.'),
    )
    expect(events.map((e) => [e.name, e.attributes['weft.task.id']])).toEqual([
      ['weft.run.compensating', undefined],
      ['weft.compensation.started', 'book'],
      ['weft.compensation.succeeded', 'book'],
    ])
    expect(events[0]!.attributes['weft.compensation.outcome']).toBe('failed')
  })

  it('exports a diamond run as run → task → attempt → backend call, with the retry and the failure', async () => {
    runtime = createRuntime({ backends: [createMockBackend()], traceSink: sink() })
    const run = await runtime.start(diamond)
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    await runtime.close()
    runtime = undefined

    const root = byName(receiver.spans, 'weft.run diamond')
    const spans = receiver.trace(root.traceId)
    expect(root.parentSpanId).toBeUndefined()
    // Ids any process can compute again from the store: the trace from the run id, attempts from
    // (run, task, attempt).
    expect(root.traceId).toBe(runTraceId(run.id))
    expect(byName(spans, 'weft.attempt b#2').spanId).toBe(attemptSpanId(run.id, 'b', 2))
    expect(root.attributes['weft.run.id']).toBe(run.id)
    expect(root.attributes['weft.run.status']).toBe('failed')
    expect(root.status.code).toBe('error')
    expect(root.resource['service.name']).toBe('weft-test')

    const task = (id: string) => byName(spans, `weft.task ${id}`)
    for (const id of ['a', 'b', 'c', 'd']) expect(task(id).parentSpanId).toBe(root.spanId)
    expect(task('a').status.code).toBe('ok')
    expect(task('b').status.code).toBe('ok')
    expect(task('c').status.code).toBe('error')
    expect(task('c').events.map((e) => e.name)).toContain('exception')
    expect(task('d').attributes['weft.task.status']).toBe('skipped')
    expect(spans.filter((s) => s.parentSpanId === task('d').spanId)).toEqual([])

    // b: two attempts under its task; the first failed and scheduled the retry.
    const b1 = byName(spans, 'weft.attempt b#1')
    const b2 = byName(spans, 'weft.attempt b#2')
    expect([b1.parentSpanId, b2.parentSpanId]).toEqual([task('b').spanId, task('b').spanId])
    expect(b1.status.code).toBe('error')
    expect(b1.attributes['error.type']).toBe('server_error')
    expect(b1.attributes['weft.retry.next_attempt']).toBe(2)
    expect(b1.events.find((e) => e.name === 'exception')?.attributes['exception.type']).toBe('server_error')
    expect(b2.status.code).toBe('ok')
    expect(task('b').events.map((e) => e.name)).toContain('weft.retry_scheduled')

    // Every attempt has exactly one backend call under it, a GenAI client span.
    const attempts = spans.filter((s) => s.name.startsWith('weft.attempt '))
    expect(attempts.map((s) => s.name).sort()).toEqual([
      'weft.attempt a#1',
      'weft.attempt b#1',
      'weft.attempt b#2',
      'weft.attempt c#1',
    ])
    for (const a of attempts) {
      const calls = spans.filter((s) => s.parentSpanId === a.spanId)
      expect(calls).toHaveLength(1)
      expect(calls[0]!.kind).toBe('client')
      expect(calls[0]!.attributes['weft.backend']).toBe('mock')
      expect(calls[0]!.name).toBe('invoke_agent mock-1')
      expect(calls[0]!.attributes['gen_ai.operation.name']).toBe('invoke_agent')
      expect(calls[0]!.attributes['gen_ai.request.model']).toBe('mock-1')
      expect(calls[0]!.status.code).toBe(a.status.code)
    }
    const aCall = spans.find((s) => s.parentSpanId === byName(spans, 'weft.attempt a#1').spanId)!
    expect(aCall.attributes['gen_ai.usage.input_tokens']).toBe(100)
    expect(aCall.attributes['gen_ai.usage.output_tokens']).toBe(20)
    expect(aCall.attributes['weft.cost_usd']).toBe(0.001)
    expect(aCall.attributes['gen_ai.response.model']).toBe('mock-1')
    // Token counts in GenAI terms only on backend calls: backends that add them up count each once.
    for (const s of spans.filter((x) => x.kind !== 'client'))
      expect(s.attributes['gen_ai.usage.input_tokens']).toBeUndefined()
    expect(root.attributes['weft.usage.input_tokens']).toBeGreaterThanOrEqual(100)

    // Spans sit inside their parents, in the times of the events.
    for (const s of spans) {
      const parent = spans.find((p) => p.spanId === s.parentSpanId)
      if (!parent) continue
      expect(s.startMs).toBeGreaterThanOrEqual(parent.startMs)
      expect(s.endMs).toBeLessThanOrEqual(parent.endMs + 1)
    }

    // The runtime's lifecycle, as spans of their own.
    expect(receiver.spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['weft.runtime.started', 'weft.runtime.stopped']),
    )
    // Metrics went out on shutdown.
    const names = new Set(receiver.metrics.map((m) => m.name))
    for (const n of [
      'weft.runs',
      'weft.tasks',
      'weft.task.duration',
      'gen_ai.client.token.usage',
      'weft.cost',
      'weft.events',
    ])
      expect(names).toContain(n)
    const tasks = receiver.metrics.filter((m) => m.name === 'weft.tasks')
    const byStatus = Object.fromEntries(tasks.map((m) => [m.attributes['weft.task.status'], m.value]))
    expect(byStatus).toEqual({ succeeded: 2, failed: 1, skipped: 1 })

    const text = receiver.render(root.traceId)
    expect(text.split('\n')[0]).toMatch(/^weft\.run diamond/)
    if (process.env.WEFT_WRITE_TRACE_DOCS === '1') {
      const docs = join(dirname(fileURLToPath(import.meta.url)), '../../../docs')
      await mkdir(docs, { recursive: true })
      await writeFile(join(docs, 'trace-diamond.txt'), `${text}\n`)
      await writeFile(join(docs, 'trace-diamond.svg'), receiver.renderSvg(root.traceId))
    }
  })

  it('an HTTP backend call carries GenAI attributes and sends its traceparent to the model server', async () => {
    const models = await startFakeModelServer()
    try {
      models.script({ text: 'hi there', usage: { inputTokens: 11, outputTokens: 7 }, model: 'gpt-test-2' })
      runtime = createRuntime({
        backends: [createOpenAIBackend({ baseUrl: `${models.url}/v1`, env: {} })],
        // Priced by the catalog: $1 per million input tokens, $2 per million output tokens.
        cost: createCostModel({
          models: [
            {
              id: 'gpt-test-2',
              provider: 'test',
              inputPerMTok: 1,
              outputPerMTok: 2,
              contextWindow: 8000,
              maxOutputTokens: 1000,
            },
          ],
        }),
        traceSink: sink(),
      })
      const run = await runtime.start({
        workflow: {
          weft: 1,
          name: 'ask',
          tasks: { ask: { backend: 'openai', model: 'gpt-test', prompt: 'hello' } },
        },
      })
      expect((await runtime.wait(run.id)).status).toBe('succeeded')
      await runtime.close()
      runtime = undefined

      const call = byName(receiver.spans, 'chat gpt-test')
      expect(call.kind).toBe('client')
      expect(call.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-test',
        'gen_ai.response.model': 'gpt-test-2',
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 7,
        'weft.backend': 'openai',
        'weft.cost_usd': 0.000025,
      })
      expect(call.parentSpanId).toBe(byName(receiver.spans, 'weft.attempt ask#1').spanId)
      const sent = models.requests.find((r) => r.path.endsWith('/chat/completions'))
      expect(sent?.headers.traceparent).toBe(`00-${call.traceId}-${call.spanId}-01`)
    } finally {
      await models.close()
    }
  })

  it('a subprocess backend gets TRACEPARENT in its environment', async () => {
    runtime = createRuntime({ backends: [createShellBackend()], traceSink: sink() })
    const run = await runtime.start({
      workflow: {
        weft: 1,
        name: 'env',
        tasks: {
          print: {
            backend: 'shell',
            with: {
              command: [process.execPath, '-e', 'process.stdout.write(process.env.TRACEPARENT ?? "none")'],
            },
          },
        },
      },
    })
    const done = await runtime.wait(run.id)
    await runtime.close()
    runtime = undefined
    const call = byName(receiver.spans, 'weft.backend shell')
    expect(call.attributes['gen_ai.operation.name']).toBeUndefined()
    expect(done.outputs?.print).toBe(`00-${call.traceId}-${call.spanId}-01`)
    // What a worker elsewhere would compute for this attempt's backend call, from stored ids alone.
    expect(attemptTraceContext({ runId: run.id, taskId: 'print', attempt: 1, call: true }).traceparent).toBe(
      done.outputs?.print,
    )
  })
})

describe('@weft/otel events on spans', () => {
  it('an approval wait and its answer, a budget stop and the pause and resume are span events', async () => {
    runtime = createRuntime({ backends: [createMockBackend()], traceSink: sink() })
    const run = await runtime.start({
      workflow: {
        weft: 1,
        name: 'gated',
        defaults: { backend: 'mock' },
        budget: { maxTokens: 1000, onExceeded: 'pause' },
        tasks: {
          gate: { approval: { message: 'Go on?' } },
          big: { needs: ['gate'], with: { usage: { inputTokens: 5000, outputTokens: 10 } } },
        },
      },
    })
    const paused = await runtime.wait(run.id)
    expect(paused.pause?.reason).toBe('approval')
    await runtime.resume(run.id, { token: paused.pause!.waiting[0]!.token, input: { ok: true } })
    const overBudget = await runtime.wait(run.id)
    expect(overBudget.pause?.reason).toBe('budget')
    await runtime.cancel(run.id)
    await runtime.wait(run.id)
    await runtime.close()
    runtime = undefined

    const root = byName(receiver.spans, 'weft.run gated')
    const gate = byName(receiver.spans, 'weft.task gate')
    expect(gate.events.map((e) => e.name)).toEqual(['weft.approval.waiting', 'weft.approval.approved'])
    expect(gate.events[0]!.attributes['weft.message']).toBe('Go on?')
    const names = root.events.map((e) => e.name)
    expect(names).toEqual(
      expect.arrayContaining(['weft.run.paused', 'weft.run.resumed', 'weft.budget.exceeded']),
    )
    expect(root.attributes['weft.budget.exceeded']).toBe(true)
    expect(root.attributes['weft.run.status']).toBe('canceled')
    expect(byName(receiver.spans, 'weft.task big').attributes['weft.task.status']).toBe('canceled')
  })
})
