import { z } from 'zod'
import { DiagnosticSchema, DiagnosticsModeSchema } from './diagnostic.js'
import { JsonSchema } from './json.js'
import { ErrorInfoSchema, TaskStatusSchema } from './task.js'
import { TraceContextSchema } from './trace.js'
import { UsageSchema } from './usage.js'
import { BudgetSpecSchema, RetryPolicySchema, SchedulingModeSchema, WorkflowSpecSchema } from './workflow.js'

/** pending → running ⇄ paused → succeeded | failed | canceled, with `canceling` while tasks wind down. */
export const RUN_STATUSES = [
  'pending',
  'running',
  'paused',
  'canceling',
  'succeeded',
  'failed',
  'canceled',
] as const
export const RunStatusSchema = z.enum(RUN_STATUSES)
export type RunStatus = z.infer<typeof RunStatusSchema>

/** `{ pending: 0, running: 0, … }`: a start for counting runs by status. */
export function emptyRunCounts(): Record<RunStatus, number> {
  return Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>
}

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'canceled'])
export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.has(status)
}

export const InitiatorSchema = z.enum(['cli', 'api', 'ui', 'ci', 'schedule', 'code'])
export type Initiator = z.infer<typeof InitiatorSchema>

/** What to run and how: one execution request of a workflow. */
export const RunSpecSchema = z.object({
  workflow: WorkflowSpecSchema,
  /** Where the workflow came from (a file path), for messages and reruns. */
  source: z.string().optional(),
  inputs: z.record(z.string(), JsonSchema).default({}),
  initiator: InitiatorSchema.default('code'),
  tags: z.array(z.string()).default([]),
  params: z.record(z.string(), JsonSchema).optional(),
  /** Per-run overrides: they win over the workflow's own settings. */
  backend: z.string().optional(),
  maxParallelism: z.number().int().min(1).optional(),
  mode: SchedulingModeSchema.optional(),
  failFast: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicySchema.optional(),
  /** Overrides the workflow's budget field by field (e.g. raised to resume a run paused by it). */
  budget: BudgetSpecSchema.optional(),
  diagnostics: DiagnosticsModeSchema.optional(),
  /** Set on a rerun: the run it came from and the task it restarts from. */
  rerunOf: z.object({ runId: z.string(), from: z.string() }).optional(),
  /**
   * The trace the run belongs to (e.g. the `traceparent` of the API request that started it). It is
   * stored with the run's spec and carried by `run.created`, so trace sinks parent the run's span to
   * it, in this process or in any other that continues the run.
   */
  trace: TraceContextSchema.optional(),
  /** A subworkflow's run: the run and task that started it (`uses:`). */
  parent: z.object({ runId: z.string(), taskId: z.string() }).optional(),
})
export type RunSpec = z.infer<typeof RunSpecSchema>
export type RunSpecInput = z.input<typeof RunSpecSchema>

export const RunHealthSchema = z.enum(['ok', 'warning', 'error'])

export const TaskCountsSchema = z
  .record(TaskStatusSchema, z.number().int())
  .and(z.object({ total: z.number().int() }))
export type TaskCounts = Record<z.infer<typeof TaskStatusSchema>, number> & { total: number }

export const PauseInfoSchema = z.object({
  reason: z.enum(['manual', 'approval', 'budget']),
  since: z.string(),
  /** Approval gates waiting for `resume(runId, { token })`. */
  waiting: z.array(z.object({ taskId: z.string(), token: z.string(), message: z.string() })).default([]),
  /** Why, in words (e.g. which budget a task would break). */
  message: z.string().optional(),
})
export type PauseInfo = z.infer<typeof PauseInfoSchema>

export const COMPENSATION_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const

/**
 * The compensations of a run that did not succeed (`compensate:` on its tasks): `running` while
 * they run, `done` once each one is finished; the run ends (`outcome`) only after them.
 */
export const RunCompensationSchema = z.object({
  status: z.enum(['running', 'done']),
  /** How the run ends once its compensations are done; `error` or `reason` say why. */
  outcome: z.enum(['failed', 'canceled']),
  error: ErrorInfoSchema.optional(),
  reason: z.string().optional(),
  /** In the order they run: the reverse of the order in which their tasks succeeded. */
  tasks: z.array(
    z.object({
      taskId: z.string(),
      status: z.enum(COMPENSATION_STATUSES),
      backend: z.string().optional(),
      /** How many times it was started: more than 1 only when a crash interrupted it (at-least-once). */
      attempt: z.number().int().nonnegative(),
      startedAt: z.string().optional(),
      completedAt: z.string().optional(),
      output: JsonSchema.optional(),
      error: ErrorInfoSchema.optional(),
      /** Why it was canceled. */
      reason: z.string().optional(),
    }),
  ),
})
export type RunCompensation = z.infer<typeof RunCompensationSchema>

/** The state of a run as lists and dashboards show it. */
export const RunSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: RunStatusSchema,
  health: RunHealthSchema,
  initiator: InitiatorSchema,
  source: z.string().optional(),
  tags: z.array(z.string()),
  /** A subworkflow's run: the run and task that started it. */
  parent: z.object({ runId: z.string(), taskId: z.string() }).optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  updatedAt: z.string(),
  error: ErrorInfoSchema.optional(),
  pause: PauseInfoSchema.optional(),
  outputs: z.record(z.string(), JsonSchema).optional(),
  usage: UsageSchema,
  /** Usage split by model and by backend. */
  usageByModel: z.record(z.string(), UsageSchema).optional(),
  usageByBackend: z.record(z.string(), UsageSchema).optional(),
  /** What the tasks that ran were estimated to use before they ran, to compare with `usage`. */
  estimated: z
    .object({ tokens: z.number().int().nonnegative(), costUsd: z.number().nonnegative().optional() })
    .optional(),
  taskCounts: TaskCountsSchema,
  /** Present once the run began compensating its succeeded tasks (it failed or was canceled). */
  compensation: RunCompensationSchema.optional(),
  diagnostics: z.array(DiagnosticSchema).default([]),
  /** The seq of the last event written for this run. */
  lastSeq: z.number().int().nonnegative(),
})
export type RunSummary = z.infer<typeof RunSummarySchema>

export const RunFilterSchema = z.object({
  status: z.array(RunStatusSchema).optional(),
  name: z.string().optional(),
  tag: z.string().optional(),
  /** Runs created before this ISO time (newest first order). */
  createdBefore: z.string().optional(),
  limit: z.number().int().min(1).max(1000).default(50),
  /** Opaque cursor from a previous page. */
  cursor: z.string().optional(),
})
export type RunFilter = z.input<typeof RunFilterSchema>

export interface Page<T> {
  items: T[]
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string
}
