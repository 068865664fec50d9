/**
 * The durable queue flag (`store.queue`) and the query of tasks across runs (`tasks.query`) on
 * SQLite. The flag is one row, changed together with its history row in one IMMEDIATE
 * transaction, so every process that opens the file sees one order of changes.
 */
import {
  DEFAULT_TASK_QUERY_LIMIT,
  type QueueChange,
  type QueueState,
  type QueueStore,
  type TaskQuery,
  type TaskState,
} from '@weft/core'
import { Conditions } from './conditions.js'
import type { Database } from './driver.js'

type Work = <T>(work: (db: Database) => T) => Promise<T>

interface StateRow {
  paused: number
  reason: string | null
  changed_by: string | null
  changed_at: string | null
}

interface ChangeRow {
  id: number
  ts: string
  type: QueueChange['type']
  reason: string | null
  changed_by: string | null
}

function toState(r: StateRow | undefined): QueueState {
  if (!r) return { paused: false }
  return {
    paused: r.paused === 1,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.changed_by !== null ? { by: r.changed_by } : {}),
    ...(r.changed_at !== null ? { changedAt: r.changed_at } : {}),
  }
}

export function createSqliteQueueStore(run: Work): QueueStore {
  const read = (db: Database) =>
    toState(
      db.prepare('SELECT paused, reason, changed_by, changed_at FROM queue_state WHERE one = 1').get() as
        | StateRow
        | undefined,
    )
  return {
    get: () => run(read),
    set: ({ paused, reason, by }) =>
      run((db) =>
        db
          .transaction(() => {
            const current = read(db)
            if (current.paused === paused) return { state: current, changed: false }
            const ts = new Date().toISOString()
            db.prepare(
              'UPDATE queue_state SET paused = ?, reason = ?, changed_by = ?, changed_at = ? WHERE one = 1',
            ).run(paused ? 1 : 0, paused ? (reason ?? null) : null, by ?? null, ts)
            db.prepare('INSERT INTO queue_events (ts, type, reason, changed_by) VALUES (?, ?, ?, ?)').run(
              ts,
              paused ? 'queue.paused' : 'queue.resumed',
              reason ?? null,
              by ?? null,
            )
            return { state: read(db), changed: true }
          })
          .immediate(),
      ),
    history: (options = {}) =>
      run((db) =>
        (
          db
            .prepare('SELECT id, ts, type, reason, changed_by FROM queue_events ORDER BY id DESC LIMIT ?')
            .all(options.limit ?? 100) as ChangeRow[]
        ).map((r) => ({
          id: r.id,
          ts: r.ts,
          type: r.type,
          ...(r.reason !== null ? { reason: r.reason } : {}),
          ...(r.changed_by !== null ? { by: r.changed_by } : {}),
        })),
      ),
  }
}

/**
 * Tasks across runs, newest run first: tasks_by_order read backwards by run, stopping at the
 * limit (no index by status, which every status change would have to rewrite); the backend is
 * read from the state of the rows that pass. SQLite has no workers, so a task
 * has no agent and `agent` matches nothing.
 */
export function queryTasks(db: Database, q: TaskQuery): TaskState[] {
  if (q.agent !== undefined) return []
  const conditions = new Conditions()
  if (q.statuses?.length) conditions.add(`status IN (${q.statuses.map(() => '?').join(', ')})`, ...q.statuses)
  if (q.runId !== undefined) conditions.add('run_id = ?', q.runId)
  if (q.backend !== undefined) conditions.add("json_extract(state, '$.backend') = ?", q.backend)
  // INDEXED BY: the planner would otherwise read every task and sort them all for a status filter.
  const sql = `SELECT state FROM tasks INDEXED BY tasks_by_order ${conditions.where} ORDER BY run_id DESC, ord LIMIT ?`
  return (
    db
      .prepare(sql)
      .pluck()
      .all(...conditions.params, q.limit ?? DEFAULT_TASK_QUERY_LIMIT) as string[]
  ).map((s) => JSON.parse(s) as TaskState)
}
