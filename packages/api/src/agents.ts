import { AGENT_DESIRED_STATES, AGENT_EVENT_TYPES, AGENT_STATUSES } from '@weft/core/contracts'
import { z } from 'zod'
import { csv } from './runs.js'

/** An agent: a `weft worker` process sharing the server's store (`AgentRecord` of the spec). */
export const AgentSchema = z.object({
  name: z.string(),
  status: z.enum(AGENT_STATUSES),
  /** What was asked of it last: `run`, `pause` or `stop`. */
  desired: z.enum(AGENT_DESIRED_STATES),
  desiredBy: z.string().optional(),
  desiredReason: z.string().optional(),
  desiredAt: z.string().optional(),
  host: z.string(),
  pid: z.number().int(),
  capacity: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  backends: z.array(z.string()),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  expiresAt: z.string(),
  current: z.array(z.object({ runId: z.string(), taskId: z.string(), attempt: z.number().int() })),
})
export type Agent = z.infer<typeof AgentSchema>

/** One entry of the agents' log (agents belong to no run: their events are not in a run's log). */
export const AgentEventSchema = z.object({
  id: z.number().int(),
  ts: z.string(),
  agent: z.string(),
  type: z.enum(AGENT_EVENT_TYPES),
  reason: z.string().optional(),
  by: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
})
export type AgentEventEntry = z.infer<typeof AgentEventSchema>

export const AgentNameParamSchema = z.strictObject({ name: z.string().min(1).max(256) })

export const ListAgentsQuerySchema = z.strictObject({ status: csv(z.enum(AGENT_STATUSES)).optional() })
export type ListAgentsQuery = z.input<typeof ListAgentsQuerySchema>
export const AgentListSchema = z.object({ items: z.array(AgentSchema) })
export type AgentList = z.infer<typeof AgentListSchema>

/** `GET /agents/{name}`: the agent and its most recent events (newest first). */
export const GetAgentQuerySchema = z.strictObject({
  events: z.coerce.number().int().min(0).max(1000).default(20),
})
export type GetAgentQuery = z.input<typeof GetAgentQuerySchema>
export const AgentDetailSchema = z.object({ agent: AgentSchema, events: z.array(AgentEventSchema) })
export type AgentDetail = z.infer<typeof AgentDetailSchema>

export const AgentControlRequestSchema = z.strictObject({ reason: z.string().min(1).max(1000).optional() })
export type AgentControlRequest = z.input<typeof AgentControlRequestSchema>
/** `changed: false`: it was already asked for (nothing was recorded). */
export const AgentControlResponseSchema = z.object({ agent: AgentSchema, changed: z.boolean() })
export type AgentControlResponse = z.infer<typeof AgentControlResponseSchema>
