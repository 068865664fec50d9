/**
 * Worker records (`workers`, migration 5): one row per worker name, what `weft agents` lists. A
 * name is held by one process at a time (its `owner`, host:pid:startTime:random). A process that
 * starts under a name takes the record over when its holder stopped, failed, let its record
 * expire (database clock), or is provably dead on this host; a live holder is a clear refusal.
 */
import { isWeftError, ownerLiveness, WeftError } from '@weft/core'
import type { Db } from '../db.js'
import { epochMs } from '../rows.js'
import {
  type ActivityColumns,
  type HeldAttemptRow,
  heldAttemptsQuery,
  workerActivity,
} from './worker-activity.js'

/** What an operator asked of a worker (`weft agents pause|resume|stop`). */
export type Desired = 'run' | 'pause' | 'stop'

export type WorkerStatus = 'starting' | 'idle' | 'busy' | 'paused' | 'draining' | 'stopped' | 'failed'

export interface WorkerRecord {
  name: string
  owner: string
  host: string
  pid: number
  status: WorkerStatus
  capacity: number
  backends: string[]
  running: number
  completed: number
  failed: number
  rejected: number
  startedAt: string
  heartbeatAt: string
  expiresAt: string
  /** The attempts it holds now. */
  current: { runId: string; taskId: string; attempt: number }[]
}

const TTL = `now() + $2::float8 * interval '1 millisecond'`

/** Attempts a worker finished: accepted succeeded and failed results, and rejected (late) ones. */
export interface WorkerCounts {
  completed: number
  failed: number
  rejected: number
}

const NO_COUNTS: WorkerCounts = { completed: 0, failed: 0, rejected: 0 }

export function workersTable(db: Db, s: string) {
  const register = `INSERT INTO ${s}workers (name, owner, host, pid, status, capacity, backends, expires_at)
    VALUES ($1, $3, $4, $5, 'starting', $6, $7, ${TTL})
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
      status = 'starting', capacity = excluded.capacity, backends = excluded.backends, running = 0,
      started_at = now(), heartbeat_at = now(), expires_at = excluded.expires_at
    WHERE ${s}workers.owner = excluded.owner OR ${s}workers.status IN ('stopped', 'failed')
      OR ${s}workers.expires_at <= now() OR ${s}workers.owner = $8
    RETURNING 1`
  // The previous holder's claims can never complete (their tokens die with it): hand them back now
  // instead of waiting for their leases to expire.
  const releasePrevious = `UPDATE ${s}task_queue SET status = 'lost', finished_at = now(),
      result = json_build_object('reason', 'worker ' || worker || ' was restarted')::text
    WHERE worker = $1 AND status = 'claimed'
    RETURNING owner`
  const beat = `UPDATE ${s}workers SET heartbeat_at = now(), expires_at = ${TTL}, status = $4, running = $5,
      completed = completed + $6, failed = failed + $7, rejected = rejected + $8
    WHERE name = $1 AND owner = $3 RETURNING desired`
  const count = `UPDATE ${s}workers SET completed = completed + $3, failed = failed + $4, rejected = rejected + $5
    WHERE name = $1 AND owner = $2`
  const stop = `UPDATE ${s}workers SET status = $3, running = 0, heartbeat_at = now(), expires_at = now(),
      completed = completed + $4, failed = failed + $5, rejected = rejected + $6
    WHERE name = $1 AND owner = $2`
  const columns = `name, owner, host, pid, status, capacity, backends, running, completed, failed, rejected,
    ${epochMs('started_at')}, ${epochMs('heartbeat_at')}, ${epochMs('expires_at')}`
  const current = heldAttemptsQuery(s)

  type Row = [
    name: string,
    owner: string,
    host: string,
    pid: number,
    status: WorkerStatus,
    capacity: number,
    backends: string[],
    running: number,
    ...activity: ActivityColumns,
  ]

  return {
    /**
     * Takes the name for `owner`. `deadOwner`: the holder this process found dead (same host, pid
     * gone), whose record is taken over even though it has not expired yet.
     */
    async register(o: {
      name: string
      owner: string
      host: string
      pid: number
      capacity: number
      backends: string[]
      ttlMs: number
      deadOwner?: string
    }): Promise<void> {
      const taken = await db.tx(async (q) => {
        const rows = await q.query(register, [
          o.name,
          o.ttlMs,
          o.owner,
          o.host,
          o.pid,
          o.capacity,
          o.backends,
          o.deadOwner ?? null,
        ])
        if (rows.length === 0) return false
        await q.query(releasePrevious, [o.name])
        return true
      })
      if (taken) return
      const [holder] = await this.list(o.name)
      throw new WeftError(
        'conflict',
        `a worker named '${o.name}' is running: ${holder ? `${holder.owner}, last heartbeat ${holder.heartbeatAt}` : 'another process'}`,
        { hint: 'give this worker another --name, or stop the other one first' },
      )
    },

    async get(name: string): Promise<WorkerRecord | undefined> {
      return (await this.list(name))[0]
    },

    /** Every worker record (or one), with the attempts each holds. */
    async list(name?: string): Promise<WorkerRecord[]> {
      const rows = await db.query<Row>(
        `SELECT ${columns} FROM ${s}workers ${name !== undefined ? 'WHERE name = $1' : ''} ORDER BY name`,
        name !== undefined ? [name] : [],
      )
      const held = await db.query<HeldAttemptRow>(current)
      return rows.map(([name, owner, host, pid, status, capacity, backends, running, ...activity]) => ({
        name,
        owner,
        host,
        pid,
        status,
        capacity,
        backends,
        running,
        ...workerActivity(name, activity, held),
      }))
    },

    /**
     * Renews the record and adds the attempts finished since the last one to its counts; returns
     * what an operator wants of the worker (`run`, `pause`, `stop`).
     */
    async heartbeat(
      name: string,
      owner: string,
      ttlMs: number,
      status: WorkerStatus,
      running: number,
      counts: Readonly<WorkerCounts> = NO_COUNTS,
    ): Promise<Desired | undefined> {
      const [row] = await db.query<[Desired]>(beat, [
        name,
        ttlMs,
        owner,
        status,
        running,
        counts.completed,
        counts.failed,
        counts.rejected,
      ])
      return row?.[0]
    },

    async count(name: string, owner: string, completed: number, failed: number, rejected: number) {
      await db.execute(count, [name, owner, completed, failed, rejected])
    },

    /** Marks the record stopped (or failed), with the attempts finished since its last heartbeat. */
    async stop(
      name: string,
      owner: string,
      status: 'stopped' | 'failed' = 'stopped',
      counts: Readonly<WorkerCounts> = NO_COUNTS,
    ) {
      await db.execute(stop, [name, owner, status, counts.completed, counts.failed, counts.rejected])
    },
  }
}

export type WorkersTable = ReturnType<typeof workersTable>

type Registration = Omit<Parameters<WorkersTable['register']>[0], 'deadOwner'>

/**
 * Takes a worker's name. A holder on this host that is dead is taken over at once; one on another
 * host (whose process cannot be checked from here) once its record expires, waited for up to two
 * leases (a restarted container may come back under its name elsewhere); a live holder is refused.
 */
export async function takeName(
  table: WorkersTable,
  o: Registration,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + 2 * o.ttlMs
  for (;;) {
    const existing = await table.get(o.name)
    const holder = existing && existing.owner !== o.owner ? ownerLiveness(existing.owner) : undefined
    try {
      await table.register({ ...o, ...(holder === 'dead' ? { deadOwner: existing!.owner } : {}) })
    } catch (err) {
      if (holder !== 'unverified' || Date.now() > deadline || !isWeftError(err) || err.code !== 'conflict')
        throw err
      log(`waiting for the record of ${o.name} (held by ${existing!.owner}) to expire`)
      await new Promise((r) => setTimeout(r, Math.max(50, Math.floor(o.ttlMs / 3))))
      continue
    }
    if (existing && existing.owner !== o.owner)
      log(`took over the record of worker ${o.name} from ${existing.owner} (${existing.status})`)
    return
  }
}
