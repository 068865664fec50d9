/**
 * Migration 13 (queue/complete-function.ts): completions go through `weft_complete`. A schema of
 * version 12 with claimed attempts in its queue is brought up to date in place, and those attempts
 * are completed (fenced as before) and taken by their owner.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Db } from '../src/db.js'
import { createPostgresStore } from '../src/index.js'
import { MIGRATIONS, migrate } from '../src/migrations.js'
import { internalsOf } from '../src/queue/internals.js'
import { queueQueries } from '../src/queue/queries.js'
import { databaseUrl, dropSchema, newSchema, sql } from './schemas.js'

const schemas: string[] = []
afterEach(async () => {
  for (const name of schemas.splice(0)) await dropSchema(name)
})

describe('migration 13: completions planned once', () => {
  it('upgrades a version-12 schema in place: attempts claimed before are completed after', async () => {
    const schema = newSchema()
    schemas.push(schema)
    const db = new Db({
      connectionString: databaseUrl(),
      display: 'test',
      applicationName: 'test',
      maxConnections: 2,
    })
    expect(
      await migrate(
        db.raw,
        schema,
        'test',
        MIGRATIONS.filter((m) => m.version <= 12),
      ),
    ).toBe(12)
    // Queued and claimed at version 12 (enqueue and weft_claim are older than 13).
    const before = queueQueries(db, `"${schema}".`)
    const attempt = (taskId: string) => ({
      runId: 'run_m13',
      taskId,
      attempt: 1,
      backend: 'echo',
      priority: 50,
      request: '{}',
    })
    await before.enqueue('owner', [attempt('a'), attempt('b'), attempt('c'), attempt('d')])
    const claim = { backends: ['echo'], ttlMs: 30_000, fields: {} }
    const [a, b] = await before.claim({ worker: 'w', ...claim, limit: 2 })
    await db.close()

    const store = createPostgresStore({ url: databaseUrl(), schema })
    await store.init()
    const versions = await sql<{ version: number }>(
      `SELECT version FROM "${schema}".weft_schema ORDER BY version`,
    )
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(versions.map((v) => v.version)).toContain(13)

    const { db: storeDb, s } = internalsOf(store)
    const q = queueQueries(storeDb, s)
    // `a` with its own token is accepted; `b` with a token not its own is refused.
    const alone = await q.complete('w', [
      { claim: a!, status: 'succeeded', result: '{"result":"a"}' },
      { claim: { ...b!, token: a!.token }, status: 'succeeded', result: '{"result":"b"}' },
    ])
    expect([...alone.accepted]).toEqual(['run_m13\u0000a\u00001'])
    // `b` with its own, and the two slots refilled in the same statement.
    const refilled = await q.complete('w', [{ claim: b!, status: 'failed', result: '{"error":{}}' }], {
      ...claim,
      limit: 2,
    })
    expect([...refilled.accepted]).toEqual(['run_m13\u0000b\u00001'])
    expect(refilled.claimed.map((c) => c.taskId)).toEqual(['c', 'd'])
    // A second completion of `a` changes nothing.
    expect((await q.complete('w', [{ claim: a!, status: 'failed', result: '{}' }])).accepted.size).toBe(0)

    const taken = await q.take('owner')
    expect(taken.results.map((r) => [r.taskId, r.status, r.result]).sort()).toEqual([
      ['a', 'succeeded', '{"result":"a"}'],
      ['b', 'failed', '{"error":{}}'],
    ])
    await store.close()
  })
})
