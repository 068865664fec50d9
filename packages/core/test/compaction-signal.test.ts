/**
 * A compaction (summarize) call made while a task is prepared runs under the task's own signal:
 * a cancel, and the task's timeout, stop it.
 */
import { stubBackend } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import {
  type AbortReason,
  abortReasonOf,
  BackendError,
  type ContextPipeline,
  createRuntime,
} from '../src/index.js'
import { createManualClock } from '../src/run/clock.js'
import { drain, runHarness } from './helpers/run-harness.js'

/** A backend whose summarize calls wait until their signal aborts, and say why it did. */
function summarizingBackend() {
  const aborted: (AbortReason | undefined)[] = []
  let summarizing = 0
  const backend = stubBackend({
    id: 'sum',
    label: 'summarizer',
    capabilities: { cancel: true },
    async execute(req, ctx) {
      if (!req.prompt?.startsWith('Condense')) return { output: 'long text '.repeat(50) }
      summarizing++
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      )
      aborted.push(abortReasonOf(ctx.signal))
      throw new BackendError('canceled', 'summary stopped')
    },
  })
  return { backend, aborted, summarizing: () => summarizing }
}

/** Summarizes every upstream output: the call the task's preparation waits on. */
const summarizingContext: ContextPipeline = {
  specificationVersion: 'weft.context.v1',
  async build(request, tools) {
    const text = JSON.stringify(request.upstream)
    const summary = await tools.summarize(text, 10)
    return { context: { text: summary, tokens: tools.countTokens(summary), sources: [] } }
  },
}

const workflow = (extra: Record<string, unknown> = {}) => ({
  weft: 1 as const,
  name: 'compaction',
  defaults: { backend: 'sum' },
  tasks: {
    source: {},
    digest: { needs: ['source'], context: { from: ['source'], strategy: 'summarize' as const }, ...extra },
  },
})

async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
}

describe('compaction while a task is prepared', () => {
  it('is stopped by a cancel of the run', async () => {
    const s = summarizingBackend()
    const runtime = createRuntime({ backends: [s.backend], context: summarizingContext })
    try {
      const run = await runtime.start({ workflow: workflow() })
      await until(() => s.summarizing() === 1)
      expect(s.summarizing()).toBe(1)
      await runtime.cancel(run.id, 'stop the summary')
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('canceled')
      expect(s.aborted).toEqual([{ kind: 'cancel', message: 'stop the summary' }])
      const tasks = await runtime.tasks(run.id)
      expect(tasks.find((t) => t.taskId === 'digest')!.status).toBe('canceled')
    } finally {
      await runtime.close()
    }
  })

  it("is stopped by the task's timeout", async () => {
    const clock = createManualClock()
    const s = summarizingBackend()
    const h = runHarness({ backends: [s.backend], clock, context: summarizingContext })
    const exec = await h.start({ workflow: workflow({ timeoutMs: 20_000 }) })
    await drain()
    expect(s.summarizing()).toBe(1)
    clock.advance(20_000)
    const done = await exec.settled()
    expect(s.aborted.map((r) => r?.kind)).toEqual(['timeout'])
    expect(done.status).toBe('failed')
    expect(exec.tasks.get('digest')).toMatchObject({ status: 'failed', error: { code: 'timeout' } })
  })
})
