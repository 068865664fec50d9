import type { Schedule, ScheduleStore, ScheduleTick } from '@weft/core'
import type { Db } from './db.js'
import type { Migration } from './migrations.js'
import { epochMs } from './rows.js'

/**
 * Migration 4: cron schedules (store.schedules). The definition is JSON text; the tick state is in
 * columns so that it only moves forward. One row per claimed tick: its primary key is what makes
 * a tick fire once across every process, machine and restart.
 */
export const SCHEDULES_MIGRATION: Migration = {
  version: 4,
  name: 'schedules',
  sql: `
    CREATE TABLE {s}schedules (
      id            text COLLATE "C" PRIMARY KEY,
      created_at    text COLLATE "C" NOT NULL,
      record        text NOT NULL,
      last_tick_at  text COLLATE "C",
      next_tick_at  text COLLATE "C"
    );
    CREATE INDEX schedules_by_created ON {s}schedules (created_at, id);
    CREATE TABLE {s}schedule_ticks (
      schedule_id  text COLLATE "C" NOT NULL,
      tick_at      text COLLATE "C" NOT NULL,
      claimed_at   timestamptz NOT NULL DEFAULT now(),
      owner        text,
      run_id       text COLLATE "C",
      PRIMARY KEY (schedule_id, tick_at)
    );
  `,
}

type ScheduleRow = [record: string, lastTickAt: string | null, nextTickAt: string | null]
type TickRow = [
  scheduleId: string,
  tickAt: string,
  claimedMs: number,
  owner: string | null,
  runId: string | null,
]

function toSchedule([record, last, next]: ScheduleRow): Schedule {
  const { lastTickAt: _l, nextTickAt: _n, ...definition } = JSON.parse(record) as Schedule
  return {
    ...definition,
    ...(last !== null ? { lastTickAt: last } : {}),
    ...(next !== null ? { nextTickAt: next } : {}),
  }
}

function toTick([scheduleId, tickAt, claimedMs, owner, runId]: TickRow): ScheduleTick {
  return {
    scheduleId,
    tickAt,
    claimedAt: new Date(claimedMs).toISOString(),
    ...(owner !== null ? { owner } : {}),
    ...(runId !== null ? { runId } : {}),
  }
}

/** Schedules: one statement per call; a claim is `INSERT … ON CONFLICT DO NOTHING` on the tick's key. */
export function scheduleStore(db: Db, s: string): ScheduleStore {
  // The stored tick state wins when it is later than the given one (two servers syncing at once).
  const keepOld = `${s}schedules.last_tick_at IS NOT NULL AND (excluded.last_tick_at IS NULL OR excluded.last_tick_at < ${s}schedules.last_tick_at)`
  const put = `INSERT INTO ${s}schedules (id, created_at, record, last_tick_at, next_tick_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, record = excluded.record,
      next_tick_at = CASE WHEN ${keepOld} THEN ${s}schedules.next_tick_at ELSE excluded.next_tick_at END,
      last_tick_at = CASE WHEN ${keepOld} THEN ${s}schedules.last_tick_at ELSE excluded.last_tick_at END`
  const get = `SELECT record, last_tick_at, next_tick_at FROM ${s}schedules WHERE id = $1`
  const list = `SELECT record, last_tick_at, next_tick_at FROM ${s}schedules ORDER BY created_at, id`
  const removeTicks = `DELETE FROM ${s}schedule_ticks WHERE schedule_id = $1`
  const remove = `DELETE FROM ${s}schedules WHERE id = $1`
  const claim = `INSERT INTO ${s}schedule_ticks (schedule_id, tick_at, owner) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
  const complete = `UPDATE ${s}schedule_ticks SET run_id = $3 WHERE schedule_id = $1 AND tick_at = $2`
  const getTick = `SELECT schedule_id, tick_at, ${epochMs('claimed_at')}, owner, run_id FROM ${s}schedule_ticks
    WHERE schedule_id = $1 AND tick_at = $2`
  // IS NOT DISTINCT FROM: the claim being taken over may have had no owner (NULL).
  const reclaim = `UPDATE ${s}schedule_ticks SET owner = $4, claimed_at = now()
    WHERE schedule_id = $1 AND tick_at = $2 AND owner IS NOT DISTINCT FROM $3 AND run_id IS NULL`
  const advance = `UPDATE ${s}schedules SET last_tick_at = $2, next_tick_at = $3
    WHERE id = $1 AND (last_tick_at IS NULL OR last_tick_at < $2)`
  const ticks = `SELECT schedule_id, tick_at, ${epochMs('claimed_at')}, owner, run_id FROM ${s}schedule_ticks
    WHERE schedule_id = $1 ORDER BY tick_at DESC LIMIT $2`
  const prune = `DELETE FROM ${s}schedule_ticks WHERE schedule_id = $1 AND tick_at < $2`

  return {
    async put(schedule) {
      const { lastTickAt, nextTickAt, ...definition } = schedule
      await db.execute(put, [
        schedule.id,
        schedule.createdAt,
        JSON.stringify(definition),
        lastTickAt ?? null,
        nextTickAt ?? null,
      ])
    },
    async get(id) {
      const [row] = await db.query<ScheduleRow>(get, [id])
      return row && toSchedule(row)
    },
    async list() {
      return (await db.query<ScheduleRow>(list)).map(toSchedule)
    },
    remove: (id) =>
      db.tx(async (q) => {
        await q.execute(removeTicks, [id])
        return (await q.execute(remove, [id])) > 0
      }),
    async claimTick(scheduleId, tickAt, owner) {
      return (await db.execute(claim, [scheduleId, tickAt, owner ?? null])) > 0
    },
    async completeTick(scheduleId, tickAt, runId) {
      await db.execute(complete, [scheduleId, tickAt, runId])
    },
    async getTick(scheduleId, tickAt) {
      const [row] = await db.query<TickRow>(getTick, [scheduleId, tickAt])
      return row && toTick(row)
    },
    async reclaimTick(scheduleId, tickAt, from, owner) {
      return (await db.execute(reclaim, [scheduleId, tickAt, from ?? null, owner])) > 0
    },
    async advance(scheduleId, tickAt, nextTickAt) {
      await db.execute(advance, [scheduleId, tickAt, nextTickAt ?? null])
    },
    async ticks(scheduleId, options = {}) {
      return (await db.query<TickRow>(ticks, [scheduleId, options.limit ?? 100])).map(toTick)
    },
    pruneTicks: (scheduleId, before) => db.execute(prune, [scheduleId, before]),
  }
}
