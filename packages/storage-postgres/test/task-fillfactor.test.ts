/**
 * Migration 12 (task-fillfactor.ts): the tasks table keeps room on its pages for HOT updates. A
 * schema of version 11 with a run in it is brought up to date in place, and the run goes on.
 */
import { newRunId, type TaskState } from '@weft/core'
import { firstCommit } from '@weft/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { commitApplier } from '../src/commit.js'
import { MIGRATIONS } from '../src/migrations.js'
import { dropSchema, schemaAtVersion, sql, upgradedStore } from './schemas.js'

const schemas: string[] = []
afterEach(async () => {
  for (const name of schemas.splice(0)) await dropSchema(name)
})

const task = (runId: string, taskId: string, order: number, status: TaskState['status'] = 'pending') =>
  ({ runId, taskId, status, attempt: 0, priority: 50, order, needs: [] }) as TaskState

const fillfactor = async (schema: string) => {
  const [row] = await sql<{ options: string[] | null }>(
    `SELECT c.reloptions AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relname = 'tasks'`,
    [schema],
  )
  return row!.options
}

describe('migration 12: room on task pages for HOT updates', () => {
  it('upgrades a version-11 schema in place; its runs go on', async () => {
    const { schema, db } = await schemaAtVersion(11)
    schemas.push(schema)
    expect(await fillfactor(schema)).toEqual(['fillfactor=80'])
    const old = newRunId()
    const tasks = Array.from({ length: 40 }, (_, i) => task(old, `t${i}`, i))
    await commitApplier(`"${schema}".`)(db.raw, { ...firstCommit(old, 'm12'), tasks })
    await db.close()

    const { store, versions } = await upgradedStore(schema)
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version))
    expect(versions).toContain(12)
    expect(await fillfactor(schema)).toEqual(['fillfactor=40'])

    // Every task of the old run updated at once, as the commit that starts them does.
    await store.commit({ runId: old, tasks: tasks.map((t) => ({ ...t, status: 'queued' })), events: [] })
    expect((await store.tasks.list(old)).map((t) => [t.taskId, t.status])).toEqual(
      tasks.map((t) => [t.taskId, 'queued']),
    )
    await store.close()
  })
})
