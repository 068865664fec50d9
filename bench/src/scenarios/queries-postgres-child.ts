/**
 * One child process of the `queries-postgres` scenario: the workload of `queries` (see
 * lib/query-workload.ts) on a PostgreSQL store, in a fresh database `weft_bench_<random>` on the
 * server `WEFT_BENCH_POSTGRES` names (default postgres@127.0.0.1:5432, trust auth), dropped after.
 */
import { randomBytes } from 'node:crypto'
import { createPostgresStore } from '@weft/storage-postgres'
import { execa } from 'execa'
import { childInput, childOutput } from '../lib/child.js'
import { commitRunTo } from '../lib/direct-run.js'
import { PER_TASK, runEvents, timeQueries, type WorkloadInput } from '../lib/query-workload.js'

const input = childInput<WorkloadInput>()
const server = process.env.WEFT_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const database = `weft_bench_${randomBytes(6).toString('hex')}`
const psql = (sql: string, target = server) => execa('psql', [target, '-v', 'ON_ERROR_STOP=1', '-Atc', sql])

await psql(`CREATE DATABASE ${database}`)
try {
  const url = new URL(server)
  url.pathname = `/${database}`
  const store = createPostgresStore({ url: url.toString() })
  await store.init()
  const perRun = Math.floor(input.events / input.runs)
  const tasks = Math.floor(perRun / PER_TASK)
  const runIds: string[] = []
  const t0 = performance.now()
  for (let r = 0; r < input.runs; r++) {
    runIds.push(
      await commitRunTo(store, {
        name: `run-${r}`,
        events: runEvents(tasks, Date.now() + r * 1e8),
        batchSize: 5000,
      }),
    )
  }
  const insertMs = performance.now() - t0
  // Fresh statistics, as autovacuum would gather soon after such a load.
  await psql('ANALYZE', url.toString())
  const written = input.runs * (tasks * PER_TASK + 1)
  const runId = runIds[Math.floor(runIds.length / 2)]!
  const timed = await timeQueries(store, runId, tasks, input)
  await store.close()
  const size = await psql('SELECT pg_database_size(current_database())', url.toString())
  childOutput({
    written,
    insertMs,
    dbBytes: Number(size.stdout.trim()),
    runEvents: tasks * PER_TASK + 1,
    ...timed,
  })
} finally {
  await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
}
