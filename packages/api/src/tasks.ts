import { JsonSchema, RunSummarySchema, TaskStateSchema, TaskStatusSchema } from '@weft/core/contracts'
import { z } from 'zod'
import { csv, RunIdParamSchema } from './runs.js'

/** A task id as workflows allow it. */
const ID = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/

/**
 * `POST /tasks`: one task without a workflow. It runs as a one-task run tagged `weft:task` (named
 * `task:<backend>` unless `name` is given), so everything that works on runs works on it.
 */
export const SubmitTaskRequestSchema = z.strictObject({
  backend: z.string().min(1).max(128).describe('The backend that runs the task (GET /backends lists them).'),
  /** The task's id in its run; default `task`. */
  task: z
    .string()
    .regex(ID, 'a task id: letters, digits, _ and -, starting with a letter or _ (at most 128)')
    .optional(),
  /** Program and arguments for a backend that runs commands (put in its command option, e.g. shell's `command`). */
  command: z.array(z.string()).min(1).max(10_000).optional(),
  /** The backend's options, as a workflow task's `with:`. */
  with: z.record(z.string(), JsonSchema).optional(),
  prompt: z.string().max(1_000_000).optional(),
  input: JsonSchema.optional(),
  model: z.string().min(1).max(256).optional(),
  agent: z.string().min(1).max(128).optional(),
  /** 0 highest … 100 lowest; default 50. */
  priority: z.number().int().min(0).max(100).optional(),
  timeoutMs: z.number().int().positive().optional(),
  /** Attempts in all, retries included. */
  maxAttempts: z.number().int().min(1).max(100).optional(),
  /** The run's name; default `task:<backend>`. */
  name: z.string().min(1).max(256).optional(),
  tags: z.array(z.string().min(1).max(128)).max(64).optional(),
})
export type SubmitTaskRequest = z.input<typeof SubmitTaskRequestSchema>

/** `POST /tasks` → 202: the run that holds the task; follow it like any run. */
export const SubmitTaskResponseSchema = z.object({
  runId: z.string(),
  taskId: z.string(),
  run: RunSummarySchema,
})
export type SubmitTaskResponse = z.infer<typeof SubmitTaskResponseSchema>

/** `GET /tasks`: tasks across runs, newest run first, then declaration order. */
export const ListTasksQuerySchema = z.strictObject({
  status: csv(TaskStatusSchema).optional(),
  backend: z.string().min(1).max(128).optional(),
  /** The worker (agent) that ran the task; only stores shared with workers record one. */
  agent: z.string().min(1).max(256).optional(),
  run: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})
export type ListTasksQuery = z.input<typeof ListTasksQuerySchema>

export const TaskListSchema = z.object({ items: z.array(TaskStateSchema) })
export type TaskList = z.infer<typeof TaskListSchema>

export const TaskParamsSchema = RunIdParamSchema.extend({
  task: z.string().min(1).max(256),
})

/** `GET /runs/{id}/tasks/{task}`: one task's whole state (output, text, error, usage). */
export const TaskResponseSchema = z.object({ task: TaskStateSchema })
export type TaskResponse = z.infer<typeof TaskResponseSchema>

export const CancelTaskRequestSchema = z.strictObject({ reason: z.string().max(1000).optional() })
export type CancelTaskRequest = z.input<typeof CancelTaskRequestSchema>

/**
 * `POST /runs/{id}/tasks/{task}/cancel`. `outcome`: `canceled` (by this request), `ended` (it had
 * already ended: see its status), `requested` (the process that runs it has not recorded it yet).
 */
export const CancelTaskResponseSchema = z.object({
  outcome: z.enum(['canceled', 'ended', 'requested']),
  task: TaskStateSchema,
})
export type CancelTaskResponse = z.infer<typeof CancelTaskResponseSchema>
