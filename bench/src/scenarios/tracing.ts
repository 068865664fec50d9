/**
 * What tracing costs per task: the same graph of no-op tasks (so that weft's own work is all there
 * is to measure) with tracing off, with `@weft/otel` (spans for run, task, attempt and backend
 * call, metrics, batched OTLP/HTTP export to a receiver in this process that reads and drops the
 * bodies), and with the JSON Lines sink. Real backends take milliseconds to minutes per task; the
 * per-task figure says how much of that tracing adds.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runChild } from '../lib/child.js'
import { int, num, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { summarize } from '../lib/stats.js'
import type { TracingChildInput, TracingChildOutput } from './tracing-child.js'

const MODES = ['off', 'otel', 'jsonl'] as const
/** Two decimals: the differences here are a few percent. */
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '–')

export const tracing: Scenario = {
  name: 'tracing',
  title: 'Tracing cost per task (off vs @weft/otel over OTLP/HTTP vs JSONL sink)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const n = ctx.quick ? 1000 : 5000
    const rounds = ctx.quick ? 2 : 4
    let bytes = 0
    let exports = 0
    // A collector that costs as little as possible: it reads each export and answers 200.
    const receiver = createServer((req, res) => {
      req.on('data', (d: Buffer) => {
        bytes += d.length
      })
      req.on('end', () => {
        exports++
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
    const samples: Record<string, number[]> = { off: [], otel: [], jsonl: [] }
    const flushed: Record<string, number[]> = { off: [], otel: [], jsonl: [] }
    let events = 0
    try {
      for (let round = 0; round < rounds; round++) {
        // Modes alternate within each round, so drift in the machine's load hits all of them.
        for (const mode of MODES) {
          const input: TracingChildInput = { mode, n, warmup: 1, runs: 2, endpoint }
          const out = await runChild<TracingChildOutput>('scenarios/tracing-child.ts', input, {
            nodeArgs: ['--expose-gc'],
            timeoutMs: 600_000,
          })
          samples[mode]!.push(...out.samples)
          flushed[mode]!.push(...out.withFlush)
          events = out.events
          ctx.log(
            `  tracing ${mode.padEnd(5)} round ${round + 1}: ${out.samples.map((ms) => num(ms)).join(', ')} ms`,
          )
        }
      }
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()))
    }
    const median = (m: string) => summarize(samples[m]!).median
    const medianFlushed = (m: string) => summarize(flushed[m]!).median
    const perTaskUs = (ms: number) => (ms * 1000) / n
    const table: Table = {
      title: `${int(n)} no-op tasks, ${int(events)} events per run, median of ${samples.off!.length} runs`,
      headers: [
        'tracing',
        'run (ms)',
        'per task (µs)',
        'vs off',
        'with final flush (ms)',
        'added per task (µs)',
      ],
      rows: MODES.map((m) => [
        m,
        num(median(m)),
        num(perTaskUs(median(m))),
        ratio(median(m), median('off')),
        num(medianFlushed(m)),
        m === 'off' ? '–' : num(perTaskUs(median(m) - median('off'))),
      ]),
    }
    return {
      tables: [table],
      notes: [
        `OTLP/HTTP exports received: ${int(exports)}, ${num(bytes / 1024 / 1024)} MiB of JSON (batched in the background; the final flush happens in runtime.close()).`,
        'Each task makes 3 spans (task, attempt, backend call) plus its share of the run span; the metrics are updated from the same events.',
      ],
      headline: [
        [
          'tracing (@weft/otel) per task, vs off',
          `${num(perTaskUs(median('otel')))} µs`,
          `${num(perTaskUs(median('off')))} µs`,
          ratio(median('otel'), median('off')),
        ],
        [
          'tracing (JSONL sink) per task, vs off',
          `${num(perTaskUs(median('jsonl')))} µs`,
          `${num(perTaskUs(median('off')))} µs`,
          ratio(median('jsonl'), median('off')),
        ],
      ],
      data: { n, events, samples, flushed, exports, bytes },
    }
  },
}
