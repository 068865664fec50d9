import type { Schedule, ScheduleStore, ScheduleTick } from '@weft/core'
import type { Database } from './driver.js'
import { preparedOnFirstUse } from './prepared-on-first-use.js'

interface ScheduleRow {
  record: string
  last_tick_at: string | null
  next_tick_at: string | null
}

interface TickRow {
  schedule_id: string
  tick_at: string
  claimed_at: string
  owner: string | null
  run_id: string | null
}

/** The statements of one connection, prepared on first use. */
function statements(db: Database) {
  return {
    // The definition is replaced; the tick state only moves forward (two servers syncing at once).
    put: db.prepare(
      `INSERT INTO schedules (id, created_at, record, last_tick_at, next_tick_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, record = excluded.record,
         next_tick_at = CASE WHEN schedules.last_tick_at IS NOT NULL
             AND (excluded.last_tick_at IS NULL OR excluded.last_tick_at < schedules.last_tick_at)
           THEN schedules.next_tick_at ELSE excluded.next_tick_at END,
         last_tick_at = CASE WHEN schedules.last_tick_at IS NOT NULL
             AND (excluded.last_tick_at IS NULL OR excluded.last_tick_at < schedules.last_tick_at)
           THEN schedules.last_tick_at ELSE excluded.last_tick_at END`,
    ),
    get: db.prepare('SELECT record, last_tick_at, next_tick_at FROM schedules WHERE id = ?'),
    list: db.prepare('SELECT record, last_tick_at, next_tick_at FROM schedules ORDER BY created_at, id'),
    remove: db.prepare('DELETE FROM schedules WHERE id = ?'),
    removeTicks: db.prepare('DELETE FROM schedule_ticks WHERE schedule_id = ?'),
    // The primary key (schedule_id, tick_at) is the claim: one INSERT wins, the others change nothing.
    claim: db.prepare(
      'INSERT INTO schedule_ticks (schedule_id, tick_at, claimed_at, owner) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    complete: db.prepare('UPDATE schedule_ticks SET run_id = ? WHERE schedule_id = ? AND tick_at = ?'),
    getTick: db.prepare(
      'SELECT schedule_id, tick_at, claimed_at, owner, run_id FROM schedule_ticks WHERE schedule_id = ? AND tick_at = ?',
    ),
    // `owner IS ?`: the claim being taken over may have had no owner (NULL).
    reclaim: db.prepare(
      'UPDATE schedule_ticks SET owner = ?, claimed_at = ? WHERE schedule_id = ? AND tick_at = ? AND owner IS ? AND run_id IS NULL',
    ),
    advance: db.prepare(
      'UPDATE schedules SET last_tick_at = ?, next_tick_at = ? WHERE id = ? AND (last_tick_at IS NULL OR last_tick_at < ?)',
    ),
    ticks: db.prepare(
      'SELECT schedule_id, tick_at, claimed_at, owner, run_id FROM schedule_ticks WHERE schedule_id = ? ORDER BY tick_at DESC LIMIT ?',
    ),
    prune: db.prepare('DELETE FROM schedule_ticks WHERE schedule_id = ? AND tick_at < ?'),
  }
}

const of = preparedOnFirstUse(statements)

function toSchedule(row: ScheduleRow): Schedule {
  const { lastTickAt: _l, nextTickAt: _n, ...definition } = JSON.parse(row.record) as Schedule
  return {
    ...definition,
    ...(row.last_tick_at !== null ? { lastTickAt: row.last_tick_at } : {}),
    ...(row.next_tick_at !== null ? { nextTickAt: row.next_tick_at } : {}),
  }
}

function toTick(r: TickRow): ScheduleTick {
  return {
    scheduleId: r.schedule_id,
    tickAt: r.tick_at,
    claimedAt: r.claimed_at,
    ...(r.owner !== null ? { owner: r.owner } : {}),
    ...(r.run_id !== null ? { runId: r.run_id } : {}),
  }
}

/** The schedules part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteScheduleStore(run: <T>(work: (db: Database) => T) => Promise<T>): ScheduleStore {
  return {
    put: (schedule) =>
      run((db) => {
        const { lastTickAt, nextTickAt, ...definition } = schedule
        of(db).put.run(
          schedule.id,
          schedule.createdAt,
          JSON.stringify(definition),
          lastTickAt ?? null,
          nextTickAt ?? null,
        )
      }),
    get: (id) =>
      run((db) => {
        const row = of(db).get.get(id) as ScheduleRow | undefined
        return row && toSchedule(row)
      }),
    list: () => run((db) => (of(db).list.all() as ScheduleRow[]).map(toSchedule)),
    remove: (id) =>
      run((db) =>
        db
          .transaction(() => {
            of(db).removeTicks.run(id)
            return of(db).remove.run(id).changes > 0
          })
          .immediate(),
      ),
    claimTick: (scheduleId, tickAt, owner) =>
      run((db) => of(db).claim.run(scheduleId, tickAt, new Date().toISOString(), owner ?? null).changes > 0),
    completeTick: (scheduleId, tickAt, runId) =>
      run((db) => {
        of(db).complete.run(runId, scheduleId, tickAt)
      }),
    getTick: (scheduleId, tickAt) =>
      run((db) => {
        const row = of(db).getTick.get(scheduleId, tickAt) as TickRow | undefined
        return row && toTick(row)
      }),
    reclaimTick: (scheduleId, tickAt, from, owner) =>
      run(
        (db) =>
          of(db).reclaim.run(owner, new Date().toISOString(), scheduleId, tickAt, from ?? null).changes > 0,
      ),
    advance: (scheduleId, tickAt, nextTickAt) =>
      run((db) => {
        of(db).advance.run(tickAt, nextTickAt ?? null, scheduleId, tickAt)
      }),
    ticks: (scheduleId, options = {}) =>
      run((db) => (of(db).ticks.all(scheduleId, options.limit ?? 100) as TickRow[]).map(toTick)),
    pruneTicks: (scheduleId, before) => run((db) => of(db).prune.run(scheduleId, before).changes),
  }
}
