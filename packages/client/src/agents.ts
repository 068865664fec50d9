import {
  type Agent,
  type AgentControlResponse,
  AgentControlResponseSchema,
  type AgentDetail,
  AgentDetailSchema,
  AgentListSchema,
  type ListAgentsQuery,
} from '@weft/api'
import type { QueryValue, Transport } from './transport.js'

interface Call {
  signal?: AbortSignal
  timeoutMs?: number
}

/**
 * `client.agents`: the `weft worker` processes sharing the server's store (`/api/v1/agents`). A
 * server whose store has none (SQLite, fs) answers `store_unsupported`.
 */
export interface AgentsClient {
  list(query?: ListAgentsQuery, options?: Call): Promise<Agent[]>
  /** The agent and its most recent `agent.*` events (newest first; `events: 0` for none). */
  get(name: string, options?: Call & { events?: number }): Promise<AgentDetail>
  /** It claims nothing more and hands its running attempts back to the queue. */
  pause(name: string, options?: Call & { reason?: string }): Promise<AgentControlResponse>
  resume(name: string, options?: Call & { reason?: string }): Promise<AgentControlResponse>
  /** It claims nothing more, lets running attempts finish within its grace period, and exits. */
  stop(name: string, options?: Call & { reason?: string }): Promise<AgentControlResponse>
}

export function createAgentsClient(t: Transport, call: (o?: Call) => Call): AgentsClient {
  const control =
    (operationId: 'pauseAgent' | 'resumeAgent' | 'stopAgent') =>
    async (name: string, o: Call & { reason?: string } = {}) =>
      (
        await t.json(operationId, AgentControlResponseSchema, {
          ...call(o),
          params: { name },
          body: o.reason !== undefined ? { reason: o.reason } : {},
        })
      ).data as AgentControlResponse
  return {
    async list(query = {}, o) {
      return (
        await t.json('listAgents', AgentListSchema, {
          ...call(o),
          query: query as Record<string, QueryValue>,
        })
      ).data.items as Agent[]
    },
    async get(name, o = {}) {
      return (
        await t.json('getAgent', AgentDetailSchema, {
          ...call(o),
          params: { name },
          query: o.events !== undefined ? { events: o.events } : {},
        })
      ).data as AgentDetail
    },
    pause: control('pauseAgent'),
    resume: control('resumeAgent'),
    stop: control('stopAgent'),
  }
}
