import { z } from 'zod'
import { JsonSchema } from './json.js'
import { UsageSchema } from './usage.js'

/**
 * pending → queued → running → succeeded | failed | canceled | skipped,
 * plus `retrying` (between attempts) and `waiting` (an approval gate).
 */
export const TASK_STATUSES = [
  'pending',
  'queued',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'failed',
  'canceled',
  'skipped',
] as const
export const TaskStatusSchema = z.enum(TASK_STATUSES)
export type TaskStatus = z.infer<typeof TaskStatusSchema>

export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'succeeded',
  'failed',
  'canceled',
  'skipped',
])
export function isTerminalTaskStatus(status: TaskStatus): boolean {
  return TERMINAL_TASK_STATUSES.has(status)
}

export const ErrorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().optional(),
  exitCode: z.number().int().optional(),
  hint: z.string().optional(),
  details: JsonSchema.optional(),
})
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>

/** An OS process group an attempt started (see the backend event `process`). */
export const TaskProcessSchema = z.object({
  /** `os.hostname()` of the machine it runs on: only a process on the same host can be checked or ended. */
  host: z.string(),
  pid: z.number().int(),
  pgid: z.number().int(),
  startTime: z.string().optional(),
  attempt: z.number().int().positive(),
})
export type TaskProcess = z.infer<typeof TaskProcessSchema>

export const ApprovalStateSchema = z.object({
  token: z.string(),
  message: z.string(),
  requestedAt: z.string(),
  status: z.enum(['waiting', 'approved', 'rejected', 'canceled']),
  respondedAt: z.string().optional(),
  /** Who answered: an API key's name, or `cli:<user>`; `timeout` when nobody did in time. */
  by: z.string().optional(),
  /** A rejection's reason. */
  reason: z.string().optional(),
})
export type ApprovalState = z.infer<typeof ApprovalStateSchema>

/** The stored state of one task of one run. The event log can rebuild it. */
export const TaskStateSchema = z.object({
  runId: z.string(),
  taskId: z.string(),
  status: TaskStatusSchema,
  /** Number of attempts started so far (0 before the first). */
  attempt: z.number().int().nonnegative(),
  priority: z.number().int(),
  /** Declaration order, the tie-breaker after priority. */
  order: z.number().int(),
  needs: z.array(z.string()),
  backend: z.string().optional(),
  queuedAt: z.string().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  /** When the next attempt of a `retrying` task is due. */
  nextRetryAt: z.string().optional(),
  output: JsonSchema.optional(),
  text: z.string().optional(),
  error: ErrorInfoSchema.optional(),
  /** Why a task was skipped or canceled without running. */
  reason: z.string().optional(),
  approval: ApprovalStateSchema.optional(),
  sessionId: z.string().optional(),
  /** Process groups of the current (or last) attempt; recovery ends those still alive before retrying. */
  processes: z.array(TaskProcessSchema).optional(),
  usage: UsageSchema.optional(),
  /** A map item: the mapped task it belongs to, its position and its item. */
  parent: z.string().optional(),
  index: z.number().int().nonnegative().optional(),
  item: JsonSchema.optional(),
  /** A subworkflow task (`uses:`): the run it started. */
  childRunId: z.string().optional(),
  /** A mapped task: how many items it was expanded into. */
  map: z.object({ items: z.number().int().nonnegative() }).optional(),
  /** The estimate made before the attempt ran (budget pre-check). */
  estimate: z
    .object({
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      costUsd: z.number().optional(),
      model: z.string().optional(),
    })
    .optional(),
})
export type TaskState = z.infer<typeof TaskStateSchema>
