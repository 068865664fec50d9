import {
  type DataflowExecutionRecord,
  type DataflowStore,
  type DataflowStoredEvent,
  WeftError,
} from '@weft/core'
import type { Database } from './driver.js'
import { preparedOnFirstUse } from './prepared-on-first-use.js'

interface EventRow {
  execution_id: string
  seq: number
  ts: string
  type: string
  data: string
}

/** The statements of one connection, prepared on first use. */
function statements(db: Database) {
  return {
    save: db.prepare(
      `INSERT INTO dataflow_executions (id, graph, state, created_at, record) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET graph = excluded.graph, state = excluded.state, created_at = excluded.created_at, record = excluded.record`,
    ),
    get: db.prepare('SELECT record FROM dataflow_executions WHERE id = ?').pluck(),
    lastSeq: db.prepare('SELECT last_seq FROM dataflow_executions WHERE id = ?').pluck(),
    setLastSeq: db.prepare('UPDATE dataflow_executions SET last_seq = ? WHERE id = ?'),
    insertEvent: db.prepare(
      'INSERT INTO dataflow_events (execution_id, seq, ts, type, data) VALUES (?, ?, ?, ?, ?)',
    ),
    list: db
      .prepare('SELECT record FROM dataflow_executions ORDER BY created_at DESC, id DESC LIMIT ?')
      .pluck(),
    listByState: db
      .prepare(
        'SELECT record FROM dataflow_executions WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT ?',
      )
      .pluck(),
    events: db.prepare(
      'SELECT execution_id, seq, ts, type, data FROM dataflow_events WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
  }
}

const of = preparedOnFirstUse(statements)

/** The dataflow part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteDataflowStore(run: <T>(work: (db: Database) => T) => Promise<T>): DataflowStore {
  return {
    save: (record) =>
      run((db) => {
        of(db).save.run(record.id, record.graph, record.state, record.createdAt, JSON.stringify(record))
      }),
    append: (executionId, drafts) =>
      run((db) => {
        const s = of(db)
        return db
          .transaction((): DataflowStoredEvent[] => {
            const last = s.lastSeq.get(executionId) as number | undefined
            if (last === undefined) {
              throw new WeftError(
                'input_invalid',
                `there is no dataflow execution '${executionId}' to append events to`,
                { hint: 'save() the execution first' },
              )
            }
            const stored = drafts.map((d, i) => ({
              executionId,
              seq: last + i + 1,
              ts: d.ts,
              type: d.type,
              data: d.data,
            }))
            for (const e of stored)
              s.insertEvent.run(executionId, e.seq, e.ts, e.type, JSON.stringify(e.data))
            s.setLastSeq.run(last + stored.length, executionId)
            return stored
          })
          .immediate()
      }),
    get: (id) =>
      run((db) => {
        const text = of(db).get.get(id) as string | undefined
        return text === undefined ? undefined : (JSON.parse(text) as DataflowExecutionRecord)
      }),
    list: (options = {}) =>
      run((db) => {
        const s = of(db)
        const limit = options.limit ?? 100
        const rows = (
          options.state === undefined ? s.list.all(limit) : s.listByState.all(options.state, limit)
        ) as string[]
        return rows.map((t) => JSON.parse(t) as DataflowExecutionRecord)
      }),
    events: (executionId, options = {}) =>
      run((db) =>
        (of(db).events.all(executionId, options.afterSeq ?? 0, options.limit ?? 1000) as EventRow[]).map(
          (r) => ({
            executionId: r.execution_id,
            seq: r.seq,
            ts: r.ts,
            type: r.type,
            data: JSON.parse(r.data),
          }),
        ),
      ),
  }
}
