/**
 * Agents (`/api/v1/agents`): the `weft worker` processes that share the server's store, read and
 * steered through `store.agents`. Pause, resume and stop store a desired state that the agent
 * reads with its heartbeat; the answer says what is now asked of it, not that it is done yet.
 */
import type {
  AgentControlRequestSchema,
  AgentControlResponse,
  AgentDetail,
  AgentList,
  GetAgentQuerySchema,
  ListAgentsQuerySchema,
} from '@weft/api'
import { type AgentDesiredState, type AgentStore, agentStoreOf, type Runtime, WeftError } from '@weft/core'
import type { z } from 'zod'
import type { Handler } from './handlers.js'

type Out<T extends z.ZodType> = z.output<T>

/** The store's agents, or 501 `store_unsupported` for a store no worker shares (SQLite, fs). */
export function agentsOf(runtime: Runtime): AgentStore {
  const agents = agentStoreOf(runtime.store)
  if (!agents)
    throw new WeftError(
      'store_unsupported',
      `unsupported by this store (${runtime.store.id}): agents need a store shared by workers, e.g. postgres://…`,
      {
        hint: 'start the server on a Postgres store (--store postgres://USER@HOST:PORT/DB) that `weft worker` processes share',
      },
    )
  return agents
}

export function agentNotFound(name: string): WeftError {
  return new WeftError('agent_not_found', `there is no agent '${name}'`, {
    hint: 'GET /api/v1/agents lists them; an agent appears once a `weft worker --name NAME` has started',
  })
}

export function createAgentHandlers(runtime: Runtime): Record<string, Handler> {
  const control =
    (desired: AgentDesiredState): Handler =>
    async ({ c, params, body, principal }) => {
      const reason = (body as Out<typeof AgentControlRequestSchema> | undefined)?.reason
      const answer = await agentsOf(runtime).request(params.name!, desired, {
        by: principal.name,
        ...(reason !== undefined ? { reason } : {}),
      })
      if (!answer) throw agentNotFound(params.name!)
      return c.json(answer satisfies AgentControlResponse)
    }
  return {
    async listAgents({ c, query }) {
      const q = query as Out<typeof ListAgentsQuerySchema>
      const items = await agentsOf(runtime).list(q.status?.length ? { statuses: q.status } : {})
      return c.json({ items } satisfies AgentList)
    },
    async getAgent({ c, params, query }) {
      const q = query as Out<typeof GetAgentQuerySchema>
      const agents = agentsOf(runtime)
      const agent = await agents.get(params.name!)
      if (!agent) throw agentNotFound(params.name!)
      const events = q.events > 0 ? await agents.events({ agent: agent.name, limit: q.events }) : []
      return c.json({ agent, events } satisfies AgentDetail)
    },
    pauseAgent: control('pause'),
    resumeAgent: control('run'),
    stopAgent: control('stop'),
  }
}
