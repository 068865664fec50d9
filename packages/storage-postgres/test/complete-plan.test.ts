/**
 * A worker's completion statement is planned once per connection (a generic plan), however few
 * results it carries: PostgreSQL planned it again for every batch of fewer than ten results (see
 * complete-queries.ts), which cost a worker of four slots a third of its database CPU.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Db } from '../src/db.js'
import { createPostgresStore } from '../src/index.js'
import { queueQueries } from '../src/queue/queries.js'
import { databaseUrl, dropSchema, newSchema } from './schemas.js'

const schema = newSchema()
afterAll(() => dropSchema(schema))

describe('the completion statement', () => {
  it('is planned once for batches of a few results, alone or with a claim', async () => {
    const store = createPostgresStore({ url: databaseUrl(), schema })
    await store.init()
    await store.close()
    // One connection, so that its prepared statements are the ones pg_prepared_statements shows.
    const db = new Db({
      connectionString: databaseUrl(),
      display: 'test',
      applicationName: 'test',
      maxConnections: 1,
    })
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
    const plans = await db.query<[string, number, number]>(
      `SELECT statement, generic_plans::int, custom_plans::int FROM pg_prepared_statements
      WHERE statement LIKE '%UPDATE "${schema}".task_queue q SET status = k.status%'
        AND statement NOT LIKE '%pg_prepared_statements%'`,
    )
    expect(plans).toHaveLength(2)
    for (const [, generic, custom] of plans) {
      // The first five executions are planned for their parameters, then the generic plan is kept.
      expect(custom).toBeLessThanOrEqual(5)
      expect(generic).toBeGreaterThan(5)
    }
    await db.close()
  })
})
