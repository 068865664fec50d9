/**
 * The queue's statements of many rows are planned once per connection (a generic plan), however
 * few rows they carry: PostgreSQL planned a worker's completion again for every batch of fewer
 * than ten results (see complete-queries.ts), which cost a worker of four slots a third of its
 * database CPU, and an owner's enqueue of a few attempts four times what it costs planned once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.js'
import { createPostgresStore } from '../src/index.js'
import { queueQueries } from '../src/queue/queries.js'
import { databaseUrl, dropSchema, newSchema, testDb } from './schemas.js'

const schema = newSchema()
beforeAll(async () => {
  const store = createPostgresStore({ url: databaseUrl(), schema })
  await store.init()
  await store.close()
})
afterAll(() => dropSchema(schema))

/** How often each prepared statement of this connection whose text has `marker` was planned. */
async function plans(db: Db, marker: string): Promise<{ generic: number; custom: number }[]> {
  const rows = await db.query<[number, number]>(
    `SELECT generic_plans::int, custom_plans::int FROM pg_prepared_statements
    WHERE strpos(statement, $1) > 0 AND statement NOT LIKE '%pg_prepared_statements%'`,
    [marker],
  )
  return rows.map(([generic, custom]) => ({ generic, custom }))
}

/** The first five executions are planned for their parameters, then the generic plan is kept. */
function plannedOnce(found: { generic: number; custom: number }[], statements: number): void {
  expect(found).toHaveLength(statements)
  for (const p of found) {
    expect(p.custom).toBeLessThanOrEqual(5)
    expect(p.generic).toBeGreaterThan(5)
  }
}

describe('the statement', () => {
  it('of a completion is planned once for batches of a few results, alone or with a claim', async () => {
    // One connection, so that its prepared statements are the ones pg_prepared_statements shows.
    const db = testDb(1)
    const q = queueQueries(db, `"${schema}".`)
    // A queue of some size: on a table of a few pages each plan is as cheap as any other.
    const attempts = Array.from({ length: 3000 }, (_, i) => ({
      runId: 'run_plan',
      taskId: `t${String(i).padStart(4, '0')}`,
      attempt: 1,
      backend: 'echo',
      priority: 50,
      request: '{}',
    }))
    await q.enqueue('owner', attempts)
    const claim = { backends: ['echo'], ttlMs: 30_000, fields: {} }
    let claimed = await q.claim({ worker: 'w', ...claim, limit: 2 })
    // Alternately alone and with a claim of two more, two results at a time.
    for (let i = 0; i < 30; i++) {
      const results = claimed.map((c) => ({ claim: c, status: 'succeeded' as const, result: '{}' }))
      const done = await q.complete('w', results, i % 2 === 0 ? { ...claim, limit: 2 } : undefined)
      expect(done.accepted.size).toBe(results.length)
      claimed = i % 2 === 0 ? done.claimed : await q.claim({ worker: 'w', ...claim, limit: 2 })
    }
    plannedOnce(await plans(db, `UPDATE "${schema}".task_queue q SET status = k.status`), 2)
    await db.close()
  })

  it('of an enqueue is planned once for a few attempts at a time', async () => {
    const db = testDb(1)
    const q = queueQueries(db, `"${schema}".`)
    for (let i = 0; i < 12; i++) {
      const attempt = (n: number) => ({
        runId: 'run_enqueue',
        taskId: `e${i}-${n}`,
        attempt: 1 + (i % 2),
        backend: 'echo',
        priority: 50,
        request: '{}',
      })
      await q.enqueue('owner', [attempt(0), attempt(1)])
    }
    plannedOnce(await plans(db, `INSERT INTO "${schema}".task_queue`), 1)
    await db.close()
  })
})
