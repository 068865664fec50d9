import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import {
  type Commit,
  type EventQuery,
  type Json,
  type Page,
  type RunFilter,
  RunFilterSchema,
  type RunSpec,
  type RunSummary,
  type Signal,
  STORE_SPECIFICATION_VERSION,
  type Store,
  type TaskState,
  WeftError,
  type WeftEvent,
} from '@weft/core'
import Database from 'better-sqlite3'
import { isBusyError, retryBusy } from './busy.js'
import { migrate } from './migrations.js'

export interface SqliteStoreOptions {
  /** The database file (created with its parent directory when missing), or `:memory:`. */
  path: string
  /**
   * How long a statement waits for another connection's lock before SQLite reports it busy.
   * Default 5000 ms. Writers take turns; readers never wait for writers (WAL).
   */
  busyTimeoutMs?: number
}

interface RunRow {
  last_seq: number
  summary: string | null
}

interface EventRow {
  run_id: string
  seq: number
  ts: string
  type: WeftEvent['type']
  task_id: string | null
  attempt: number | null
  severity: WeftEvent['severity']
  data: string
}

interface SignalRow {
  id: number
  run_id: string
  kind: Signal['kind']
  data: string | null
  created_at: string
}

const EVENT_COLUMNS = 'run_id, seq, ts, type, task_id, attempt, severity, data'
const DEFAULT_EVENT_LIMIT = 1000

/**
 * The embedded default store: one SQLite file, WAL journal, one transaction per commit. Several
 * processes may open the same file: readers see the last committed state while a writer works,
 * and writers queue on the file lock (`busyTimeoutMs`).
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const inMemory = options.path === ':memory:'
  const file = inMemory ? ':memory:' : resolve(options.path)
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  let conn: Connection | undefined
  let closed = false

  function connection(): Connection {
    if (closed) {
      throw new WeftError('internal', `the sqlite store ${file} is closed`, {
        hint: 'create a new store to open the database again',
      })
    }
    conn ??= openConnection(file, inMemory, busyTimeoutMs)
    return conn
  }

  /** Every operation: one synchronous unit of work on the connection, retried whole if busy. */
  async function run<T>(work: (c: Connection) => T): Promise<T> {
    try {
      return await retryBusy(() => work(connection()))
    } catch (err) {
      if (!isBusyError(err)) throw err
      throw new WeftError(
        'internal',
        `the sqlite database ${file} stayed locked by another connection: ${(err as Error).message}`,
        {
          hint: `another process held a write lock longer than busyTimeoutMs (${busyTimeoutMs} ms); raise busyTimeoutMs or find the process that keeps the database locked`,
          cause: err,
        },
      )
    }
  }

  return {
    specificationVersion: STORE_SPECIFICATION_VERSION,
    id: `sqlite:${file}`,
    capabilities: { transactions: true, multiProcess: !inMemory, leases: false },

    async init() {
      await run(() => undefined)
    },

    async close() {
      closed = true
      const c = conn
      conn = undefined
      c?.db.close()
    },

    commit: (commit) => run((c) => c.commit.immediate(commit)),

    runs: {
      get: (runId) => run((c) => parseOptional<RunSummary>(c.getSummary.get(runId) as string | undefined)),
      getSpec: (runId) => run((c) => parseOptional<RunSpec>(c.getSpec.get(runId) as string | undefined)),
      list: (filter) => run((c) => listRuns(c, filter)),
    },

    tasks: {
      list: (runId) =>
        run((c) => (c.listTasks.all(runId) as string[]).map((s) => JSON.parse(s) as TaskState)),
      get: (runId, taskId) =>
        run((c) => parseOptional<TaskState>(c.getTask.get(runId, taskId) as string | undefined)),
    },

    events: {
      read: (runId, opts = {}) =>
        run((c) =>
          (c.readEvents.all(runId, opts.afterSeq ?? 0, opts.limit ?? DEFAULT_EVENT_LIMIT) as EventRow[]).map(
            toEvent,
          ),
        ),
      query: (query) => run((c) => queryEvents(c, query)),
    },

    signals: {
      send: (signal) =>
        run((c) => {
          const createdAt = new Date().toISOString()
          const data = signal.data === undefined ? null : JSON.stringify(signal.data)
          const { lastInsertRowid } = c.insertSignal.run(signal.runId, signal.kind, data, createdAt)
          return toSignal({
            id: Number(lastInsertRowid),
            run_id: signal.runId,
            kind: signal.kind,
            data,
            created_at: createdAt,
          })
        }),
      receive: (runIds, afterId) =>
        run((c) =>
          runIds.length === 0
            ? []
            : (c.receiveSignals.all(afterId, JSON.stringify(runIds)) as SignalRow[]).map(toSignal),
        ),
      lastId: () => run((c) => c.lastSignalId.get() as number),
    },
  }
}

type Connection = ReturnType<typeof openConnection>

function openConnection(file: string, inMemory: boolean, busyTimeoutMs: number) {
  if (!inMemory) mkdirSync(dirname(file), { recursive: true })
  // `timeout` is SQLite's busy_timeout: wait for another connection's lock instead of failing.
  const db = new Database(file, { timeout: busyTimeoutMs })
  try {
    // WAL: readers in other processes keep reading the last committed state while one writes.
    if (!inMemory) db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    migrate(db)
    return prepare(db)
  } catch (err) {
    db.close()
    throw err
  }
}

function prepare(db: Database.Database) {
  const getRun = db.prepare('SELECT last_seq, summary FROM runs WHERE id = ?')
  const insertRun = db.prepare('INSERT INTO runs (id, spec, last_seq) VALUES (?, ?, 0)')
  const updateSpec = db.prepare('UPDATE runs SET spec = ? WHERE id = ?')
  const updateSummary = db.prepare(
    'UPDATE runs SET name = ?, status = ?, created_at = ?, updated_at = ?, summary = ?, last_seq = ? WHERE id = ?',
  )
  const updateLastSeq = db.prepare('UPDATE runs SET summary = ?, last_seq = ? WHERE id = ?')
  const deleteTags = db.prepare('DELETE FROM run_tags WHERE run_id = ?')
  const insertTag = db.prepare('INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)')
  const upsertTask = db.prepare(
    `INSERT INTO tasks (run_id, task_id, ord, status, state) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
  )
  const insertEvent = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)

  /**
   * The one write path. Runs inside `.immediate()`: the write lock is taken before the last seq
   * is read, so two processes cannot both read seq n and both write n + 1.
   */
  const commit = db.transaction((c: Commit): WeftEvent[] => {
    let row = getRun.get(c.runId) as RunRow | undefined
    if (c.create) {
      if (row) throw new WeftError('conflict', `run ${c.runId} already exists`)
      insertRun.run(c.runId, JSON.stringify(c.create.spec))
      row = { last_seq: 0, summary: null }
    } else if (!row) {
      throw new WeftError('run_not_found', `run ${c.runId} does not exist`)
    }
    const lastSeq = row.last_seq
    if (c.expectLastSeq !== undefined && c.expectLastSeq !== lastSeq) {
      throw new WeftError(
        'conflict',
        `run ${c.runId} changed (last seq ${lastSeq}, expected ${c.expectLastSeq})`,
        {
          hint: 'another process acted on this run; reload it and try again',
        },
      )
    }

    const stored = c.events.map((e, i) => {
      const r: EventRow = {
        run_id: c.runId,
        seq: lastSeq + i + 1,
        ts: e.ts,
        type: e.type,
        task_id: e.taskId ?? null,
        attempt: e.attempt ?? null,
        severity: e.severity ?? 'info',
        data: JSON.stringify(e.data),
      }
      insertEvent.run(r.run_id, r.seq, r.ts, r.type, r.task_id, r.attempt, r.severity, r.data)
      return toEvent(r)
    })
    const newLastSeq = lastSeq + stored.length

    if (c.spec) updateSpec.run(JSON.stringify(c.spec), c.runId)
    for (const t of c.tasks ?? []) upsertTask.run(c.runId, t.taskId, t.order, t.status, JSON.stringify(t))

    if (c.run) {
      const s = c.run
      updateSummary.run(
        s.name,
        s.status,
        s.createdAt,
        s.updatedAt,
        JSON.stringify({ ...s, lastSeq: newLastSeq }),
        newLastSeq,
        c.runId,
      )
      deleteTags.run(c.runId)
      for (const tag of s.tags) insertTag.run(c.runId, tag)
    } else if (newLastSeq !== lastSeq) {
      // The stored summary keeps saying which seq it is current to, even when only events moved.
      const summary =
        row.summary === null
          ? null
          : JSON.stringify({ ...(JSON.parse(row.summary) as RunSummary), lastSeq: newLastSeq })
      updateLastSeq.run(summary, newLastSeq, c.runId)
    }
    return stored
  })

  return {
    db,
    commit,
    getSummary: db.prepare('SELECT summary FROM runs WHERE id = ? AND summary IS NOT NULL').pluck(),
    getSpec: db.prepare('SELECT spec FROM runs WHERE id = ?').pluck(),
    // rowid breaks ties of equal `order` by first insertion, as the in-memory store does.
    listTasks: db.prepare('SELECT state FROM tasks WHERE run_id = ? ORDER BY ord, rowid').pluck(),
    getTask: db.prepare('SELECT state FROM tasks WHERE run_id = ? AND task_id = ?').pluck(),
    readEvents: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    insertSignal: db.prepare('INSERT INTO signals (run_id, kind, data, created_at) VALUES (?, ?, ?, ?)'),
    receiveSignals: db.prepare(
      'SELECT id, run_id, kind, data, created_at FROM signals WHERE id > ? AND run_id IN (SELECT value FROM json_each(?)) ORDER BY id',
    ),
    lastSignalId: db.prepare('SELECT coalesce(max(id), 0) FROM signals').pluck(),
    /** Statements whose WHERE clause depends on the filter, by SQL text (a few dozen at most). */
    dynamic: new Map<string, Database.Statement>(),
  }
}

function cached(c: Connection, sql: string): Database.Statement {
  let stmt = c.dynamic.get(sql)
  if (!stmt) {
    stmt = c.db.prepare(sql)
    c.dynamic.set(sql, stmt)
  }
  return stmt
}

function listRuns(c: Connection, filter: RunFilter = {}): Page<RunSummary> {
  const f = RunFilterSchema.parse(filter)
  const where = ['summary IS NOT NULL']
  const params: unknown[] = []
  if (f.status) {
    where.push('status IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(f.status))
  }
  if (f.name) {
    where.push('name = ?')
    params.push(f.name)
  }
  if (f.tag) {
    where.push('id IN (SELECT run_id FROM run_tags WHERE tag = ?)')
    params.push(f.tag)
  }
  if (f.createdBefore) {
    where.push('created_at < ?')
    params.push(f.createdBefore)
  }
  // The cursor is the id of the last run of the previous page: ids sort by creation time.
  if (f.cursor) {
    where.push('id < ?')
    params.push(f.cursor)
  }
  // One row more than asked tells whether there is a next page without a second query.
  const sql = `SELECT summary FROM runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`
  const rows = cached(c, sql)
    .pluck()
    .all(...params, f.limit + 1) as string[]
  const items = rows.slice(0, f.limit).map((s) => JSON.parse(s) as RunSummary)
  return rows.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
}

function queryEvents(c: Connection, q: EventQuery): WeftEvent[] {
  const where: string[] = []
  const params: unknown[] = []
  if (q.runId) {
    where.push('run_id = ?')
    params.push(q.runId)
  }
  if (q.types) {
    where.push('type IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(q.types))
  }
  if (q.taskId) {
    where.push('task_id = ?')
    params.push(q.taskId)
  }
  if (q.severities) {
    where.push('severity IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(q.severities))
  }
  if (q.since) {
    where.push('ts >= ?')
    params.push(q.since)
  }
  if (q.until) {
    where.push('ts < ?')
    params.push(q.until)
  }
  // One run reads in log order; across runs, time order is what a person querying expects.
  const order = q.runId ? 'seq' : 'ts, run_id, seq'
  const sql = `SELECT ${EVENT_COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`
  return (cached(c, sql).all(...params, q.limit ?? DEFAULT_EVENT_LIMIT) as EventRow[]).map(toEvent)
}

function parseOptional<T>(text: string | undefined): T | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as T)
}

function toEvent(r: EventRow): WeftEvent {
  return {
    runId: r.run_id,
    seq: r.seq,
    ts: r.ts,
    type: r.type,
    ...(r.task_id !== null ? { taskId: r.task_id } : {}),
    ...(r.attempt !== null ? { attempt: r.attempt } : {}),
    severity: r.severity,
    data: JSON.parse(r.data),
  } as WeftEvent
}

function toSignal(r: SignalRow): Signal {
  return {
    id: r.id,
    runId: r.run_id,
    kind: r.kind,
    ...(r.data !== null ? { data: JSON.parse(r.data) as Json } : {}),
    createdAt: r.created_at,
  }
}
