import { z } from 'zod'

/**
 * How `POST /runs` and `POST /schedules` name their workflow: inline (an object, or YAML/JSON
 * text) or by name from the server's workflows folder. Both requests spread these fields and
 * apply `exactlyOneWorkflow`, so the two accept and reject the same way.
 */
export const WorkflowSourceFields = {
  workflow: z
    .union([z.record(z.string(), z.unknown()), z.string().min(1)])
    .optional()
    .describe('The workflow document: an object, or YAML/JSON text.'),
  workflowName: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a file name in the workflows folder, without a path')
    .optional()
    .describe('The name of a workflow in the server’s workflows folder (with or without .yaml).'),
}

/** Refuses a request that gives both `workflow` and `workflowName`, or neither. */
export function exactlyOneWorkflow<T extends z.ZodType<{ workflow?: unknown; workflowName?: unknown }>>(
  schema: T,
): T {
  return schema.refine((b) => (b.workflow === undefined) !== (b.workflowName === undefined), {
    message: 'give exactly one of `workflow` (inline) and `workflowName` (from the workflows folder)',
    path: ['workflow'],
  })
}
