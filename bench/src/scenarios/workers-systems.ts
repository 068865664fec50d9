/**
 * The systems of the `workers` scenario, each doing the same no-op jobs on the same database:
 * weft's `weft worker` processes and, as the peer, graphile-worker (pg-boss 10, the last release
 * for Node 20, is older; graphile-worker 0.16.6 supports Node 20 and is the faster of the two in
 * its own benchmarks). Each system says how to start one worker process, how to enqueue many jobs
 * in one transaction and one probe job, and how many jobs are left.
 */
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createMockBackend } from '@weft/backend-mock'
import { createRuntime, newOwnerName } from '@weft/core'
import { createPostgresStore, createQueueExecutor, DEFAULT_SCHEMA } from '@weft/storage-postgres'
import { runMigrations } from 'graphile-worker'
import pg from 'pg'
import { REPO_DIR } from '../lib/child.js'

export type WorkerSystemName = 'graphile-worker' | 'weft'

export interface WorkerSystem {
  prepare(): Promise<void>
  /** The command of one worker process with `concurrency` slots. */
  workerCommand(concurrency: number): string[]
  /** Resolves once `n` workers are up (default: each prints `ready`). */
  waitReady?(n: number): Promise<void>
  /** Enqueues `n` jobs in one transaction. */
  enqueueMany(n: number): Promise<void>
  /** Enqueues one probe job; returns its key for `startedAt`. */
  enqueueProbe(id: number): Promise<string | number>
  /** When a worker started the probe (epoch ms), if it has; default: its `started` line. */
  startedAt?(key: string | number): Promise<number | undefined>
  /**
   * When the probe's attempt was dispatched to the queue (epoch ms), where that differs from its
   * enqueue (weft creates a run first); for pickup measured from the queue alone.
   */
  queuedAt?(key: string | number): Promise<number | undefined>
  remaining(): Promise<number>
  close(): Promise<void>
}

/** `WEFT_BENCH_PROFILE_DIR=DIR`: each weft worker process writes a V8 CPU profile there. */
const profileArgs = () => {
  const dir = process.env.WEFT_BENCH_PROFILE_DIR
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

const HERE = dirname(fileURLToPath(import.meta.url))
const CLI_BIN = join(REPO_DIR, 'apps', 'cli', 'dist', 'bin.js')

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
      await pool.query(
        `SELECT graphile_worker.add_job('noop', json_build_object('probe', true, 'id', $1::int))`,
        [id],
      )
      return id
    },
    async remaining() {
      const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker.jobs')
      return Number(r.rows[0]!.n)
    },
    close: () => pool.end(),
  }
}

/**
 * weft: this process owns the runs (as `weft run` does on a Postgres store, but working none of
 * their attempts itself): it dispatches every attempt to the shared task queue, and the
 * `weft worker` processes claim, run and complete them; the run finishes when this process has
 * folded every result. Many jobs are the tasks of one run; a probe is a run of one task, timed
 * from just before `runtime.start` to the time of the claim's event (the database's clock, to the
 * millisecond).
 */
function weft(url: string): WorkerSystem {
  const store = createPostgresStore({ url })
  const owner = newOwnerName()
  const queue = createQueueExecutor({ store, owner })
  // No cap of this process's own: the workers' slots are the limit, as in the peer.
  const runtime = createRuntime({
    store,
    backends: [createMockBackend()],
    executor: queue,
    owner,
    maxParallelism: 100_000,
  })
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  const noop = { backend: 'mock', with: { output: 'ok' } }
  const pending: Promise<unknown>[] = []
  const probes = new Map<string, Promise<unknown>>()
  let manyRun: string | undefined
  let manyDone: Promise<unknown> | undefined
  return {
    async prepare() {
      await store.init()
    },
    workerCommand: (concurrency) => [
      process.execPath,
      ...profileArgs(),
      CLI_BIN,
      'worker',
      '--store',
      url,
      '--concurrency',
      String(concurrency),
      '--backends',
      'mock',
      '--quiet',
    ],
    async waitReady(n) {
      for (;;) {
        const r = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM "${DEFAULT_SCHEMA}".workers WHERE status IN ('idle', 'busy')`,
        )
        if (Number(r.rows[0]!.n) >= n) return
        await sleep(20)
      }
    },
    async enqueueMany(n) {
      const tasks = Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, noop]))
      const run = await runtime.start({ workflow: { weft: 1, name: 'bench-many', maxParallelism: n, tasks } })
      manyRun = run.id
      manyDone = runtime.wait(run.id)
      pending.push(manyDone)
    },
    async enqueueProbe(id) {
      const run = await runtime.start({ workflow: { weft: 1, name: `probe-${id}`, tasks: { probe: noop } } })
      probes.set(run.id, runtime.wait(run.id))
      return run.id
    },
    async startedAt(runId) {
      // Waits for the probe's run to end rather than polling the database from this process,
      // which owns the run: a busy poll here would slow the very event loop being measured.
      await probes.get(runId as string)
      const r = await pool.query<{ at: string }>(
        // The claim's event (written by the worker, in the claim's transaction, on the database's
        // clock): the queue's row may be gone already, deleted when the owner took the result.
        `SELECT ts AS at FROM "${DEFAULT_SCHEMA}".events WHERE run_id = $1 AND worker IS NOT NULL ORDER BY seq LIMIT 1`,
        [runId],
      )
      return r.rows[0] ? Date.parse(r.rows[0].at) : undefined
    },
    async queuedAt(runId) {
      // `task.started`: the owner's decision to dispatch, committed just before the attempt goes
      // into the queue (the queue's row, with its own time, is gone once the result is taken).
      const r = await pool.query<{ at: string }>(
        `SELECT ts AS at FROM "${DEFAULT_SCHEMA}".events WHERE run_id = $1 AND type = 'task.started' ORDER BY seq LIMIT 1`,
        [runId],
      )
      return r.rows[0] ? Date.parse(r.rows[0].at) : undefined
    },
    async remaining() {
      // This process owns the run and learns its end as it happens: waiting for that, instead of
      // reading the run every 2 ms, keeps the poll off the event loop being measured.
      if (!manyRun) return 0
      await manyDone?.catch(() => {})
      const run = await runtime.get(manyRun)
      return run && ['succeeded', 'failed', 'canceled'].includes(run.status) ? 0 : 1
    },
    async close() {
      await Promise.allSettled([...pending, ...probes.values()])
      await runtime.close()
      await pool.end()
    },
  }
}

export const SYSTEMS: Record<WorkerSystemName, (url: string) => WorkerSystem> = {
  'graphile-worker': graphileWorker,
  weft,
}
