import { z } from 'zod'

/** Node ids and port names: what an edge endpoint `node.port` can be made of. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/
export const ENDPOINT_PATTERN = /^([A-Za-z_][A-Za-z0-9_-]{0,127})\.([A-Za-z_][A-Za-z0-9_-]{0,127})$/

/** Messages a queue holds before its producer waits (and injection answers "full"). */
export const DEFAULT_QUEUE_CAPACITY = 10_000

export const ON_ERROR_ACTIONS = ['drop', 'route', 'fail'] as const
export type OnErrorAction = (typeof ON_ERROR_ACTIONS)[number]

export const GraphNodeSchema = z.strictObject({
  component: z.string().min(1),
  /** The component's options, validated by its `optionsSchema`. */
  with: z.record(z.string(), z.unknown()).optional(),
  /**
   * What a throw in this node does: `drop` records it and goes on, `route` records it and emits
   * `{ error, port, value }` on the node's `error` port, `fail` fails the execution (the default).
   */
  onError: z.enum(ON_ERROR_ACTIONS).optional(),
  description: z.string().optional(),
})
export type GraphNode = z.infer<typeof GraphNodeSchema>

export const GraphEdgeSchema = z.strictObject({
  /** `node.port` of an output port. */
  from: z.string().regex(ENDPOINT_PATTERN, 'an endpoint is `node.port`'),
  /** `node.port` of an input port. */
  to: z.string().regex(ENDPOINT_PATTERN, 'an endpoint is `node.port`'),
  /** Messages this edge holds before its producer waits. Default: the graph's `queueCapacity`. */
  capacity: z.number().int().positive().max(10_000_000).optional(),
})
export type GraphEdge = z.infer<typeof GraphEdgeSchema>

export const DataflowGraphSchema = z.strictObject({
  weft: z.literal(1),
  kind: z.literal('dataflow'),
  name: z.string().min(1).max(200),
  description: z.string().optional(),
  /** Default capacity of every edge queue and of each injection queue. */
  queueCapacity: z.number().int().positive().max(10_000_000).optional(),
  nodes: z.record(
    z.string().regex(NODE_ID_PATTERN, 'a node id is a letter or _ then letters, digits, _ or -'),
    GraphNodeSchema,
  ),
  edges: z.array(GraphEdgeSchema).default([]),
})
export type DataflowGraph = z.infer<typeof DataflowGraphSchema>
export type DataflowGraphInput = z.input<typeof DataflowGraphSchema>

export function parseEndpoint(endpoint: string): { node: string; port: string } {
  const m = ENDPOINT_PATTERN.exec(endpoint)
  if (!m) throw new Error(`'${endpoint}' is not a node.port endpoint`)
  return { node: m[1]!, port: m[2]! }
}

/** A graph written in code, typed as the schema reads it (validate it with `dataflow.validate`). */
export function defineGraph(graph: DataflowGraphInput): DataflowGraphInput {
  return graph
}
