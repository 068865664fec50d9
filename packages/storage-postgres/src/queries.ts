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
  const where = ['summary IS NOT NULL']
  const params: unknown[] = []
  const param = (value: unknown) => {
    params.push(value)
    return `$${params.length}`
  }
  if (f.status) where.push(`status = ANY(${param(f.status)}::text[])`)
  if (f.name) where.push(`name = ${param(f.name)}`)
  if (f.tag) where.push(`id IN (SELECT run_id FROM ${s}run_tags WHERE tag = ${param(f.tag)})`)
  if (f.createdBefore) where.push(`created_at < ${param(f.createdBefore)}`)
  // The cursor is the id of the last run of the previous page: ids sort by creation time.
  if (f.cursor) where.push(`id < ${param(f.cursor)}`)
  // One row more than asked tells whether there is a next page without a second query.
  const sql = `SELECT summary, last_seq FROM ${s}runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${param(f.limit + 1)}`
  const rows = await q.query<[string, number]>(sql, params, false)
  const items = rows.slice(0, f.limit).map((r) => toSummary(r[0], r[1]))
  return rows.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
}

async function queryEvents(q: Queryable, s: string, query: EventQuery): Promise<WeftEvent[]> {
  // An empty list matches nothing; `= ANY('{}')` would say so too, after a scan.
  if (query.types?.length === 0 || query.severities?.length === 0) return []
  const where: string[] = []
  const params: unknown[] = []
  const param = (value: unknown) => {
    params.push(value)
    return `$${params.length}`
  }
  if (query.runId) where.push(`run_id = ${param(query.runId)}`)
  // One value is `=`, not `= ANY`: the planner then knows the value and picks the index for it.
  if (query.types) {
    where.push(
      query.types.length === 1
        ? `type = ${param(query.types[0])}`
        : `type = ANY(${param(query.types)}::text[])`,
    )
  }
  if (query.taskId) where.push(`task_id = ${param(query.taskId)}`)
  if (query.severities) {
    where.push(
      query.severities.length === 1
        ? `severity = ${param(query.severities[0])}`
        : `severity = ANY(${param(query.severities)}::text[])`,
    )
  }
  if (query.since) where.push(`ts >= ${param(query.since)}`)
  if (query.until) where.push(`ts < ${param(query.until)}`)
  // One run reads in log order; across runs, time order is what a person querying expects.
  const order = query.runId ? 'seq' : 'ts, run_id, seq'
  const sql = `SELECT ${EVENT_COLUMNS} FROM ${s}events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${param(query.limit ?? DEFAULT_EVENT_LIMIT)}`
  return (await q.query<EventRow>(sql, params, false)).map(toEvent)
}
