import { z } from 'zod'
import { TASK_ID_PATTERN, WorkflowSpecSchema } from './workflow.js'

/** Where the published schema can be fetched (the file `schema/workflow.schema.json` of this package). */
export const WORKFLOW_SCHEMA_URL = 'https://unpkg.com/@weft/spec/schema/workflow.schema.json'

/**
 * The JSON Schema (draft 2020-12) of a workflow file, generated from `WorkflowSpecSchema` so that
 * editors (`# yaml-language-server: $schema=…`) check and complete exactly what `weft validate`
 * accepts. It describes what a user writes (the input side: `needs` may be one id, defaults may be
 * left out). Backend options (`with`) are any JSON here: each backend checks its own.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(WorkflowSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
  const tasks = (schema.properties as Record<string, Record<string, unknown>>).tasks!
  // Task ids are keys: their rule is not in the zod schema (it is checked with a diagnostic).
  tasks.propertyNames = { type: 'string', pattern: TASK_ID_PATTERN.source }
  // Zod names the shared JSON value `__schema0`; a stable, readable name keeps the file's diffs small.
  const text = JSON.stringify(
    {
      $schema: schema.$schema,
      $id: WORKFLOW_SCHEMA_URL,
      title: 'weft workflow',
      description: 'A weft workflow file (YAML or JSON): `weft: 1`, a `name` and `tasks`.',
      ...schema,
    },
    null,
    2,
  ).replaceAll('__schema0', 'json')
  return JSON.parse(text) as Record<string, unknown>
}
