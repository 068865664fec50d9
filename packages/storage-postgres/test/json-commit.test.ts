/**
 * Migration 11 (json-commit.ts): commits pass their JSON texts as JSON arrays to
 * `weft_commit_json`. A schema of version 10 with runs in it is brought up to date in place; the
 * texts stored are the same as before, whatever characters they hold; and a process of version 10
 * still running (it calls `weft_commit`) goes on writing to the same runs.
 */
import { type Commit, type Json, newRunId, type TaskState } from '@weft/core'
import { firstCommit } from '@weft/testing'
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

/** Values whose JSON has every kind of escape: quotes, backslashes, control characters, lone surrogates. */
const awkward: Json[] = [
  { message: 'a "quoted" \\ back\\slash', nested: { list: [1, 2.5, null, true, 'x'] } },
  { control: '\u0000\u0001\n\t\r', lone: '\ud800 and \udfff', astral: 'é€😀\u2028\u2029' },
  'just a string with "quotes"',
  42,
  null,
  [],
  {},
]

const log = (data: Json, taskId?: string): Commit['events'][number] =>
  ({
    type: 'log',
    ts: new Date().toISOString(),
    severity: 'info',
    data,
    ...(taskId ? { taskId } : {}),
  }) as never

const storedData = (schema: string, runId: string) =>
  sql<{ seq: string; data: string }>(
    `SELECT seq, data FROM "${schema}".events WHERE run_id = $1 ORDER BY seq`,
    [runId],
  )

describe('migration 11: commits with JSON arrays', () => {
  it('upgrades a version-10 schema in place and stores the same texts as before', async () => {
    const { schema, db } = await schemaAtVersion(10)
    schemas.push(schema)
    const s = `"${schema}".`
    // A run written by version 10: created with a task and awkward events, memory written.
    const old = newRunId()
    const first = firstCommit(old, 'm11')
    const created: Commit = {
      ...first,
      tasks: [task(old, 'a', 0)],
      events: [...first.events, ...awkward.map((d) => log(d, 'a'))],
      memory: [{ scope: `run:${old}`, key: 'k', value: { v: 'old "value"' } }],
    }
    await legacyCommit(db.raw, s, created)

    const { store, versions } = await upgradedStore(schema)
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version))
    expect(versions).toContain(11)

    // The old run goes on through the new function: events, a task update and a new task, memory.
    const [stored] = await store.commit({
      runId: old,
      expectLastSeq: created.events.length,
      tasks: [task(old, 'a', 0, 'queued'), task(old, 'b', 1)],
      events: awkward.map((d) => log(d, 'b')),
      memory: [
        { scope: `run:${old}`, key: 'k', value: null },
        { scope: `run:${old}`, key: 'n', value: { v: awkward } },
      ],
    })
    expect(stored!.seq).toBe(created.events.length + 1)

    // A process of version 10 still running writes to the same run with the old function.
    await legacyCommit(db.raw, s, {
      runId: old,
      expectLastSeq: created.events.length + awkward.length,
      tasks: [task(old, 'b', 1, 'queued')],
      events: [log({ from: 'version 10' })],
    })
    await db.close()

    // Every text stored is JSON.stringify's, whichever function wrote it, and reads back the same.
    const all = [...created.events, ...awkward.map((d) => log(d, 'b')), log({ from: 'version 10' })]
    const rows = await storedData(schema, old)
    expect(rows.map((r) => Number(r.seq))).toEqual(all.map((_, i) => i + 1))
    expect(rows.map((r) => r.data)).toEqual(all.map((e) => JSON.stringify(e.data)))
    const read = await store.events.read(old)
    expect(read.map((e) => e.data)).toEqual(all.map((e) => e.data))
    expect((await store.tasks.list(old)).map((t) => [t.taskId, t.status])).toEqual([
      ['a', 'queued'],
      ['b', 'queued'],
    ])
    expect(await store.memory.get(`run:${old}`, 'k')).toBeUndefined()
    expect((await store.memory.get(`run:${old}`, 'n'))?.value).toEqual({ v: awkward })
    const [state] = await sql<{ state: string }>(
      `SELECT state FROM "${schema}".tasks WHERE run_id = $1 AND task_id = 'b'`,
      [old],
    )
    expect(state!.state).toBe(JSON.stringify(task(old, 'b', 1, 'queued')))

    // A new run, created and committed to through the new function alone.
    const fresh = newRunId()
    const start = firstCommit(fresh, 'm11-new')
    await store.commit({ ...start, tasks: [task(fresh, 'x', 0)] })
    await store.commit({ runId: fresh, tasks: [task(fresh, 'x', 0, 'queued')], events: [log(awkward[1]!)] })
    expect((await store.events.read(fresh)).at(-1)!.data).toEqual(awkward[1])
    expect((await store.tasks.get(fresh, 'x'))?.status).toBe('queued')
    await store.close()
  })
})
