import { randomBytes } from 'node:crypto'
import {
  type Json,
  type MissedTickPolicy,
  MissedTickPolicySchema,
  type Schedule,
  type ScheduleStore,
  type ScheduleWorkflow,
  type Store,
  scheduleStoreOf,
  WeftError,
} from '@weft/spec'
import { parseCron } from './cron.js'

/** What a person gives to add a schedule (CLI, API); the rest is filled in. */
export interface ScheduleDraft {
  workflow: ScheduleWorkflow
  cron: string
  timezone?: string
  inputs?: Record<string, Json>
  missed?: MissedTickPolicy
  name?: string
  enabled?: boolean
  origin?: Schedule['origin']
  /** Default a new `sch_…` id. */
  id?: string
}

/** `sch_` and 16 random hex digits: short enough to type in `weft schedules remove`. */
export function newScheduleId(): string {
  return `sch_${randomBytes(8).toString('hex')}`
}

/**
 * A complete schedule from a draft, its cron and time zone checked (`input_invalid` naming the
 * field) and its first tick after `now` computed for lists.
 */
export function defineSchedule(draft: ScheduleDraft, now: number = Date.now()): Schedule {
  const times = parseCron(draft.cron, draft.timezone)
  const missed = MissedTickPolicySchema.safeParse(draft.missed ?? 'skip')
  if (!missed.success) {
    throw new WeftError('input_invalid', `missed must be skip or catchUp, not '${String(draft.missed)}'`, {
      hint: 'skip drops ticks missed while no server ran; catchUp starts one run for the latest of them',
    })
  }
  const next = times.next(now)
  return {
    id: draft.id ?? newScheduleId(),
    ...(draft.name !== undefined ? { name: draft.name } : {}),
    workflow: draft.workflow,
    cron: times.expression,
    ...(draft.timezone !== undefined ? { timezone: draft.timezone } : {}),
    inputs: draft.inputs ?? {},
    missed: missed.data,
    enabled: draft.enabled ?? true,
    origin: draft.origin ?? 'user',
    createdAt: new Date(now).toISOString(),
    ...(next !== undefined ? { nextTickAt: new Date(next).toISOString() } : {}),
  }
}

/** The store's schedules, or `store_unsupported` naming the store (like `requireCapability`). */
export function requireSchedules(store: Store): ScheduleStore {
  const schedules = scheduleStoreOf(store)
  if (schedules) return schedules
  throw new WeftError('store_unsupported', `schedules are unsupported by this store (${store.id})`, {
    hint: 'use a store that declares capabilities.schedules: the SQLite (default), Postgres or memory store',
    details: { capability: 'schedules', store: store.id },
  })
}

/** A label for lists: the schedule's name, the folder workflow's name, or the document's name. */
export function scheduleLabel(schedule: Schedule): string {
  if (schedule.name) return schedule.name
  if ('name' in schedule.workflow) return schedule.workflow.name
  const name = schedule.workflow.document.name
  return typeof name === 'string' ? name : schedule.id
}
