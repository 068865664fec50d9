/**
 * The durable queue flag (`store.queue`) and tasks across runs (`tasks.query`) on PostgreSQL.
 * The flag is one row; a change updates it and appends its history row in one transaction, and
 * sends `NOTIFY weft_queue` (delivered at commit) for processes that listen rather than poll.
 * `weft worker`'s claim statement reads the same row, so a paused queue hands out no claim.
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
import type { Db } from './db.js'
import type { Migration } from './migrations.js'

/** Migration 3: the durable queue flag and its history. */
export const QUEUE_FLAG_MIGRATION: Migration = {
  version: 3,
  name: 'queue flag',
  sql: `
    CREATE TABLE {s}queue_state (
      one         boolean PRIMARY KEY DEFAULT true CHECK (one),
      paused      boolean NOT NULL,
      reason      text,
      changed_by  text,
      changed_at  timestamptz
    );
    INSERT INTO {s}queue_state (one, paused) VALUES (true, false);
    -- The queue belongs to no run, so its changes are kept here instead of in a run's log.
    CREATE TABLE {s}queue_events (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      ts          timestamptz NOT NULL DEFAULT now(),
      type        text NOT NULL,
      reason      text,
      changed_by  text
    );
    -- No index by task status: each status change would write one more index entry (and the
    -- worker's queue is hot). Tasks across runs walk tasks_by_order from the newest run back.
  `,
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

type StateRow = [paused: boolean, reason: string | null, by: string | null, changedAt: string | null]
type ChangeRow = [id: number, ts: string, type: QueueChange['type'], reason: string | null, by: string | null]

function toState(r: StateRow | undefined): QueueState {
  if (!r) return { paused: false }
  const [paused, reason, by, changedAt] = r
  return {
    paused,
    ...(reason !== null ? { reason } : {}),
    ...(by !== null ? { by } : {}),
    ...(changedAt !== null ? { changedAt } : {}),
  }
}

export function queueFlagStore(db: Db, s: string): QueueStore {
  const get = `SELECT paused, reason, changed_by, ${iso('changed_at')} FROM ${s}queue_state WHERE one`
  const lock = `${get} FOR UPDATE`
  const update = `UPDATE ${s}queue_state SET paused = $1, reason = $2, changed_by = $3, changed_at = now() WHERE one`
  const record = `INSERT INTO ${s}queue_events (type, reason, changed_by) VALUES ($1, $2, $3)`
  const notify = `SELECT pg_notify('weft_queue', $1)`
  const history = `SELECT id, ${iso('ts')}, type, reason, changed_by FROM ${s}queue_events ORDER BY id DESC LIMIT $1`
  return {
    async get() {
      return toState((await db.query<StateRow>(get))[0])
    },
    set: ({ paused, reason, by }) =>
      db.tx(async (q) => {
        const current = toState((await q.query<StateRow>(lock))[0])
        if (current.paused === paused) return { state: current, changed: false }
        await q.execute(update, [paused, paused ? (reason ?? null) : null, by ?? null])
        await q.execute(record, [paused ? 'queue.paused' : 'queue.resumed', reason ?? null, by ?? null])
        await q.query(notify, [JSON.stringify({ schema: s, paused })])
        return { state: toState((await q.query<StateRow>(get))[0]), changed: true }
      }),
    async history(options = {}) {
      const rows = await db.query<ChangeRow>(history, [options.limit ?? 100])
      return rows.map(([id, ts, type, reason, by]) => ({
        id,
        ts,
        type,
        ...(reason !== null ? { reason } : {}),
        ...(by !== null ? { by } : {}),
      }))
    },
  }
}

/**
 * Tasks across runs, newest run first (tasks_by_order, read backwards, stops at the limit): status
 * and run are columns; the backend is read from the state of the rows that pass them; the agent is the worker that claimed the task,
 * named in the claim events `weft worker` appends to the run's log (events_by_task).
 */
export async function queryTasks(db: Db, s: string, q: TaskQuery): Promise<TaskState[]> {
  const conditions = new Conditions()
  if (q.statuses?.length) conditions.add(`t.status = ANY(${conditions.param(q.statuses)}::text[])`)
  if (q.runId !== undefined) conditions.add(`t.run_id = ${conditions.param(q.runId)}`)
  if (q.backend !== undefined)
    conditions.add(`(t.state::jsonb ->> 'backend') = ${conditions.param(q.backend)}`)
  if (q.agent !== undefined)
    conditions.add(`EXISTS (SELECT 1 FROM ${s}events e WHERE e.run_id = t.run_id AND e.task_id = t.task_id
      AND e.type = 'log' AND (e.data::jsonb #>> '{fields,worker}') = ${conditions.param(q.agent)})`)
  const limit = conditions.param(q.limit ?? DEFAULT_TASK_QUERY_LIMIT)
  const sql = `SELECT t.state FROM ${s}tasks t ${conditions.where}
    ORDER BY t.run_id DESC, t.ord, t.added LIMIT ${limit}`
  // Not prepared: the best plan depends on which filters are given.
  return (await db.query<[string]>(sql, conditions.params, false)).map((r) => JSON.parse(r[0]) as TaskState)
}
