/**
 * One child process of the tracing scenario: weft runs a graph of no-op tasks on the in-memory
 * store `warmup + runs` times, with tracing off, with `@weft/otel` exporting over OTLP/HTTP to
 * the parent's receiver, or with the JSON Lines sink, and prints the timings of the `runs`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createJsonlTraceSink, createMemoryStore, createRuntime, type TraceSink } from '@weft/core'
import { createOtelTraceSink } from '@weft/otel'
import { childInput, childOutput } from '../lib/child.js'
import { layeredDag } from '../lib/graph.js'
import { noopBackend, PARALLELISM, workflowOf } from './scheduler-systems.js'

export interface TracingChildInput {
  mode: 'off' | 'otel' | 'jsonl'
  n: number
  warmup: number
  runs: number
  /** The OTLP endpoint (mode `otel`). */
  endpoint?: string
}

export interface TracingChildOutput {
  /** Start to the run's end, ms. */
  samples: number[]
  /** Start to the sink having handed everything on (flush on close), ms. */
  withFlush: number[]
  events: number
}

const input = childInput<TracingChildInput>()
const dag = layeredDag(input.n)
const out: TracingChildOutput = { samples: [], withFlush: [], events: 0 }
const gc = (globalThis as { gc?: () => void }).gc
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-trace-'))

try {
  for (let i = 0; i < input.warmup + input.runs; i++) {
    gc?.()
    let sink: TraceSink | undefined
    if (input.mode === 'otel')
      sink = createOtelTraceSink({ endpoint: input.endpoint, metricIntervalMs: 60_000 })
    if (input.mode === 'jsonl') sink = createJsonlTraceSink({ path: join(dir, `run-${i}.jsonl`) })
    const runtime = createRuntime({
      store: createMemoryStore(),
      backends: [noopBackend],
      maxParallelism: PARALLELISM,
      ...(sink ? { traceSink: sink } : {}),
    })
    const t0 = performance.now()
    const started = await runtime.start({ workflow: workflowOf(dag), initiator: 'code' })
    const done = await runtime.wait(started.id)
    const t1 = performance.now()
    await runtime.close()
    const t2 = performance.now()
    if (done.status !== 'succeeded') throw new Error(`the run ended ${done.status}`)
    if (i >= input.warmup) {
      out.samples.push(t1 - t0)
      out.withFlush.push(t2 - t0)
      out.events = done.lastSeq
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
childOutput(out)
