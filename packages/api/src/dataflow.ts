import { DiagnosticSchema } from '@weft/core/contracts'
import { z } from 'zod'

/** The dataflow part of the API (`/api/v1/dataflow/…`): graphs, executions, injection, components. */

export const DATAFLOW_EXECUTION_STATES = [
  'pending',
  'initializing',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const
export const DataflowExecutionStateSchema = z.enum(DATAFLOW_EXECUTION_STATES)

const ID = z.string().min(1).max(128)
export const DataflowIdParamSchema = z.strictObject({ id: ID })

const Latency = z.object({ avgMs: z.number(), p95Ms: z.number(), maxMs: z.number(), samples: z.number() })
export const DataflowNodeMetricsSchema = z.object({
  component: z.string(),
  messagesIn: z.number(),
  messagesOut: z.number(),
  invocations: z.number(),
  errors: z.number(),
  backpressureEvents: z.number(),
  queueDepth: z.number(),
  latency: Latency,
})
export const DataflowMetricsSchema = z.object({
  messagesInjected: z.number(),
  messagesOutput: z.number(),
  messagesProcessed: z.number(),
  messagesEmitted: z.number(),
  invocations: z.number(),
  errors: z.number(),
  backpressureEvents: z.number(),
  queueDepth: z.number(),
  avgLatencyMs: z.number(),
  maxLatencyMs: z.number(),
  durationMs: z.number(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }),
  nodes: z.record(z.string(), DataflowNodeMetricsSchema),
})
export type DataflowMetrics = z.infer<typeof DataflowMetricsSchema>

export const DataflowExecutionSchema = z.object({
  id: z.string(),
  graph: z.string(),
  graphId: z.string().optional(),
  state: DataflowExecutionStateSchema,
  createdAt: z.string(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  error: z.object({ message: z.string(), nodeId: z.string().optional() }).optional(),
  /** False for an execution read from the store (this server no longer runs it). */
  live: z.boolean(),
  metrics: DataflowMetricsSchema.optional(),
})
export type DataflowExecution = z.infer<typeof DataflowExecutionSchema>
export const DataflowExecutionListSchema = z.object({ items: z.array(DataflowExecutionSchema) })

const GraphDocument = z.union([
  z.string().min(1).describe('YAML or JSON text'),
  z.record(z.string(), z.unknown()).describe('the graph as an object'),
])

export const RegisterDataflowGraphRequestSchema = z.strictObject({ graph: GraphDocument })
export type RegisterDataflowGraphRequest = z.infer<typeof RegisterDataflowGraphRequestSchema>

export const DataflowGraphInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  nodes: z.number(),
  edges: z.number(),
  topology: z.object({
    order: z.array(z.string()),
    levels: z.record(z.string(), z.number()),
    inputs: z.array(z.string()),
    outputs: z.array(z.string()),
  }),
  /** Warnings of an accepted graph (an invalid one answers 400 `workflow_invalid` with every diagnostic). */
  diagnostics: z.array(DiagnosticSchema),
  createdAt: z.string(),
})
export type DataflowGraphInfo = z.infer<typeof DataflowGraphInfoSchema>
export const DataflowGraphListSchema = z.object({ items: z.array(DataflowGraphInfoSchema) })

export const CreateDataflowExecutionRequestSchema = z
  .strictObject({
    /** A graph registered with `POST /dataflow/graphs`. */
    graphId: ID.optional(),
    /** Or the graph inline. */
    graph: GraphDocument.optional(),
    /** Start at once (default); false leaves it `pending` until `POST …/start`. */
    start: z.boolean().default(true),
  })
  .refine(
    (b) => (b.graphId === undefined) !== (b.graph === undefined),
    'give exactly one of graphId and graph',
  )
export type CreateDataflowExecutionRequest = z.input<typeof CreateDataflowExecutionRequestSchema>

export const InjectDataflowRequestSchema = z
  .strictObject({
    /** Default: the graph's only `input` node. */
    node: z.string().min(1).max(128).optional(),
    /** Default `in`. */
    port: z.string().min(1).max(128).optional(),
    value: z.unknown().optional(),
    /** Several messages in order; the queue's bound applies to each. */
    values: z.array(z.unknown()).max(10_000).optional(),
  })
  .refine((b) => (b.value === undefined) !== (b.values === undefined), 'give exactly one of value and values')
export type InjectDataflowRequest = z.input<typeof InjectDataflowRequestSchema>

export const InjectDataflowResponseSchema = z.object({
  /** Messages taken, in order. With `values`, a full queue stops the rest (429 when none was taken). */
  accepted: z.number(),
  ids: z.array(z.string()),
})
export type InjectDataflowResponse = z.infer<typeof InjectDataflowResponseSchema>

export const DataflowComponentSchema = z.object({
  id: z.string(),
  label: z.string().optional(),
  description: z.string().optional(),
  inputs: z.array(z.object({ name: z.string(), type: z.string().optional() })),
  outputs: z.array(z.object({ name: z.string(), type: z.string().optional() })),
  /** JSON Schema of the options (`with:`), when the component has a schema. */
  options: z.record(z.string(), z.unknown()).optional(),
})
export const DataflowComponentListSchema = z.object({ items: z.array(DataflowComponentSchema) })

export const DataflowEventSchema = z.object({
  executionId: z.string(),
  /** Set for events read from the store. */
  seq: z.number().optional(),
  ts: z.string(),
  type: z.string(),
  data: z.unknown(),
})
export const DataflowEventListSchema = z.object({ items: z.array(DataflowEventSchema) })
