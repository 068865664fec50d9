/**
 * The systems of the `workers` scenario, each doing the same no-op jobs on the same database:
 * weft's `weft worker` processes and, as the peer, graphile-worker (pg-boss 10, the last release
 * for Node 20, is older; graphile-worker 0.16.6 supports Node 20 and is the faster of the two in
 * its own benchmarks). Each system says how to start one worker process, how to enqueue many jobs
 * in one transaction and one probe job, and how many jobs are left.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runMigrations } from 'graphile-worker'
import pg from 'pg'

export type WorkerSystemName = 'graphile-worker' | 'weft'

export interface WorkerSystem {
  prepare(): Promise<void>
  /** The command of one worker process with `concurrency` slots (it prints `ready`). */
  workerCommand(concurrency: number): string[]
  enqueueMany(n: number): Promise<void>
  enqueueProbe(id: number): Promise<void>
  remaining(): Promise<number>
  close(): Promise<void>
}

const HERE = dirname(fileURLToPath(import.meta.url))

function graphileWorker(url: string): WorkerSystem {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  return {
    async prepare() {
      await runMigrations({ connectionString: url })
    },
    workerCommand: (concurrency) => [
      process.execPath,
      '--import',
      'tsx',
      join(HERE, 'workers-graphile.ts'),
      url,
      String(concurrency),
    ],
    async enqueueMany(n) {
      await pool.query(
        `SELECT graphile_worker.add_job('noop', json_build_object('i', g)) FROM generate_series(1, $1) g`,
        [n],
      )
    },
    async enqueueProbe(id) {
      await pool.query(`SELECT graphile_worker.add_job('noop', json_build_object('probe', true, 'id', $1::int))`, [
        id,
      ])
    },
    async remaining() {
      const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker.jobs')
      return Number(r.rows[0]!.n)
    },
    close: () => pool.end(),
  }
}

function weft(_url: string): WorkerSystem {
  throw new Error('weft worker: not wired into the bench yet')
}

export const SYSTEMS: Record<WorkerSystemName, (url: string) => WorkerSystem> = {
  'graphile-worker': graphileWorker,
  weft,
}
