/**
 * Scenario 2: what durability costs. The graphs of scenario 1 run by weft on the SQLite store
 * (WAL, a file in a temp dir) and on the in-memory store, against the floor of inserting the
 * same number of events straight through the store's SQLite driver: in transactions of 1,000 rows (the
 * floor asked for) and in as many transactions as weft committed (the floor for committing
 * each step before acting on it, which is what weft promises).
 */
import { runChild } from '../lib/child.js'
import { int, num, ratio, spread, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { type Summary, summarize } from '../lib/stats.js'
import type { GraphChildInput, GraphChildOutput } from './graph-child.js'
import type { RawChildInput } from './raw-sqlite-child.js'

interface Plan {
  n: number
  rounds: number
  warmup: number
  runs: number
}

function plans(quick: boolean): Plan[] {
  if (quick)
    return [
      { n: 1000, rounds: 1, warmup: 2, runs: 2 },
      { n: 10_000, rounds: 1, warmup: 1, runs: 1 },
    ]
  return [
    { n: 1000, rounds: 3, warmup: 3, runs: 3 },
    { n: 10_000, rounds: 3, warmup: 2, runs: 2 },
    { n: 100_000, rounds: 1, warmup: 1, runs: 1 },
  ]
}

interface Series {
  samples: number[]
  summary?: Summary
  /** Events per second, from each sample. */
  rate?: Summary
}

export const durable: Scenario = {
  name: 'durable',
  title: 'Durable overhead (SQLite store vs in-memory store vs raw inserts)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const results: Record<number, { events: number; commits: number; series: Record<string, Series> }> = {}
    for (const plan of plans(ctx.quick)) {
      ctx.log(`durable: ${int(plan.n)} tasks`)
      const series: Record<string, Series> = {
        sqlite: { samples: [] },
        memory: { samples: [] },
        rawBatched: { samples: [] },
        rawPerCommit: { samples: [] },
        // The first run of each process (a warm-up): what a one-off `weft run` sees.
        sqliteCold: { samples: [] },
        rawPerCommitCold: { samples: [] },
      }
      let events = 0
      let commits = 0
      for (let round = 0; round < plan.rounds; round++) {
        for (const store of ['sqlite', 'memory'] as const) {
          const input: GraphChildInput = {
            system: 'weft',
            store,
            n: plan.n,
            warmup: plan.warmup,
            runs: plan.runs,
            // Runs follow each other as in a long-lived process (see the scheduler scenario: a
            // forced collection makes V8 drop its optimized code); first runs are kept apart.
            forceGc: false,
          }
          const out = await runChild<GraphChildOutput>('scenarios/graph-child.ts', input, {
            nodeArgs: ['--expose-gc', '--max-old-space-size=8192'],
            timeoutMs: 600_000,
          })
          series[store]!.samples.push(...out.samples)
          if (store === 'sqlite') {
            series.sqliteCold!.samples.push(out.coldMs)
            events = out.events
            commits = out.commits
          }
          ctx.log(
            `  weft ${store.padEnd(6)} round ${round + 1}: ${out.samples.map((ms) => num(ms)).join(', ')} ms`,
          )
        }
        for (const [key, perTransaction] of [
          ['rawBatched', 1000],
          ['rawPerCommit', Math.max(1, Math.round(events / Math.max(1, commits)))],
        ] as const) {
          const input: RawChildInput = { events, perTransaction, warmup: plan.warmup, runs: plan.runs }
          const out = await runChild<{ samples: number[]; coldMs: number }>(
            'scenarios/raw-sqlite-child.ts',
            input,
            { timeoutMs: 600_000 },
          )
          series[key]!.samples.push(...out.samples)
          if (key === 'rawPerCommit') series.rawPerCommitCold!.samples.push(out.coldMs)
          ctx.log(
            `  raw ${key.padEnd(12)} round ${round + 1}: ${out.samples.map((ms) => num(ms)).join(', ')} ms`,
          )
        }
      }
      for (const s of Object.values(series)) {
        s.summary = summarize(s.samples)
        s.rate = summarize(s.samples.map((ms) => events / (ms / 1000)))
      }
      results[plan.n] = { events, commits, series }
    }
    return report(results)
  },
}

function report(
  results: Record<number, { events: number; commits: number; series: Record<string, Series> }>,
): ScenarioOutput {
  const sizes = Object.keys(results).map(Number)
  const rate = (n: number, k: string) => results[n]!.series[k]!.rate!.median
  const time = (n: number, k: string) => results[n]!.series[k]!.summary!.median
  const table: Table = {
    headers: [
      'tasks',
      'events',
      'weft commits',
      'weft SQLite events/s',
      'weft memory events/s',
      'raw, 1,000/tx events/s',
      'raw, same tx count events/s',
      'SQLite / memory (time)',
      'weft SQLite / raw 1,000/tx (time)',
      'weft SQLite / raw same tx (time)',
      'first runs in a process: weft SQLite / raw same tx (time)',
    ],
    rows: sizes.map((n) => {
      const r = results[n]!
      return [
        int(n),
        int(r.events),
        int(r.commits),
        spread(r.series.sqlite!.rate),
        spread(r.series.memory!.rate),
        spread(r.series.rawBatched!.rate),
        spread(r.series.rawPerCommit!.rate),
        ratio(time(n, 'sqlite'), time(n, 'memory')),
        ratio(time(n, 'sqlite'), time(n, 'rawBatched')),
        ratio(time(n, 'sqlite'), time(n, 'rawPerCommit')),
        ratio(time(n, 'sqliteCold'), time(n, 'rawPerCommitCold')),
      ]
    }),
  }
  const times: Table = {
    title: 'Wall time of the same runs (ms)',
    headers: [
      'tasks',
      'weft SQLite',
      'weft memory',
      'raw, 1,000/tx',
      'raw, same tx count',
      'weft SQLite, first run',
      'raw, same tx count, first run',
    ],
    rows: sizes.map((n) => {
      const s = results[n]!.series
      return [
        int(n),
        spread(s.sqlite!.summary),
        spread(s.memory!.summary),
        spread(s.rawBatched!.summary),
        spread(s.rawPerCommit!.summary),
        spread(s.sqliteCold!.summary),
        spread(s.rawPerCommitCold!.summary),
      ]
    }),
  }
  return {
    tables: [table, times],
    notes: [
      "events/s: events written to the store (4 per task, plus the run's own) over the wall time of the whole run (start to end). weft also writes the run summary and each task's state in every commit, and runs the scheduler; the raw floors only insert event rows.",
      "Both weft and the raw floors use the same file layout (schema, indexes) and durability settings: WAL and synchronous=NORMAL, the store's default, set explicitly on both. Every transaction is committed before the next step: a process killed at any point loses none, a power cut may lose the last ones (the WAL is synced to disk at checkpoints, not at every commit; the store's `synchronous: 'full'` syncs every commit). \"same tx count\" inserts the events in as many transactions as weft committed.",
      'Measured runs follow warm-up runs in the same process (1,000 tasks: 3; 10,000: 2; 100,000: 1; the raw floors the same), with no forced garbage collection between them, as runs follow each other in a long-lived server. The first run of each process, before V8 has optimized the code, is in columns of its own: that is what a one-off `weft run` sees. Until 2026-12-07 this scenario measured first runs only, with a forced collection between runs.',
      "weft SQLite keeps a running run's task states in a journal, one row per commit, folded into the tasks table in bulk (at 4,096 states, at the run's end, and before any read): see @weft/storage-sqlite's README.",
    ],
    headline: sizes.map((n) => [
      `durable, ${int(n)} tasks: SQLite events/s`,
      num(rate(n, 'sqlite')),
      `raw 1,000/tx ${num(rate(n, 'rawBatched'))}; same tx count ${num(rate(n, 'rawPerCommit'))}`,
      `${ratio(time(n, 'sqlite'), time(n, 'rawBatched'))} / ${ratio(time(n, 'sqlite'), time(n, 'rawPerCommit'))} (first runs ${ratio(time(n, 'sqliteCold'), time(n, 'rawPerCommitCold'))})`,
    ]),
    data: results,
  }
}
