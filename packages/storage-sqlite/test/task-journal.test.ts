import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Commit, TaskState } from '@weft/core'
import { firstCommit, logNow, TRICKY_JSON } from '@weft/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/driver.js'
import { createSqliteStore } from '../src/index.js'
import { FOLD_AFTER } from '../src/task-journal.js'

// A running run's task states are appended to task_changes and folded into tasks in bulk
// (src/task-journal.ts). Reads fold first (batched-writes.test.ts compares every read with the
// in-memory store); these tests look at the tables themselves, through a second connection.

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-journal-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let counter = 0

/** The task states in the journal and the statuses in `tasks`, as another connection sees them. */
function tables(path: string) {
  const db = openDatabase(path, { timeoutMs: 1000, readOnly: true })
  try {
    const journal = db.prepare('SELECT count(*) FROM task_changes').pluck().get() as number
    const statuses = db.prepare('SELECT DISTINCT status FROM tasks').pluck().all() as string[]
    return { journal, statuses }
  } finally {
    db.close()
  }
}

async function runWithTasks(count: number, path = join(root, `journal-${++counter}.db`)) {
  const store = createSqliteStore({ path })
  const runId = `run_journal${++counter}`
  const first = firstCommit(runId)
  first.tasks = Array.from(
    { length: count },
    (_, i): TaskState => ({
      runId,
      taskId: `t${i}`,
      status: 'pending',
      attempt: 0,
      priority: 50,
      order: i,
      needs: [],
    }),
  )
  await store.commit(first)
  let lastSeq = first.events.length
  /** Commits every task in `status`; `run` ends the run with the commit when given. */
  const commitAll = async (status: TaskState['status'], run?: Commit['run']) => {
    const tasks = first.tasks!.map((t) => ({ ...t, status }))
    await store.commit({ runId, expectLastSeq: lastSeq, tasks, events: [logNow(status)], run })
    lastSeq += 1
  }
  return { path, store, runId, first, commitAll }
}

describe('sqlite store: the task journal', () => {
  it('leaves a running run’s task states in the journal until a read folds them', async () => {
    const { path, store, runId, commitAll } = await runWithTasks(10)
    try {
      await commitAll('queued')
      await commitAll('running')
      expect(tables(path)).toEqual({ journal: 20, statuses: ['pending'] })
      expect((await store.tasks.get(runId, 't3'))?.status).toBe('running')
      expect(tables(path)).toEqual({ journal: 0, statuses: ['running'] })
    } finally {
      await store.close()
    }
  })

  it(`folds by itself once the journal holds ${FOLD_AFTER} changes, and when the run ends`, async () => {
    const tasks = Math.ceil(FOLD_AFTER / 3)
    const { path, store, first, commitAll } = await runWithTasks(tasks)
    try {
      await commitAll('queued')
      await commitAll('running')
      expect(tables(path).journal).toBe(2 * tasks)
      await commitAll('succeeded')
      expect(tables(path)).toEqual({ journal: 0, statuses: ['succeeded'] })
      await commitAll('queued')
      expect(tables(path).journal).toBe(tasks)
      await commitAll('failed', { ...first.run!, status: 'failed' })
      expect(tables(path)).toEqual({ journal: 0, statuses: ['failed'] })
    } finally {
      await store.close()
    }
  })

  it('deletes a deleted run’s unfolded changes with it', async () => {
    const { path, store, runId, commitAll } = await runWithTasks(5)
    try {
      await commitAll('running')
      expect(tables(path).journal).toBe(5)
      expect(await store.runs.delete([runId])).toBe(1)
      expect(tables(path)).toEqual({ journal: 0, statuses: [] })
    } finally {
      await store.close()
    }
  })

  it('folds other connections’ changes too, whichever connection folds', async () => {
    const a = await runWithTasks(4)
    const b = await runWithTasks(3, a.path)
    try {
      await a.commitAll('queued')
      await b.commitAll('running')
      await a.commitAll('running')
      expect(tables(a.path).journal).toBe(4 + 3 + 4)
      // b folds a's changes with its own.
      expect((await b.store.tasks.list(a.runId)).map((t) => t.status)).toEqual(Array(4).fill('running'))
      expect(tables(a.path).journal).toBe(0)
      await b.commitAll('succeeded')
      await a.commitAll('succeeded')
      expect((await a.store.tasks.list(b.runId)).map((t) => t.status)).toEqual(Array(3).fill('succeeded'))
      expect((await a.store.tasks.list(a.runId)).map((t) => t.status)).toEqual(Array(4).fill('succeeded'))
      expect(tables(a.path)).toEqual({ journal: 0, statuses: ['succeeded'] })
    } finally {
      await a.store.close()
      await b.store.close()
    }
  })

  it('keeps every state’s JSON as it was written, tricky values and all', async () => {
    const { path, store, runId, first } = await runWithTasks(2)
    try {
      const tasks: TaskState[] = first.tasks!.map((t) => ({
        ...t,
        status: 'succeeded',
        output: TRICKY_JSON,
      }))
      await store.commit({ runId, expectLastSeq: first.events.length, tasks, events: [logNow('done')] })
      expect(await store.tasks.list(runId)).toEqual(tasks)
      const db = openDatabase(path, { timeoutMs: 1000, readOnly: true })
      try {
        const texts = db.prepare('SELECT state FROM tasks ORDER BY ord').pluck().all()
        expect(texts).toEqual(tasks.map((t) => JSON.stringify(t)))
      } finally {
        db.close()
      }
    } finally {
      await store.close()
    }
  })
})
