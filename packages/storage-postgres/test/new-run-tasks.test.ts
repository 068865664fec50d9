/**
 * Migration 10 (new-run-tasks.ts): the commit that creates a run inserts its tasks without the
 * upsert; every other commit upserts. A schema of version 9 with runs in it is brought up to date
 * in place, and its runs' tasks go on being updated and added to.
 */
import { type Commit, newRunId, type TaskState } from '@weft/core'
import { firstCommit, logNow } from '@weft/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { MIGRATIONS } from '../src/migrations.js'
import { legacyCommit } from './fixtures/legacy-commit.js'
import { dropSchema, schemaAtVersion, sql, upgradedStore } from './schemas.js'

const schemas: string[] = []
afterEach(async () => {
  for (const name of schemas.splice(0)) await dropSchema(name)
})

const task = (runId: string, taskId: string, order: number, status: TaskState['status'] = 'pending') =>
  ({ runId, taskId, status, attempt: 0, priority: 50, order, needs: [] }) as TaskState

/** A run created with `tasks` (one commit, as `runtime.start` makes it). */
function create(runId: string, tasks: TaskState[]): Commit {
  const first = firstCommit(runId, 'm10')
  const spec = first.create!.spec
  const run = first.run!
  return {
    ...first,
    create: {
      spec: {
        ...spec,
        workflow: { ...spec.workflow, tasks: Object.fromEntries(tasks.map((t) => [t.taskId, {}])) },
      },
    },
    run: { ...run, taskCounts: { ...run.taskCounts, pending: tasks.length, total: tasks.length } },
    tasks,
    events: [logNow('created')],
  }
}

const rows = (schema: string, runId: string) =>
  sql<{ task_id: string; status: string; ord: number }>(
    `SELECT task_id, status, ord FROM "${schema}".tasks WHERE run_id = $1 ORDER BY added`,
    [runId],
  )

describe('migration 10: a new run inserts its tasks', () => {
  it('upgrades a version-9 schema in place: old runs keep their tasks and go on updating them', async () => {
    const { schema, db } = await schemaAtVersion(9)
    schemas.push(schema)
    // A run written by version 9's weft_commit: created with two tasks, then one of them queued.
    const old = newRunId()
    const s = `"${schema}".`
    await legacyCommit(db.raw, s, create(old, [task(old, 'a', 0), task(old, 'b', 1)]))
    await legacyCommit(db.raw, s, { runId: old, tasks: [task(old, 'a', 0, 'queued')], events: [] })
    await db.close()

    const { store, versions } = await upgradedStore(schema)
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version))
    expect(versions).toContain(10)
    const [fn] = await sql<{ src: string }>(
      `SELECT p.prosrc AS src FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = 'weft_commit'`,
      [schema],
    )
    expect(fn!.src).toContain('IF cardinality(t_id) > 0 AND p_create_spec IS NOT NULL THEN')

    // The old run: an existing task updated, a new one added (both through the upsert).
    await store.commit({
      runId: old,
      tasks: [task(old, 'b', 1, 'queued'), task(old, 'c', 2)],
      events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'more' } }],
    })
    expect(await rows(schema, old)).toEqual([
      { task_id: 'a', status: 'queued', ord: 0 },
      { task_id: 'b', status: 'queued', ord: 1 },
      { task_id: 'c', status: 'pending', ord: 2 },
    ])

    // A new run: its tasks inserted in the commit's order, then updated as before.
    const fresh = newRunId()
    const many = Array.from({ length: 50 }, (_, i) => task(fresh, `t${49 - i}`, i))
    await store.commit(create(fresh, many))
    expect((await rows(schema, fresh)).map((r) => r.task_id)).toEqual(many.map((t) => t.taskId))
    await store.commit({ runId: fresh, tasks: [task(fresh, 't0', 49, 'queued')], events: [] })
    expect((await store.tasks.get(fresh, 't0'))?.status).toBe('queued')
    expect((await store.tasks.list(fresh)).map((t) => t.taskId)).toEqual(many.map((t) => t.taskId))
    // A second create of the same id is still refused, and writes nothing.
    await expect(store.commit(create(fresh, [task(fresh, 'x', 0)]))).rejects.toMatchObject({
      code: 'conflict',
    })
    expect(await rows(schema, fresh)).toHaveLength(50)
    await store.close()
  })
})
