import type { z } from 'zod'
import {
  AgentControlRequestSchema,
  AgentControlResponseSchema,
  AgentDetailSchema,
  AgentListSchema,
  AgentNameParamSchema,
  GetAgentQuerySchema,
  ListAgentsQuerySchema,
} from './agents.js'
import type { ApiResponse, ApiRoute } from './routes.js'

// The literal, not API_PREFIX: routes.ts imports this module, and a value import back would be a cycle.
const P = '/api/v1'
const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema })

const control = (action: 'pause' | 'resume' | 'stop', operationId: string, summary: string): ApiRoute => ({
  method: 'post',
  path: `${P}/agents/{name}/${action}`,
  operationId,
  summary,
  scope: 'admin',
  params: AgentNameParamSchema,
  body: AgentControlRequestSchema,
  responses: { 200: json('The agent, with what is now asked of it', AgentControlResponseSchema) },
})

/**
 * Agents (seed 002): the `weft worker` processes sharing the server's store. A store without them
 * (SQLite, fs) answers 501 `store_unsupported`; an unknown name 404 `agent_not_found`.
 */
export const AGENT_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: `${P}/agents`,
    operationId: 'listAgents',
    summary:
      'Agents (workers) sharing the store: status, heartbeat, capacity, backends, current tasks, counts',
    scope: 'read',
    query: ListAgentsQuerySchema,
    responses: { 200: json('The agents, by name', AgentListSchema) },
  },
  {
    method: 'get',
    path: `${P}/agents/{name}`,
    operationId: 'getAgent',
    summary: 'One agent and its recent agent.* events',
    scope: 'read',
    params: AgentNameParamSchema,
    query: GetAgentQuerySchema,
    responses: { 200: json('The agent', AgentDetailSchema) },
  },
  control(
    'pause',
    'pauseAgent',
    'Pause an agent: it claims nothing more and hands its running attempts back to the queue (they run again elsewhere)',
  ),
  control('resume', 'resumeAgent', 'Let a paused agent claim again'),
  control(
    'stop',
    'stopAgent',
    'Stop an agent: it claims nothing more, lets running attempts finish (grace), then exits',
  ),
]
