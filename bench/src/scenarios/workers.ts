/**
 * Many machines, measured on one: claim-and-complete throughput of no-op jobs through 1, 2 and 4
 * worker processes on the local PostgreSQL, and enqueue-to-start (pickup) latency with idle
 * workers, for `weft worker` and, in the same run on the same database server, graphile-worker
 * doing the same no-op jobs. Rounds interleave the systems so both see the same machine.
 */
import { runChild } from '../lib/child.js'
import { int, num, ratio, spread, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { percentiles, type Summary, summarize } from '../lib/stats.js'
import type { WorkersChildInput, WorkersChildOutput } from './workers-child.js'
import type { WorkerSystemName } from './workers-systems.js'

const SYSTEM_NAMES: WorkerSystemName[] = ['weft', 'graphile-worker']
const WORKER_COUNTS = [1, 2, 4]
/** Slots per worker process, the same for both systems. */
const CONCURRENCY = 10

interface Cell {
  rates: number[]
  pickup: number[]
  /** weft: from the dispatch to the queue (not the run's creation) to the claim. */
  queuePickup: number[]
  error?: string
}

export const workers: Scenario = {
  name: 'workers',
  title: 'Workers on PostgreSQL: claim-and-complete throughput and pickup latency, vs graphile-worker',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const jobs = ctx.quick ? 1_000 : 5_000
    const probes = ctx.quick ? 30 : 100
    const rounds = ctx.quick ? 1 : 2
    const cells = new Map<string, Cell>()
    const key = (s: WorkerSystemName, w: number) => `${s}/${w}`
    for (let round = 0; round < rounds; round++) {
      for (const workerCount of WORKER_COUNTS) {
        for (const system of SYSTEM_NAMES) {
          const cell = cells.get(key(system, workerCount)) ?? { rates: [], pickup: [], queuePickup: [] }
          cells.set(key(system, workerCount), cell)
          if (cell.error) continue
          const input: WorkersChildInput = {
            system,
            workers: workerCount,
            concurrency: CONCURRENCY,
            jobs,
            probes,
          }
          try {
            const out = await runChild<WorkersChildOutput>('scenarios/workers-child.ts', input, {
              timeoutMs: 300_000,
            })
            cell.rates.push(out.jobsPerSecond)
            cell.pickup.push(...out.pickupMs)
            cell.queuePickup.push(...(out.queuePickupMs ?? []))
            const p = percentiles(out.pickupMs)
            ctx.log(
              `workers: ${system} × ${workerCount}: ${int(out.jobsPerSecond)} jobs/s, pickup p50 ${num(p.p50)} ms, p95 ${num(p.p95)} ms`,
            )
          } catch (err) {
            cell.error = (err as Error).message.split('\n')[0]!
            ctx.log(`workers: ${system} × ${workerCount}: ${cell.error}`)
          }
        }
      }
    }

    const rate = (s: WorkerSystemName, w: number): Summary | undefined => {
      const c = cells.get(key(s, w))
      return c && c.rates.length > 0 ? summarize(c.rates) : undefined
    }
    const pick = (s: WorkerSystemName, w: number) => percentiles(cells.get(key(s, w))?.pickup ?? [])
    const queuePick = (w: number) => percentiles(cells.get(key('weft', w))?.queuePickup ?? [])
    const failed = (s: WorkerSystemName, w: number) => cells.get(key(s, w))?.error
    const rows = WORKER_COUNTS.map((w) => {
      const weftRate = rate('weft', w)
      const peerRate = rate('graphile-worker', w)
      const wp = pick('weft', w)
      const gp = pick('graphile-worker', w)
      return [
        String(w),
        failed('weft', w) ?? spread(weftRate),
        failed('graphile-worker', w) ?? spread(peerRate),
        weftRate && peerRate ? ratio(weftRate.median, peerRate.median) : '–',
        `${num(wp.p50)} / ${num(wp.p95)}`,
        `${num(queuePick(w).p50)} / ${num(queuePick(w).p95)}`,
        `${num(gp.p50)} / ${num(gp.p95)}`,
      ]
    })
    const table: Table = {
      title: `${int(jobs)} no-op jobs per measurement, ${CONCURRENCY} slots per worker process, ${rounds} round(s); pickup over ${probes} probes per measurement`,
      headers: [
        'worker processes',
        'weft jobs/s',
        'graphile-worker jobs/s',
        'weft / graphile-worker',
        'weft pickup p50 / p95 ms',
        'weft dispatch → claim p50 / p95 ms',
        'graphile-worker pickup p50 / p95 ms',
      ],
      rows,
    }
    const w4 = rate('weft', 4)
    const g4 = rate('graphile-worker', 4)
    const p4 = pick('weft', 4)
    return {
      tables: [table],
      notes: [
        'Goal (issue 13): at least 5,000 tasks/s with 4 workers on 2 cores, pickup p50 under 10 ms, and no slower than the library peer.',
        'Each measurement: a fresh database, the worker processes started and ready, then all jobs enqueued in one transaction and timed until none is left (weft: until the measuring process, which owns their run, sees the run end; graphile-worker: its jobs table polled every 2 ms); then probes enqueued one at a time, 10 ms apart, each timed from just before its enqueue to the moment a worker starts it.',
        "weft: `weft worker --store postgres://… --concurrency 10 --backends mock` processes; the jobs are the tasks of one run of independent no-op mock tasks, owned by the measuring process (as `weft run` on a Postgres store owns its run, but working none of its tasks): it dispatches every attempt to the shared queue and folds the results. A weft probe is a new one-task run, timed from just before `runtime.start` (validation, the run's first commits, then the queue) to its claim event (the database's clock, to the millisecond). \"Dispatch → claim\" starts at the probe's `task.started` event instead (the owner's decision, committed just before the attempt enters the queue; both times to the millisecond, so its figures step by 1 ms): the part that compares with a peer's enqueue-to-start. graphile-worker 0.16.6: `run({ concurrency: 10 })` with one no-op task, jobs added with `graphile_worker.add_job`; a probe is timed to the moment its handler starts.",
      ],
      headline: [
        [
          'workers, 4 processes: no-op jobs/s',
          w4 ? int(w4.median) : (failed('weft', 4) ?? '–'),
          g4 ? `graphile-worker ${int(g4.median)}` : '–',
          w4 && g4 ? ratio(w4.median, g4.median) : '–',
        ],
        [
          'workers, 4 processes: pickup p50 / p95 (weft: run start → claim; dispatch → claim)',
          `${num(p4.p50)} / ${num(p4.p95)} ms; ${num(queuePick(4).p50)} / ${num(queuePick(4).p95)} ms`,
          `graphile-worker ${num(pick('graphile-worker', 4).p50)} / ${num(pick('graphile-worker', 4).p95)} ms`,
          '–',
        ],
      ],
      data: { jobs, probes, rounds, concurrency: CONCURRENCY, cells: Object.fromEntries(cells) },
    }
  },
}
