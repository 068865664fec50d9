/**
 * Scenario 1: the scheduler's own cost. Layered random DAGs of no-op tasks (fan-in about 2,
 * parallelism 8) run by weft on the in-memory store, by the floor (a minimal topological
 * executor) and by LangGraph.js, each in fresh child processes, rounds interleaved.
 */
import { ChildTimeout, runChild } from '../lib/child.js'
import { int, num, ratio, spread, type Table } from '../lib/format.js'
import { layeredDag } from '../lib/graph.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { type Summary, summarize } from '../lib/stats.js'
import type { GraphChildInput, GraphChildOutput } from './graph-child.js'
import { PARALLELISM } from './scheduler-systems.js'

type System = 'floor' | 'recording' | 'weft' | 'langgraph'

interface Plan {
  n: number
  rounds: number
  warmup: number
  runs: number
  /** LangGraph grows quadratically here: fewer runs, and a time limit. */
  langgraph: { rounds: number; warmup: number; runs: number; timeoutMs: number } | undefined
}

function plans(quick: boolean): Plan[] {
  if (quick) {
    return [
      {
        n: 1000,
        rounds: 1,
        warmup: 1,
        runs: 5,
        langgraph: { rounds: 1, warmup: 1, runs: 3, timeoutMs: 60_000 },
      },
      { n: 10_000, rounds: 1, warmup: 1, runs: 2, langgraph: undefined },
    ]
  }
  // Warm-ups enough for V8 to optimize weft's path (about 4,000 tasks), since a measured run should
  // show the steady state; the first run of each process is kept apart as the cold figure.
  return [
    {
      n: 1000,
      rounds: 3,
      warmup: 6,
      runs: 5,
      langgraph: { rounds: 3, warmup: 1, runs: 3, timeoutMs: 120_000 },
    },
    {
      n: 10_000,
      rounds: 3,
      warmup: 3,
      runs: 2,
      langgraph: { rounds: 1, warmup: 0, runs: 1, timeoutMs: 240_000 },
    },
    {
      n: 100_000,
      rounds: 3,
      warmup: 1,
      runs: 1,
      langgraph: { rounds: 1, warmup: 0, runs: 1, timeoutMs: 60_000 },
    },
  ]
}

export interface SystemResult {
  samples: number[]
  /** The first run of each child process, warm-up or not. */
  coldMs: number[]
  startMs: number[]
  summary?: Summary
  perTaskUs?: Summary
  coldPerTaskUs?: Summary
  maxRssKb: number[]
  dnf?: string
  /** The time limit it did not finish in. */
  limitMs?: number
  skipped?: string
}

export const scheduler: Scenario = {
  name: 'scheduler',
  title: 'Scheduler overhead (no-op tasks, in-memory store)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const results: Record<number, Record<System, SystemResult>> = {}
    for (const plan of plans(ctx.quick)) {
      const dag = layeredDag(plan.n)
      ctx.log(`scheduler: ${int(plan.n)} tasks, ${dag.layers} layers, ${int(dag.edges)} edges`)
      const res = {} as Record<System, SystemResult>
      for (const s of ['floor', 'recording', 'weft', 'langgraph'] as System[])
        res[s] = { samples: [], coldMs: [], startMs: [], maxRssKb: [] }
      if (!plan.langgraph) res.langgraph.skipped = 'not run with --quick'
      const rounds = Math.max(plan.rounds, plan.langgraph?.rounds ?? 0)
      for (let round = 0; round < rounds; round++) {
        for (const system of ['floor', 'recording', 'weft', 'langgraph'] as System[]) {
          const r = res[system]
          if (r.dnf || r.skipped) continue
          const lg = system === 'langgraph' ? plan.langgraph! : undefined
          if (round >= (lg?.rounds ?? plan.rounds)) continue
          const input: GraphChildInput = {
            system,
            n: plan.n,
            warmup: lg?.warmup ?? plan.warmup,
            runs: lg?.runs ?? plan.runs,
          }
          const started = performance.now()
          try {
            const out = await runChild<GraphChildOutput>('scenarios/graph-child.ts', input, {
              nodeArgs: ['--expose-gc', '--max-old-space-size=8192'],
              timeoutMs: lg ? lg.timeoutMs : 600_000,
            })
            r.samples.push(...out.samples)
            r.coldMs.push(out.coldMs)
            r.startMs.push(...out.startMs)
            r.maxRssKb.push(out.maxRssKb)
            ctx.log(
              `  ${system.padEnd(9)} round ${round + 1}: ${out.samples.map((ms) => num(ms)).join(', ')} ms (${num((performance.now() - started) / 1000)} s)`,
            )
          } catch (err) {
            if (!(err instanceof ChildTimeout)) throw err
            r.dnf = `did not finish in ${Math.round(err.limitMs / 1000)} s`
            r.limitMs = err.limitMs
            ctx.log(`  ${system.padEnd(9)} round ${round + 1}: ${r.dnf}`)
          }
        }
      }
      for (const r of Object.values(res)) {
        if (r.samples.length === 0) continue
        r.summary = summarize(r.samples)
        r.perTaskUs = summarize(r.samples.map((ms) => (ms * 1000) / plan.n))
        r.coldPerTaskUs = summarize(r.coldMs.map((ms) => (ms * 1000) / plan.n))
      }
      results[plan.n] = res
    }
    return report(results)
  },
}

function cell(r: SystemResult, scale: 'ms' | 'us'): string {
  if (r.skipped) return r.skipped
  if (r.dnf && !r.summary) return r.dnf
  return spread(scale === 'ms' ? r.summary : r.perTaskUs)
}

function report(results: Record<number, Record<System, SystemResult>>): ScenarioOutput {
  const sizes = Object.keys(results).map(Number)
  const med = (n: number, s: System) => results[n]![s].perTaskUs?.median ?? Number.NaN
  const table: Table = {
    headers: [
      'tasks',
      'floor µs/task',
      'recording floor µs/task',
      'weft µs/task',
      'LangGraph.js µs/task',
      'weft / floor',
      'weft / recording floor',
      'LangGraph / weft',
      'weft run (ms)',
      'weft start() (ms)',
      'weft, first run in a process µs/task',
      'recording floor, first run µs/task',
    ],
    rows: sizes.map((n) => {
      const r = results[n]!
      return [
        int(n),
        cell(r.floor, 'us'),
        cell(r.recording, 'us'),
        cell(r.weft, 'us'),
        cell(r.langgraph, 'us'),
        ratio(med(n, 'weft'), med(n, 'floor')),
        ratio(med(n, 'weft'), med(n, 'recording')),
        r.langgraph.summary
          ? ratio(med(n, 'langgraph'), med(n, 'weft'))
          : r.langgraph.limitMs
            ? `> ${ratio((r.langgraph.limitMs * 1000) / n, med(n, 'weft'))} (${r.langgraph.dnf})`
            : '–',
        spread(r.weft.summary),
        r.weft.startMs.length ? spread(summarize(r.weft.startMs)) : '–',
        r.weft.coldPerTaskUs ? spread(r.weft.coldPerTaskUs) : '–',
        r.recording.coldPerTaskUs ? spread(r.recording.coldPerTaskUs) : '–',
      ]
    }),
  }
  const first = sizes[0]!
  const last = sizes[sizes.length - 1]!
  const growth: Table = {
    title: `Per-task cost, ${int(first)} → ${int(last)} tasks (flat = 1×; quadratic would be ${int(last / first)}×)`,
    headers: ['system', ...sizes.map((n) => `${int(n)}`), `growth ${int(first)}→${int(last)}`],
    rows: (['floor', 'recording', 'weft', 'langgraph'] as System[]).map((s) => [
      s === 'langgraph' ? 'LangGraph.js' : s === 'recording' ? 'recording floor' : s,
      ...sizes.map((n) =>
        results[n]![s].perTaskUs
          ? `${num(med(n, s))} µs`
          : (results[n]![s].dnf ?? results[n]![s].skipped ?? '–'),
      ),
      ratio(med(last, s), med(first, s)),
    ]),
  }
  const headline = sizes.flatMap((n) => {
    const r = results[n]!
    const rows = [
      [
        `scheduler, ${int(n)} tasks: µs/task`,
        cell(r.weft, 'us'),
        `floor ${cell(r.floor, 'us')}`,
        ratio(med(n, 'weft'), med(n, 'floor')),
      ],
    ]
    rows.push([
      `scheduler, ${int(n)} tasks: vs the recording floor`,
      cell(r.weft, 'us'),
      `recording floor ${cell(r.recording, 'us')}`,
      ratio(med(n, 'weft'), med(n, 'recording')),
    ])
    if (r.weft.coldPerTaskUs && r.recording.coldPerTaskUs) {
      rows.push([
        `scheduler, ${int(n)} tasks: first run in a fresh process (cold JIT)`,
        spread(r.weft.coldPerTaskUs),
        `recording floor ${spread(r.recording.coldPerTaskUs)}`,
        ratio(r.weft.coldPerTaskUs.median, r.recording.coldPerTaskUs.median),
      ])
    }
    rows.push([
      `scheduler, ${int(n)} tasks: vs LangGraph.js`,
      cell(r.weft, 'us'),
      `LangGraph.js ${cell(r.langgraph, 'us')}`,
      r.langgraph.summary
        ? `LangGraph ${ratio(med(n, 'langgraph'), med(n, 'weft'))} slower`
        : r.langgraph.limitMs
          ? `LangGraph > ${ratio((r.langgraph.limitMs * 1000) / n, med(n, 'weft'))} slower (${r.langgraph.dnf})`
          : (r.langgraph.skipped ?? '–'),
    ])
    return rows
  })
  const notes: string[] = []
  const finished = sizes.filter((n) => results[n]!.langgraph.summary)
  const dnf = sizes.find((n) => results[n]!.langgraph.dnf && !results[n]!.langgraph.summary)
  if (finished.length >= 2 && dnf) {
    // Per-task growth between the two largest sizes LangGraph finished, carried on to the one it did not.
    const [a, b] = finished.slice(-2) as [number, number]
    const exponent = Math.log(med(b, 'langgraph') / med(a, 'langgraph')) / Math.log(b / a)
    const seconds = (med(b, 'langgraph') * (dnf / b) ** exponent * dnf) / 1e6
    notes.push(
      `LangGraph.js at ${int(dnf)} tasks: ${results[dnf]!.langgraph.dnf}. Its per-task cost grew ${ratio(med(b, 'langgraph'), med(a, 'langgraph'))} from ${int(a)} to ${int(b)} tasks (total time ∝ n^${(1 + exponent).toFixed(2)}); carried on, ${int(dnf)} tasks would take about ${int(seconds)} s.`,
    )
  }
  return {
    tables: [table, growth],
    notes: [
      ...notes,
      'Measured runs follow warm-up runs in the same process (1,000 tasks: 6; 10,000: 3; 100,000: 1; LangGraph.js fewer) with no forced garbage collection between them, as runs follow each other in a long-lived server: a forced `global.gc()` is a memory-reducing collection, after which V8 starts over with unoptimized code (measured on weft at 10,000 tasks: the first 4,000 tasks of each run went 3–10× slower than the rest). The first run of each process, cold, has columns of its own: that is what a one-off `weft run` sees.',
      `Each cell: median (min–max) over every measured run; runs happen in fresh child processes, rounds interleave the systems. Parallelism ${PARALLELISM}; graphs: layers of 100 tasks, each task after the first layer needs 1–3 (about 2) tasks of the layer before; fixed seed.`,
      'weft: `createRuntime` with `createMemoryStore()` and a no-op backend, timed from `runtime.start()` (validation, planning, the `run.created` commit) to the end of `runtime.wait()`; every task still goes through the whole pipeline and writes its events (task.added, queued, started, succeeded) to the store.',
      'floor: in-degree counts, a FIFO ready queue and at most 8 awaited no-op async calls in flight; it records nothing.',
      'recording floor: the same executor, also appending the events weft records (run.created, task.added per task, task.queued, task.started, task.succeeded, run.started, run.succeeded) with their seq and an ISO timestamp to an array; weft / recording floor is what weft costs beyond recording what happened.',
      'LangGraph.js: a `StateGraph` with one node per task (waiting edges for several needs), `maxConcurrency: 8`, compiled and invoked; no checkpointer.',
    ],
    headline,
    data: results,
  }
}
