import { z } from 'zod'
import { JsonSchema } from './json.js'
import type { Store } from './store.js'

/**
 * What a schedule does with ticks that fell due while no process ran it (every server was down):
 * `skip` drops them, `catchUp` starts ONE run for the latest of them (not one per missed tick).
 */
export const MISSED_TICK_POLICIES = ['skip', 'catchUp'] as const
export const MissedTickPolicySchema = z.enum(MISSED_TICK_POLICIES)
export type MissedTickPolicy = z.infer<typeof MissedTickPolicySchema>

/**
 * A schedule as a workflow file declares it (`schedules:` of a workflow in the server's folder).
 * The server keeps these in the store when it starts, one per entry, keyed by the workflow's file
 * name and the entry's position, so that several servers on one store do not duplicate them.
 */
export const WorkflowScheduleSchema = z.strictObject({
  cron: z
    .string()
    .min(1)
    .describe(
      'Cron expression: 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "0 9 * * 1-5".',
    ),
  timezone: z.string().min(1).optional().describe('IANA time zone, e.g. Europe/Paris. Default UTC.'),
  inputs: z.record(z.string(), JsonSchema).optional().describe('Inputs of each run the schedule starts.'),
  missed: MissedTickPolicySchema.optional().describe(
    'Ticks missed while no server ran: skip them (default) or catchUp (one run for the latest).',
  ),
  enabled: z.boolean().optional(),
})
export type WorkflowSchedule = z.infer<typeof WorkflowScheduleSchema>

/**
 * The workflow a schedule starts: a workflow of the server's folder by name (read at each tick, so
 * edits apply), or a document kept with the schedule (`source`: the file it came from, absolute,
 * so that `uses: ./x.yaml` resolves as it did when the schedule was added).
 */
export const ScheduleWorkflowSchema = z.union([
  z.strictObject({ name: z.string().min(1) }),
  z.strictObject({ document: z.record(z.string(), JsonSchema), source: z.string().optional() }),
])
export type ScheduleWorkflow = z.infer<typeof ScheduleWorkflowSchema>

/** Where a schedule came from: added by a person (CLI, API), or declared in a folder workflow. */
export const ScheduleOriginSchema = z.enum(['user', 'folder'])

export const ScheduleSchema = z.object({
  /** `sch_…` for added schedules; `wf_<file name>_<index>` for those a folder workflow declares. */
  id: z.string().min(1),
  /** A label for lists; default the workflow's name. */
  name: z.string().optional(),
  workflow: ScheduleWorkflowSchema,
  cron: z.string().min(1),
  /** IANA zone the cron is read in; absent means UTC. */
  timezone: z.string().optional(),
  inputs: z.record(z.string(), JsonSchema),
  missed: MissedTickPolicySchema,
  enabled: z.boolean(),
  origin: ScheduleOriginSchema,
  createdAt: z.string(),
  /** The latest tick any process handled (fired, claimed by another, or skipped). */
  lastTickAt: z.string().optional(),
  /** The next tick after `lastTickAt` (for lists; the runner computes its own). */
  nextTickAt: z.string().optional(),
})
export type Schedule = z.infer<typeof ScheduleSchema>

/** One claimed tick: the unique key `(scheduleId, tickAt)` and the run it started. */
export interface ScheduleTick {
  scheduleId: string
  /** The tick's time, ISO (`toISOString()`), the key of the tick. */
  tickAt: string
  claimedAt: string
  owner?: string
  runId?: string
}

/**
 * Schedules kept in the store, shared by every process that opens it. `claimTick` is the one
 * guarantee: of any number of callers (processes, restarts) for one `(scheduleId, tickAt)`, exactly
 * one gets true, so each tick starts at most one run. Optional: a store that has it declares
 * `capabilities.schedules` and the `schedules` member; `scheduleStoreOf` finds it.
 */
export interface ScheduleStore {
  /**
   * Creates the schedule, or replaces the one with its id. `lastTickAt` never moves back: the
   * stored one is kept when it is later than the given one (two servers syncing at once).
   */
  put(schedule: Schedule): Promise<void>
  get(id: string): Promise<Schedule | undefined>
  /** Oldest first (by `createdAt`, then id). */
  list(): Promise<Schedule[]>
  /** Deletes the schedule and its ticks; false when there was none. */
  remove(id: string): Promise<boolean>
  /** Atomically: true for exactly one caller per `(scheduleId, tickAt)`, ever (until `remove`). */
  claimTick(scheduleId: string, tickAt: string, owner?: string): Promise<boolean>
  /** Records the run a claimed tick started. */
  completeTick(scheduleId: string, tickAt: string, runId: string): Promise<void>
  /** One claimed tick, or undefined when nobody claimed it. */
  getTick(scheduleId: string, tickAt: string): Promise<ScheduleTick | undefined>
  /**
   * Takes over a claimed tick that has no run yet from `from`, its claimer (one that died between
   * the claim and the run): atomically, true for exactly one caller, who becomes its owner.
   * False when the tick has a run, another owner, or no claim.
   */
  reclaimTick(scheduleId: string, tickAt: string, from: string | undefined, owner: string): Promise<boolean>
  /**
   * Moves `lastTickAt` forward to `tickAt` (never back) and sets `nextTickAt` with it; nothing when
   * the stored `lastTickAt` is already at or after `tickAt`, or the schedule is gone.
   */
  advance(scheduleId: string, tickAt: string, nextTickAt?: string): Promise<void>
  /** Claimed ticks, newest first, at most `limit` (default 100). */
  ticks(scheduleId: string, options?: { limit?: number }): Promise<ScheduleTick[]>
  /** Forgets ticks before `before` (their runs stay); returns how many. */
  pruneTicks(scheduleId: string, before: string): Promise<number>
}

/** The store's schedules when it declares them (`capabilities.schedules`), else undefined. */
export function scheduleStoreOf(store: Store): ScheduleStore | undefined {
  return store.capabilities.schedules === true ? store.schedules : undefined
}
