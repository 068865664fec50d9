import {
  type EventQuery,
  emptyRunCounts,
  type Page,
  type RunFilter,
  RunFilterSchema,
  type RunStatus,
  type RunSummary,
  type WeftEvent,
} from '@weft/core'
import { Conditions } from './conditions.js'
import type { Queryable } from './db.js'
import {
  EVENT_COLUMNS,
  type EventRow,
  RUN_EVENT_COLUMNS,
  type RunEventRow,
  toEvent,
  toRunEvent,
  toSummary,
} from './rows.js'

const DEFAULT_EVENT_LIMIT = 1000

/** The reads of the run log: runs, tasks and events. */
export function runLogReads(q: Queryable, s: string) {
  const getSummary = `SELECT summary, last_seq FROM ${s}runs WHERE id = $1 AND summary IS NOT NULL`
  const getSpec = `SELECT spec FROM ${s}run_specs WHERE run_id = $1`
  const counts = `SELECT status, count(*)::int FROM ${s}runs WHERE summary IS NOT NULL GROUP BY status`
  const listTasks = `SELECT state FROM ${s}tasks WHERE run_id = $1 ORDER BY ord, added`
  const getTask = `SELECT state FROM ${s}tasks WHERE run_id = $1 AND task_id = $2`
  // Without run_id: the caller named the run, and a 1,000-event page then decodes 1,000 strings less.
  const readEvents = `SELECT ${RUN_EVENT_COLUMNS} FROM ${s}events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`

  return {
    async getRun(runId: string): Promise<RunSummary | undefined> {
      const [row] = await q.query<[string, number]>(getSummary, [runId])
      return row && toSummary(row[0], row[1])
    },
    async getSpec<T>(runId: string): Promise<T | undefined> {
      const [row] = await q.query<[string]>(getSpec, [runId])
      return row && (JSON.parse(row[0]) as T)
    },
    async counts(): Promise<Record<RunStatus, number>> {
      const result = emptyRunCounts()
      for (const [status, n] of await q.query<[RunStatus, number]>(counts)) {
        if (status in result) result[status] = n
      }
      return result
    },
    async listTasks<T>(runId: string): Promise<T[]> {
      return (await q.query<[string]>(listTasks, [runId])).map((r) => JSON.parse(r[0]) as T)
    },
    async getTask<T>(runId: string, taskId: string): Promise<T | undefined> {
      const [row] = await q.query<[string]>(getTask, [runId, taskId])
      return row && (JSON.parse(row[0]) as T)
    },
    async readEvents(runId: string, afterSeq = 0, limit = DEFAULT_EVENT_LIMIT): Promise<WeftEvent[]> {
      const rows = await q.query<RunEventRow>(readEvents, [runId, afterSeq, limit])
      return rows.map((r) => toRunEvent(runId, r))
    },
    listRuns: (filter?: RunFilter) => listRuns(q, s, filter),
    queryEvents: (query: EventQuery) => queryEvents(q, s, query),
  }
}

async function listRuns(q: Queryable, s: string, filter: RunFilter = {}): Promise<Page<RunSummary>> {
  const f = RunFilterSchema.parse(filter)
  const conditions = new Conditions('summary IS NOT NULL')
  if (f.status) conditions.add(`status = ANY(${conditions.param(f.status)}::text[])`)
  if (f.name) conditions.add(`name = ${conditions.param(f.name)}`)
  if (f.tag) conditions.add(`id IN (SELECT run_id FROM ${s}run_tags WHERE tag = ${conditions.param(f.tag)})`)
  if (f.createdBefore) conditions.add(`created_at < ${conditions.param(f.createdBefore)}`)
  // The cursor is the id of the last run of the previous page: ids sort by creation time.
  if (f.cursor) conditions.add(`id < ${conditions.param(f.cursor)}`)
  // One row more than asked tells whether there is a next page without a second query.
  const sql = `SELECT summary, last_seq FROM ${s}runs ${conditions.where} ORDER BY id DESC LIMIT ${conditions.param(f.limit + 1)}`
  const rows = await q.query<[string, number]>(sql, conditions.params, false)
  const items = rows.slice(0, f.limit).map((r) => toSummary(r[0], r[1]))
  return rows.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
}

async function queryEvents(q: Queryable, s: string, query: EventQuery): Promise<WeftEvent[]> {
  // An empty list matches nothing; `= ANY('{}')` would say so too, after a scan.
  if (query.types?.length === 0 || query.severities?.length === 0) return []
  const conditions = new Conditions()
  if (query.runId) conditions.add(`run_id = ${conditions.param(query.runId)}`)
  if (query.types) conditions.addOneOf('type', query.types)
  if (query.taskId) conditions.add(`task_id = ${conditions.param(query.taskId)}`)
  if (query.severities) conditions.addOneOf('severity', query.severities)
  if (query.since) conditions.add(`ts >= ${conditions.param(query.since)}`)
  if (query.until) conditions.add(`ts < ${conditions.param(query.until)}`)
  // One run reads in log order; across runs, time order is what a person querying expects.
  const order = query.runId ? 'seq' : 'ts, run_id, seq'
  const sql = `SELECT ${EVENT_COLUMNS} FROM ${s}events ${conditions.where} ORDER BY ${order} LIMIT ${conditions.param(query.limit ?? DEFAULT_EVENT_LIMIT)}`
  return (await q.query<EventRow>(sql, conditions.params, false)).map(toEvent)
}
