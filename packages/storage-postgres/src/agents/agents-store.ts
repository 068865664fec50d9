/**
 * `store.agents` on PostgreSQL: the `workers` records of migration 5 as agents, the desired state
 * of migration 6, and the agent log its triggers write (migration.ts).
 *
 * A record whose holder stopped heartbeating (its `expires_at` passed on the database's clock)
 * while it still says it is working is marked `failed` when agents are read, so `weft agents list`
 * and the metrics never show a dead worker as idle, and the failure is logged once.
 */
import {
  type AgentDesiredState,
  type AgentEvent,
  type AgentRecord,
  type AgentStatus,
  type AgentStore,
  WeftError,
} from '@weft/core'
import { Conditions } from '../conditions.js'
import type { Db } from '../db.js'
import {
  type ActivityColumns,
  type HeldAttemptRow,
  heldAttemptsQuery,
  workerActivity,
} from '../queue/worker-activity.js'
import { epochMs } from '../rows.js'

/** `NOTIFY` channel (payload: the agent's name): a desired state changed, look now. */
export const AGENTS_CHANNEL = 'weft_agents'

type Row = [
  name: string,
  status: AgentStatus,
  desired: AgentDesiredState,
  desiredReason: string | null,
  desiredBy: string | null,
  desiredAt: number | null,
  host: string,
  pid: number,
  capacity: number,
  running: number,
  backends: string[],
  ...activity: ActivityColumns,
]

type EventRow = [
  id: number,
  ts: number,
  agent: string,
  type: AgentEvent['type'],
  reason: string | null,
  by: string | null,
  data: string | null,
]

const REQUESTED: Record<AgentDesiredState, AgentEvent['type']> = {
  run: 'agent.resume_requested',
  pause: 'agent.pause_requested',
  stop: 'agent.stop_requested',
}

const iso = (ms: number) => new Date(ms).toISOString()

export function agentsStore(db: Db, s: string): AgentStore {
  const columns = `name, status, desired, desired_reason, desired_by, ${epochMs('desired_at')}, host, pid, capacity,
    running, backends, completed, failed, rejected, ${epochMs('started_at')}, ${epochMs('heartbeat_at')},
    ${epochMs('expires_at')}`
  const expire = `UPDATE ${s}workers SET status = 'failed', running = 0
    WHERE expires_at <= now() AND status NOT IN ('stopped', 'failed')`
  const held = heldAttemptsQuery(s)
  const lock = `SELECT ${columns} FROM ${s}workers WHERE name = $1 FOR UPDATE`
  const setDesired = `UPDATE ${s}workers SET desired = $2, desired_reason = $3, desired_by = $4, desired_at = now()
    WHERE name = $1`
  const log = `INSERT INTO ${s}agent_events (agent, type, reason, changed_by) VALUES ($1, $2, $3, $4)`
  const notify = `SELECT pg_notify('${AGENTS_CHANNEL}', $1)`
  const events = `SELECT id, ${epochMs('ts')}, agent, type, reason, changed_by, data FROM ${s}agent_events`

  async function read(filter: { name?: string; statuses?: AgentStatus[] }): Promise<AgentRecord[]> {
    await db.execute(expire)
    const conditions = new Conditions()
    if (filter.name !== undefined) conditions.add(`name = ${conditions.param(filter.name)}`)
    if (filter.statuses?.length) conditions.add(`status = ANY(${conditions.param(filter.statuses)}::text[])`)
    const rows = await db.query<Row>(
      `SELECT ${columns} FROM ${s}workers ${conditions.where} ORDER BY name`,
      conditions.params,
    )
    if (rows.length === 0) return []
    const claims = await db.query<HeldAttemptRow>(held)
    return rows.map((r) => toRecord(r, claims))
  }

  return {
    list: (filter = {}) => read(filter),

    async get(name) {
      return (await read({ name }))[0]
    },

    async request(name, desired, options = {}) {
      const { by, reason } = options
      await db.execute(expire)
      const result = await db.tx(async (q) => {
        const [row] = await q.query<Row>(lock, [name])
        if (!row) return undefined
        const current = toRecord(row, [])
        // A record with no process behind it: stopping it is a no-op; pausing it is kept (the
        // next process under the name comes up paused); resuming it only clears such a pause.
        if (current.status === 'stopped' || current.status === 'failed') {
          if (desired === 'stop') return { changed: false }
          if (desired === 'run' && current.desired !== 'pause')
            throw new WeftError(
              'conflict',
              `agent '${name}' is ${current.status}: there is nothing to resume`,
              {
                hint: `start it again: \`weft worker --name ${name} --store …\` (or \`weft agents up\`)`,
              },
            )
        }
        if (current.desired === desired) return { changed: false }
        await q.execute(setDesired, [name, desired, reason ?? null, by ?? null])
        await q.execute(log, [name, REQUESTED[desired], reason ?? null, by ?? null])
        await q.query(notify, [name])
        return { changed: true }
      })
      if (!result) return undefined
      const agent = (await read({ name }))[0]
      return agent ? { agent, changed: result.changed } : undefined
    },

    async events(options = {}) {
      const limit = options.limit ?? 100
      const rows =
        options.agent !== undefined
          ? await db.query<EventRow>(`${events} WHERE agent = $1 ORDER BY id DESC LIMIT $2`, [
              options.agent,
              limit,
            ])
          : await db.query<EventRow>(`${events} ORDER BY id DESC LIMIT $1`, [limit])
      return rows.map(([id, ts, agent, type, reason, by, data]) => ({
        id,
        ts: iso(ts),
        agent,
        type,
        ...(reason !== null ? { reason } : {}),
        ...(by !== null ? { by } : {}),
        ...(data !== null ? { data: JSON.parse(data) as Record<string, unknown> } : {}),
      }))
    },
  }
}

function toRecord(r: Row, claims: HeldAttemptRow[]): AgentRecord {
  const [
    name,
    status,
    desired,
    desiredReason,
    desiredBy,
    desiredAt,
    host,
    pid,
    capacity,
    running,
    backends,
    ...activity
  ] = r
  return {
    name,
    status,
    desired,
    ...(desiredReason !== null ? { desiredReason } : {}),
    ...(desiredBy !== null ? { desiredBy } : {}),
    ...(desiredAt !== null ? { desiredAt: iso(desiredAt) } : {}),
    host,
    pid,
    capacity,
    running,
    backends,
    ...workerActivity(name, activity, claims),
  }
}
