import {
  BudgetSpecSchema,
  DiagnosticsModeSchema,
  JsonSchema,
  RetryPolicySchema,
  RunStatusSchema,
  RunSummarySchema,
  SchedulingModeSchema,
  TaskStateSchema,
} from '@weft/core/contracts'
import { z } from 'zod'
import { exactlyOneWorkflow, WorkflowSourceFields } from './workflow-source.js'

/** A comma-separated query value (`?status=running,paused`) or a repeated one, as a list. */
export function csv<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) =>
      v === undefined
        ? undefined
        : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).filter((s) => s !== ''),
    z.array(item),
  )
}

/**
 * `POST /runs`: the workflow inline (an object, or YAML/JSON text) or by name from the server's
 * workflows folder, plus per-run overrides. Exactly one of `workflow` and `workflowName`.
 */
export const StartRunRequestSchema = exactlyOneWorkflow(
  z.strictObject({
    ...WorkflowSourceFields,
    inputs: z.record(z.string(), JsonSchema).optional(),
    tags: z.array(z.string().min(1).max(128)).max(64).optional(),
    backend: z.string().min(1).optional(),
    maxParallelism: z.number().int().min(1).max(10_000).optional(),
    mode: SchedulingModeSchema.optional(),
    failFast: z.boolean().optional(),
    timeoutMs: z.number().int().positive().optional(),
    retry: RetryPolicySchema.optional(),
    budget: BudgetSpecSchema.optional(),
    diagnostics: DiagnosticsModeSchema.optional(),
    /** Where the workflow came from (e.g. the file the CLI read), kept with the run for messages. */
    source: z.string().min(1).max(1024).optional(),
    /** Who started it; default `api`. */
    initiator: z.enum(['api', 'cli', 'ci', 'ui', 'schedule']).optional(),
  }),
)
export type StartRunRequest = z.input<typeof StartRunRequestSchema>

/** `POST /runs` → 202. `Location` is `/api/v1/runs/{runId}`. */
export const StartRunResponseSchema = z.object({
  runId: z.string(),
  /** True when an earlier request with the same `Idempotency-Key` started this run. */
  replayed: z.boolean(),
  run: RunSummarySchema,
})
export type StartRunResponse = z.infer<typeof StartRunResponseSchema>

export const RunIdParamSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a run id'),
})

/** `GET /runs`: newest first. */
export const ListRunsQuerySchema = z.strictObject({
  status: csv(RunStatusSchema).optional(),
  tag: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  /** Only runs created at or after this time: ISO 8601, or a duration back from now (`30m`, `2h`, `7d`). */
  since: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(256).optional(),
})
export type ListRunsQuery = z.input<typeof ListRunsQuerySchema>

export const RunPageSchema = z.object({
  items: z.array(RunSummarySchema),
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor: z.string().optional(),
})
export type RunPage = z.infer<typeof RunPageSchema>

/** `GET /runs/{id}`: the summary (usage and cost included) and every task's state. */
export const RunDetailSchema = z.object({
  run: RunSummarySchema,
  tasks: z.array(TaskStateSchema),
  /** With `?include=spec`: what the run was started with (workflow, inputs, budget). */
  spec: z.record(z.string(), z.unknown()).optional(),
})

/** `GET /runs/{id}?include=spec` adds the run's spec (the web page shows prompts and the budget). */
export const GetRunQuerySchema = z.strictObject({
  include: z.enum(['spec']).optional(),
})
export type GetRunQuery = z.input<typeof GetRunQuerySchema>

/** `POST /runs/{id}/rerun`: a new run that reuses every recorded output not downstream of `from`. */
export const RerunRequestSchema = z.strictObject({
  from: z.string().min(1).max(256),
})
export type RerunRequest = z.input<typeof RerunRequestSchema>
export type RunDetail = z.infer<typeof RunDetailSchema>

export const CancelRunRequestSchema = z.strictObject({ reason: z.string().max(1000).optional() })
export type CancelRunRequest = z.input<typeof CancelRunRequestSchema>

/**
 * Answers an approval (`token` with `input`, or with `reject` and its reason), or resumes a manually
 * or budget-paused run (`budget`). The answer is recorded with the API key's name.
 */
export const ResumeRunRequestSchema = z.strictObject({
  token: z.string().min(1).max(256).optional(),
  input: JsonSchema.optional(),
  /** Reject the approval of `token` with this reason: the gate fails, or takes its `onReject` path. */
  reject: z.string().min(1).max(2000).optional(),
  budget: BudgetSpecSchema.optional(),
})
export type ResumeRunRequest = z.input<typeof ResumeRunRequestSchema>

/** `POST /runs/{id}/tasks`: task specs by id, validated against the live graph. */
export const AddTasksRequestSchema = z.strictObject({
  tasks: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .refine((t) => Object.keys(t).length > 0, 'give at least one task'),
})
export type AddTasksRequest = z.input<typeof AddTasksRequestSchema>

/** Answer of cancel, pause, resume and add-tasks: the run's summary after the change. */
export const RunResponseSchema = z.object({ run: RunSummarySchema })
export type RunResponse = z.infer<typeof RunResponseSchema>
