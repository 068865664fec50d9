import { JsonSchema, MissedTickPolicySchema, ScheduleSchema } from '@weft/core/contracts'
import { z } from 'zod'
import { exactlyOneWorkflow, WorkflowSourceFields } from './workflow-source.js'

/**
 * `POST /schedules`: a cron schedule of a workflow, inline (an object, or YAML/JSON text, kept with
 * the schedule) or by name from the server's workflows folder (read at each tick).
 */
export const CreateScheduleRequestSchema = exactlyOneWorkflow(
  z.strictObject({
    ...WorkflowSourceFields,
    /** Where an inline workflow came from (the file the CLI read): `uses: ./x.yaml` resolves from it. */
    source: z.string().min(1).max(1024).optional(),
    cron: z
      .string()
      .min(1)
      .max(200)
      .describe('5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "0 9 * * 1-5".'),
    timezone: z.string().min(1).max(100).optional().describe('IANA time zone; default UTC.'),
    inputs: z.record(z.string(), JsonSchema).optional(),
    missed: MissedTickPolicySchema.optional().describe(
      'Ticks missed while no server ran: skip (default) or catchUp (one run for the latest).',
    ),
    name: z.string().min(1).max(200).optional(),
    enabled: z.boolean().optional(),
  }),
)
export type CreateScheduleRequest = z.input<typeof CreateScheduleRequestSchema>

export const ScheduleIdParamSchema = z.strictObject({ id: z.string().min(1).max(200) })

export const ScheduleTickSchema = z.object({
  scheduleId: z.string(),
  tickAt: z.string(),
  claimedAt: z.string(),
  owner: z.string().optional(),
  runId: z.string().optional(),
})

/** `POST /schedules` → 201 and `GET /schedules/{id}`: the schedule, with its latest claimed ticks. */
export const ScheduleResponseSchema = z.object({
  schedule: ScheduleSchema,
  ticks: z.array(ScheduleTickSchema),
})
export type ScheduleResponse = z.infer<typeof ScheduleResponseSchema>

export const ScheduleListSchema = z.object({ items: z.array(ScheduleSchema) })
export type ScheduleList = z.infer<typeof ScheduleListSchema>

export const DeleteScheduleResponseSchema = z.object({ id: z.string(), deleted: z.literal(true) })
