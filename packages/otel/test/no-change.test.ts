import { createMockBackend } from '@weft/backend-mock'
import { createRuntime, type RunSpecInput, type RuntimeOptions, type WeftEvent } from '@weft/core'
import { startOtlpReceiver } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createOtelTraceSink } from '../src/index.js'

const spec: RunSpecInput = {
  mode: 'batched',
  workflow: {
    weft: 1,
    name: 'same',
    defaults: { backend: 'mock', retry: { maxAttempts: 2, backoffMs: 5, jitter: 0 } },
    tasks: {
      a: {
        prompt: 'a',
        with: { output: { n: 1 }, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 } },
      },
      b: { needs: ['a'], prompt: 'b ${{ tasks.a.output.n }}', with: { failTimes: 1, output: 'b' } },
      c: { needs: ['a'], prompt: 'c', with: { error: 'boom' } },
      d: {
        needs: ['b'],
        prompt: 'd',
        with: { events: [{ message: 'hi' }, { tool: 'search', output: [1] }] },
      },
      e: { needs: ['c'], prompt: 'e' },
    },
  },
}

/** What a run did, without what differs between any two runs (ids, times, durations). */
function shape(events: WeftEvent[]) {
  return events.map((e) => {
    const data = JSON.parse(
      JSON.stringify(e.data, (k, v) => (['durationMs', 'since', 'token'].includes(k) ? undefined : v)),
    )
    return { seq: e.seq, type: e.type, taskId: e.taskId, attempt: e.attempt, severity: e.severity, data }
  })
}

async function runOnce(options: Pick<RuntimeOptions, 'traceSink'>) {
  const runtime = createRuntime({ backends: [createMockBackend()], random: () => 0.5, ...options })
  const run = await runtime.start(spec)
  const summary = await runtime.wait(run.id)
  const events = await runtime.store.events.read(run.id, {})
  const tasks = await runtime.tasks(run.id)
  await runtime.close()
  return { summary, events, tasks }
}

describe('turning tracing on', () => {
  it('changes nothing else: the same events, outputs, usage and task states', async () => {
    const receiver = await startOtlpReceiver()
    try {
      const off = await runOnce({})
      const on = await runOnce({
        traceSink: createOtelTraceSink({ endpoint: receiver.url, spanProcessor: 'simple' }),
      })
      expect(receiver.spans.length).toBeGreaterThan(10)
      expect(shape(on.events)).toEqual(shape(off.events))
      expect(on.summary.status).toBe(off.summary.status)
      expect(on.summary.outputs).toEqual(off.summary.outputs)
      expect(on.summary.usage).toEqual(off.summary.usage)
      expect(on.summary.taskCounts).toEqual(off.summary.taskCounts)
      const taskShape = (t: (typeof on.tasks)[number]) => ({
        id: t.taskId,
        status: t.status,
        output: t.output,
        attempt: t.attempt,
      })
      expect(on.tasks.map(taskShape)).toEqual(off.tasks.map(taskShape))
    } finally {
      await receiver.close()
    }
  })
})
