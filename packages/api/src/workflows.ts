import { JsonSchema } from '@weft/core/contracts'
import { z } from 'zod'

/** One declared input of a workflow, as a form needs it. */
export const WorkflowInputInfoSchema = z.object({
  type: z.string().optional(),
  description: z.string().optional(),
  default: JsonSchema.optional(),
  required: z.boolean(),
})
export type WorkflowInputInfo = z.infer<typeof WorkflowInputInfoSchema>

/** A workflow of the server's workflows folder that `POST /runs { workflowName }` can start. */
export const WorkflowInfoSchema = z.object({
  /** What to pass as `workflowName`: the file name without its extension. */
  name: z.string(),
  file: z.string(),
  /** The workflow's own `name:`. */
  title: z.string().optional(),
  description: z.string().optional(),
  inputs: z.record(z.string(), WorkflowInputInfoSchema),
  tasks: z.number().int().nonnegative(),
  /** Set when the file cannot be read as a workflow; it cannot be started then. */
  error: z.string().optional(),
})
export type WorkflowInfo = z.infer<typeof WorkflowInfoSchema>

/** `GET /workflows`. `items` is empty when the server has no workflows folder. */
export const WorkflowListSchema = z.object({
  /** Whether the server was started with a workflows folder. */
  folder: z.boolean(),
  items: z.array(WorkflowInfoSchema),
})
export type WorkflowList = z.infer<typeof WorkflowListSchema>
