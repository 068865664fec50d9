import type { Store } from './store.js'

/**
 * Agents, in seed 002's words, are the `weft worker` processes that share a store: each is named,
 * and its record says what it is doing. Only a store that several processes share has them (the
 * Postgres store); SQLite and fs stores have no `store.agents`.
 */
export const AGENT_STATUSES = ['starting', 'idle', 'busy', 'paused', 'draining', 'stopped', 'failed'] as const
export type AgentStatus = (typeof AGENT_STATUSES)[number]

/**
 * What someone asked the agent to do; the agent reads it with its heartbeat. `run`: claim work;
 * `pause`: claim nothing and hand running attempts back (they run again elsewhere); `stop`: drain
 * and exit.
 */
export const AGENT_DESIRED_STATES = ['run', 'pause', 'stop'] as const
export type AgentDesiredState = (typeof AGENT_DESIRED_STATES)[number]

export interface AgentRecord {
  name: string
  status: AgentStatus
  /** What was asked of it last (`run` unless someone paused or stopped it). */
  desired: AgentDesiredState
  /** Who asked, why and when (absent while nobody did). */
  desiredBy?: string
  desiredReason?: string
  desiredAt?: string
  host: string
  pid: number
  /** Attempts it runs at once. */
  capacity: number
  /** Attempts it runs now. */
  running: number
  backends: string[]
  /** Attempts it finished since the name was created: succeeded, failed, and results refused (lease lost). */
  completed: number
  failed: number
  rejected: number
  startedAt: string
  /** Its last heartbeat (the database's clock). */
  heartbeatAt: string
  /** When its record expires without a heartbeat; past it, a live status is reported as `failed`. */
  expiresAt: string
  /** The attempts it holds now. */
  current: { runId: string; taskId: string; attempt: number }[]
}

export const AGENT_EVENT_TYPES = [
  'agent.registered',
  'agent.pause_requested',
  'agent.resume_requested',
  'agent.stop_requested',
  'agent.paused',
  'agent.resumed',
  'agent.draining',
  'agent.stopped',
  'agent.failed',
  'agent.recovered',
] as const
export type AgentEventType = (typeof AGENT_EVENT_TYPES)[number]

/**
 * One entry of the agents' log. Agents belong to no run, so their events are kept in the store's
 * agent log, not in a run's event log (as the queue flag's history is).
 */
export interface AgentEvent {
  /** Increasing, never reused. */
  id: number
  ts: string
  agent: string
  type: AgentEventType
  /** Why (a request's reason, a failure's cause). */
  reason?: string
  /** Who asked (requests only): an API key's name, `cli:<user>`. */
  by?: string
  /** e.g. `{ host, pid }` of the process that registered, `{ from, to }` of a status change. */
  data?: Record<string, unknown>
}

export interface AgentStore {
  /** Every agent (or the ones with these statuses), by name. */
  list(filter?: { statuses?: AgentStatus[] }): Promise<AgentRecord[]>
  get(name: string): Promise<AgentRecord | undefined>
  /**
   * Asks an agent to run, pause or stop: stores the desired state, logs the request, and wakes the
   * agent. Asking for what is already desired changes nothing (`changed: false`). Undefined when
   * there is no agent of that name.
   */
  request(
    name: string,
    desired: AgentDesiredState,
    options?: { by?: string; reason?: string },
  ): Promise<{ agent: AgentRecord; changed: boolean } | undefined>
  /** Agent events, newest first: of one agent or all, at most `limit` (default 100). */
  events(options?: { agent?: string; limit?: number }): Promise<AgentEvent[]>
}

/** The store's agents when it has them (`capabilities.agents`), else undefined. */
export function agentStoreOf(store: Store): AgentStore | undefined {
  return store.capabilities.agents === true ? store.agents : undefined
}
