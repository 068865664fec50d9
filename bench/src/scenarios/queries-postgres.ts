/**
 * Event queries on PostgreSQL next to SQLite: the workload of `queries` (1,000,000 events in 10
 * runs, written through `store.commit`; page reads, queries by task, type and severity, a
 * whole-run export) on a fresh PostgreSQL database and on a fresh SQLite file, one child process
 * each, one after the other, so both see the same machine.
 */
import { runChild } from '../lib/child.js'
import { int, mb, num, ratio, type Table } from '../lib/format.js'
import type { WorkloadInput } from '../lib/query-workload.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import type { percentiles } from '../lib/stats.js'

type Pct = ReturnType<typeof percentiles>
interface ChildOutput {
  written: number
  insertMs: number
  dbBytes: number
  runEvents: number
  queries: Record<string, Pct>
  export: Pct & { bytes: number }
}

export const queriesPostgres: Scenario = {
  name: 'queries-postgres',
  title: 'Event queries: PostgreSQL next to SQLite',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const input: WorkloadInput = ctx.quick
      ? { events: 100_000, runs: 2, samples: 100, exports: 3 }
      : { events: 1_000_000, runs: 10, samples: 300, exports: 5 }
    ctx.log(`queries-postgres: ${int(input.events)} events in ${input.runs} runs, PostgreSQL`)
    const pg = await runChild<ChildOutput>('scenarios/queries-postgres-child.ts', input, {
      timeoutMs: 900_000,
    })
    ctx.log(`  written in ${num(pg.insertMs / 1000)} s; export p50 ${num(pg.export.p50)} ms`)
    ctx.log(`queries-postgres: the same on SQLite`)
    const lite = await runChild<ChildOutput>('scenarios/queries-child.ts', input, { timeoutMs: 900_000 })
    ctx.log(`  written in ${num(lite.insertMs / 1000)} s; export p50 ${num(lite.export.p50)} ms`)

    const exportRow = (o: ChildOutput) => o.export
    const rows = [
      ...Object.keys(pg.queries).map((name) => [name, pg.queries[name]!, lite.queries[name]!] as const),
      [
        `export: the whole run as JSONL (${int(pg.runEvents)} events)`,
        exportRow(pg),
        exportRow(lite),
      ] as const,
    ]
    const table: Table = {
      title: `${int(pg.written)} events in ${input.runs} runs (PostgreSQL ${mb(pg.dbBytes)} MB database, written at ${int(pg.written / (pg.insertMs / 1000))} events/s; SQLite ${mb(lite.dbBytes)} MB file, ${int(lite.written / (lite.insertMs / 1000))} events/s); queries on one run of ${int(pg.runEvents)} events`,
      headers: [
        'query',
        'PostgreSQL p50 ms',
        'p99 ms',
        'SQLite p50 ms',
        'p99 ms',
        'PostgreSQL / SQLite (p50)',
      ],
      rows: rows.map(([name, p, s]) => [
        name,
        num(p.p50),
        num(p.p99),
        num(s.p50),
        num(s.p99),
        ratio(p.p50, s.p50),
      ]),
    }
    return {
      tables: [table],
      notes: [
        'The store API (`events.read`, `events.query`, `exportEvents` of @weft/export into a sink that discards), after 5 warm-up calls, random task and seq each call. PostgreSQL on 127.0.0.1 (a round trip per call, through the pg pool), ANALYZE after the load; SQLite in-process.',
      ],
      headline: [
        [
          `export of a ${int(pg.runEvents)}-event run at ${int(pg.written)} events, PostgreSQL vs SQLite`,
          `${num(pg.export.p50)} ms`,
          `${num(lite.export.p50)} ms`,
          ratio(pg.export.p50, lite.export.p50),
        ],
      ],
      data: { input, postgres: pg, sqlite: lite },
    }
  },
}
