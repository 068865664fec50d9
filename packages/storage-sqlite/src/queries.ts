import {
  type EventQuery,
  emptyRunCounts,
  type Page,
  type RunFilter,
  RunFilterSchema,
  type RunSpec,
  type RunStatus,
  type RunSummary,
  type TaskQuery,
  type TaskState,
  type WeftEvent,
} from '@weft/core'
import { Conditions } from './conditions.js'
import type { Work } from './connection.js'
import type { Database, Statement } from './driver.js'
import { EVENT_COLUMNS, type EventRow, toEvent } from './rows.js'
import { queryTasks } from './sqlite-queue.js'
import type { TaskJournal } from './task-journal.js'

const DEFAULT_EVENT_LIMIT = 1000

/** The run log's read statements of one connection. */
export interface ReadStatements {
  db: Database
  getSummary: Statement
  getSpec: Statement
  listTasks: Statement
  getTask: Statement
  readEvents: Statement
  /** Task changes not yet in `tasks`: every read of tasks folds them first. */
  journal: TaskJournal
  /** A statement whose WHERE clause depends on the filter, prepared once per SQL text. */
  cached(sql: string): Statement
}

/** The reads of the run log: summaries, specs, tasks and events. */
export function prepareReads(db: Database, journal: TaskJournal): ReadStatements {
  /** Statements whose WHERE clause depends on the filter, by SQL text (a few dozen at most). */
  const dynamic = new Map<string, Statement>()
  return {
    db,
    getSummary: db.prepare('SELECT summary FROM runs WHERE id = ? AND summary IS NOT NULL').pluck(),
    getSpec: db.prepare('SELECT spec FROM run_specs WHERE run_id = ?').pluck(),
    // rowid breaks ties of equal `order` by first insertion, as the in-memory store does.
    listTasks: db.prepare('SELECT state FROM tasks WHERE run_id = ? ORDER BY ord, rowid').pluck(),
    getTask: db.prepare('SELECT state FROM tasks WHERE run_id = ? AND task_id = ?').pluck(),
    journal,
    readEvents: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    cached(sql: string): Statement {
      let stmt = dynamic.get(sql)
      if (!stmt) {
        stmt = db.prepare(sql)
        dynamic.set(sql, stmt)
      }
      return stmt
    },
  }
}

/** The reads as the store's calls; `run` is the store's unit of work on its connection. */
export function runLogReads(run: Work<ReadStatements>) {
  /** A read of `tasks`: the journal is folded into it first, in the same unit of work. */
  const readTasks = <T>(work: (c: ReadStatements) => T) =>
    run((c) => {
      c.journal.foldBeforeRead()
      return work(c)
    })
  return {
    getRun: (runId: string) =>
      run((c) => parseOptional<RunSummary>(c.getSummary.get(runId) as string | undefined)),
    getSpec: (runId: string) =>
      run((c) => parseOptional<RunSpec>(c.getSpec.get(runId) as string | undefined)),
    listRuns: (filter?: RunFilter) => run((c) => listRuns(c, filter)),
    counts: () =>
      run((c) => {
        const counts = emptyRunCounts()
        const rows = c
          .cached('SELECT status, count(*) AS n FROM runs WHERE summary IS NOT NULL GROUP BY status')
          .all() as {
          status: RunStatus
          n: number
        }[]
        for (const r of rows) if (r.status in counts) counts[r.status] = r.n
        return counts
      }),
    listTasks: (runId: string) =>
      readTasks((c) => (c.listTasks.all(runId) as string[]).map((s) => JSON.parse(s) as TaskState)),
    getTask: (runId: string, taskId: string) =>
      readTasks((c) => parseOptional<TaskState>(c.getTask.get(runId, taskId) as string | undefined)),
    queryTasks: (query: TaskQuery) => readTasks((c) => queryTasks(c.db, query)),
    readEvents: (runId: string, opts: { afterSeq?: number; limit?: number } = {}) =>
      run((c) =>
        (c.readEvents.all(runId, opts.afterSeq ?? 0, opts.limit ?? DEFAULT_EVENT_LIMIT) as EventRow[]).map(
          toEvent,
        ),
      ),
    queryEvents: (query: EventQuery) => run((c) => queryEvents(c, query)),
  }
}

function listRuns(c: ReadStatements, filter: RunFilter = {}): Page<RunSummary> {
  const f = RunFilterSchema.parse(filter)
  const conditions = new Conditions('summary IS NOT NULL')
  if (f.status) conditions.addOneOf('status', f.status)
  if (f.name) conditions.add('name = ?', f.name)
  if (f.tag) conditions.add('id IN (SELECT run_id FROM run_tags WHERE tag = ?)', f.tag)
  if (f.createdBefore) conditions.add('created_at < ?', f.createdBefore)
  // The cursor is the id of the last run of the previous page: ids sort by creation time.
  if (f.cursor) conditions.add('id < ?', f.cursor)
  // One row more than asked tells whether there is a next page without a second query.
  const sql = `SELECT summary FROM runs ${conditions.where} ORDER BY id DESC LIMIT ?`
  const rows = c
    .cached(sql)
    .pluck()
    .all(...conditions.params, f.limit + 1) as string[]
  const items = rows.slice(0, f.limit).map((s) => JSON.parse(s) as RunSummary)
  return rows.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
}

function queryEvents(c: ReadStatements, q: EventQuery): WeftEvent[] {
  const conditions = new Conditions()
  if (q.runId) conditions.add('run_id = ?', q.runId)
  if (q.types) conditions.addOneOf('type', q.types)
  if (q.taskId) conditions.add('task_id = ?', q.taskId)
  if (q.severities) conditions.addOneOf('severity', q.severities)
  if (q.since) conditions.add('ts >= ?', q.since)
  if (q.until) conditions.add('ts < ?', q.until)
  // One run reads in log order; across runs, time order is what a person querying expects.
  const order = q.runId ? 'seq' : 'ts, run_id, seq'
  const sql = `SELECT ${EVENT_COLUMNS} FROM events ${conditions.where} ORDER BY ${order} LIMIT ?`
  return (c.cached(sql).all(...conditions.params, q.limit ?? DEFAULT_EVENT_LIMIT) as EventRow[]).map(toEvent)
}

function parseOptional<T>(text: string | undefined): T | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as T)
}
