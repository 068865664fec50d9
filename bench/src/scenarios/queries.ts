/**
 * Scenario 4: reading the log back. 10,000 and 1,000,000 events in the SQLite store; page
 * reads after a seq, queries by task, type and severity with a limit, and a whole-run export.
 */
import { runChild } from '../lib/child.js'
import { int, mb, num, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import type { percentiles } from '../lib/stats.js'
import type { QueriesChildInput } from './queries-child.js'

type Pct = ReturnType<typeof percentiles>
interface QueriesChildOutput {
  written: number
  insertMs: number
  dbBytes: number
  runEvents: number
  queries: Record<string, Pct>
  export: Pct & { bytes: number }
}

export const queries: Scenario = {
  name: 'queries',
  title: 'Event queries (SQLite store)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const sizes: QueriesChildInput[] = ctx.quick
      ? [
          { events: 10_000, runs: 1, samples: 100, exports: 3 },
          { events: 100_000, runs: 2, samples: 100, exports: 3 },
        ]
      : [
          { events: 10_000, runs: 1, samples: 300, exports: 5 },
          { events: 1_000_000, runs: 10, samples: 300, exports: 5 },
        ]
    const results: { input: QueriesChildInput; out: QueriesChildOutput }[] = []
    for (const input of sizes) {
      ctx.log(`queries: ${int(input.events)} events in ${input.runs} run(s)`)
      const out = await runChild<QueriesChildOutput>('scenarios/queries-child.ts', input, {
        timeoutMs: 600_000,
      })
      ctx.log(
        `  written in ${num(out.insertMs / 1000)} s; export of ${int(out.runEvents)} events p50 ${num(out.export.p50)} ms`,
      )
      results.push({ input, out })
    }
    const tables: Table[] = results.map(({ input, out }) => ({
      title: `${int(out.written)} events in ${input.runs} run(s) (${mb(out.dbBytes)} MB file; written through store.commit at ${int(out.written / (out.insertMs / 1000))} events/s); queries on one run of ${int(out.runEvents)} events`,
      headers: ['query', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'n'],
      rows: [
        ...Object.entries(out.queries).map(([name, p]) => [
          name,
          num(p.p50),
          num(p.p95),
          num(p.p99),
          num(p.max),
          String(p.n),
        ]),
        [
          `export: the whole run as JSONL (${int(out.runEvents)} events, ${mb(out.export.bytes)} MB) — ${int(out.runEvents / (out.export.p50 / 1000))} events/s`,
          num(out.export.p50),
          num(out.export.p95),
          num(out.export.p99),
          num(out.export.max),
          String(out.export.n),
        ],
      ],
    }))
    const worst = (o: QueriesChildOutput) => Math.max(...Object.values(o.queries).map((p) => p.p99))
    return {
      tables,
      notes: [
        'Latencies of the store API (`events.read`, `events.query`, `exportEvents` from @weft/core into a sink that discards), after 5 warm-up calls, random task and seq each call; one child process per size.',
      ],
      headline: results.flatMap(({ out }) => [
        [
          `queries, ${int(out.written)} events: worst p99 of page/task/type queries`,
          `${num(worst(out))} ms`,
          '–',
          '–',
        ],
        [
          `export, run of ${int(out.runEvents)} events (JSONL)`,
          `${num(out.export.p50)} ms`,
          `${int(out.runEvents / (out.export.p50 / 1000))} events/s`,
          '–',
        ],
      ]),
      data: results,
    }
  },
}
