/**
 * One child process of scenario 4: writes `events` events into a fresh SQLite store (through
 * `store.commit`, 5,000 a commit, spread over `runs` runs shaped like real runs, see
 * lib/query-workload.ts), then times queries against it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteStore } from '@weft/storage-sqlite'
import { childInput, childOutput } from '../lib/child.js'
import { commitRun } from '../lib/direct-run.js'
import { PER_TASK, runEvents, timeQueries, type WorkloadInput } from '../lib/query-workload.js'

export type QueriesChildInput = WorkloadInput
const input = childInput<QueriesChildInput>()

const dir = mkdtempSync(join(tmpdir(), 'weft-bench-queries-'))
try {
  const path = join(dir, 'weft.db')
  const perRun = Math.floor(input.events / input.runs)
  const tasks = Math.floor(perRun / PER_TASK)
  const runIds: string[] = []
  const t0 = performance.now()
  for (let r = 0; r < input.runs; r++) {
    runIds.push(
      await commitRun(path, {
        name: `run-${r}`,
        events: runEvents(tasks, Date.now() + r * 1e8),
        batchSize: 5000,
      }),
    )
  }
  const insertMs = performance.now() - t0
  const written = input.runs * (tasks * PER_TASK + 1)
  const store = createSqliteStore({ path })
  await store.init()
  const runId = runIds[Math.floor(runIds.length / 2)]!
  const timed = await timeQueries(store, runId, tasks, input)
  await store.close()
  childOutput({
    written,
    insertMs,
    dbBytes: statSync(path).size,
    runEvents: tasks * PER_TASK + 1,
    ...timed,
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
