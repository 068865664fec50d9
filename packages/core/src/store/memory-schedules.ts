import type { Schedule, ScheduleStore, ScheduleTick } from '@weft/spec'
import { cloneJson as clone } from './clone.js'

/** The schedules part of the memory store: schedules and claimed ticks in maps. */
export function createMemoryScheduleStore(): ScheduleStore {
  const schedules = new Map<string, Schedule>()
  const ticks = new Map<string, Map<string, ScheduleTick>>()
  return {
    async put(schedule) {
      const stored = schedules.get(schedule.id)
      const next = clone(schedule)
      // lastTickAt never moves back (ISO strings of one format compare as times).
      if (stored?.lastTickAt && (!next.lastTickAt || next.lastTickAt < stored.lastTickAt)) {
        next.lastTickAt = stored.lastTickAt
        if (stored.nextTickAt) next.nextTickAt = stored.nextTickAt
      }
      schedules.set(schedule.id, next)
    },
    async get(id) {
      const s = schedules.get(id)
      return s && clone(s)
    },
    async list() {
      return [...schedules.values()]
        .sort((a, b) =>
          a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
        )
        .map(clone)
    },
    async remove(id) {
      ticks.delete(id)
      return schedules.delete(id)
    },
    async claimTick(scheduleId, tickAt, owner) {
      let claimed = ticks.get(scheduleId)
      if (!claimed) {
        claimed = new Map()
        ticks.set(scheduleId, claimed)
      }
      if (claimed.has(tickAt)) return false
      claimed.set(tickAt, {
        scheduleId,
        tickAt,
        claimedAt: new Date().toISOString(),
        ...(owner !== undefined ? { owner } : {}),
      })
      return true
    },
    async completeTick(scheduleId, tickAt, runId) {
      const tick = ticks.get(scheduleId)?.get(tickAt)
      if (tick) tick.runId = runId
    },
    async getTick(scheduleId, tickAt) {
      const tick = ticks.get(scheduleId)?.get(tickAt)
      return tick && { ...tick }
    },
    async reclaimTick(scheduleId, tickAt, from, owner) {
      const tick = ticks.get(scheduleId)?.get(tickAt)
      if (!tick || tick.runId !== undefined || tick.owner !== from) return false
      tick.owner = owner
      tick.claimedAt = new Date().toISOString()
      return true
    },
    async advance(scheduleId, tickAt, nextTickAt) {
      const s = schedules.get(scheduleId)
      if (!s || (s.lastTickAt !== undefined && s.lastTickAt >= tickAt)) return
      s.lastTickAt = tickAt
      if (nextTickAt !== undefined) s.nextTickAt = nextTickAt
      else delete s.nextTickAt
    },
    async ticks(scheduleId, options = {}) {
      return [...(ticks.get(scheduleId)?.values() ?? [])]
        .sort((a, b) => (a.tickAt < b.tickAt ? 1 : -1))
        .slice(0, options.limit ?? 100)
        .map((t) => ({ ...t }))
    },
    async pruneTicks(scheduleId, before) {
      const claimed = ticks.get(scheduleId)
      let n = 0
      for (const key of [...(claimed?.keys() ?? [])]) {
        if (key < before) {
          claimed!.delete(key)
          n++
        }
      }
      return n
    },
  }
}
