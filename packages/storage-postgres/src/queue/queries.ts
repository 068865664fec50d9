/**
 * The SQL of the task queue (migration 5). Every expiry is `now() + ttl` and every "expired" is
 * `<= now()`, on the database's clock: the workers' own clocks are never compared.
 *
 * Fencing: a claim hands out a fresh `lease_token`; a heartbeat, a completion or a hand-back
 * changes the row only while it is `claimed` with that token and an unexpired lease. Once the
 * lease expired (and the sweep marked the attempt `lost`), or the owner canceled the attempt, the
 * late worker's statements change nothing: it cannot complete the attempt, and the task runs again
 * as a new attempt queued by the run's owner.
 */
import type { Db, Queryable } from '../db.js'
import { ISO_NOW } from '../rows.js'

const TTL = (param: string) => `now() + ${param}::float8 * interval '1 millisecond'`

/** Wakes idle workers: a task was queued. */
export const QUEUED_CHANNEL = 'weft_task_queued'
/** An operator asked a worker to pause, resume or stop (the payload is its name; agents store). */
export const AGENTS_CHANNEL = 'weft_agents'
/** Wakes a run's owner: an attempt it queued has a result (the payload is the owner's name). */
export const RESULT_CHANNEL = 'weft_task_result'

export interface AttemptKey {
  runId: string
  taskId: string
  attempt: number
}

export interface QueuedAttempt extends AttemptKey {
  backend: string
  priority: number
  owner: string
  request: string
}

export interface ClaimedAttempt extends AttemptKey {
  backend: string
  request: string
  token: string
  owner: string
}

export interface TakenResult extends AttemptKey {
  status: 'succeeded' | 'failed' | 'lost'
  result: string | null
  worker: string | null
}

/** A `log` event a worker appends to a run, in the transaction of what it records. */
export interface WorkerEvent extends AttemptKey {
  message: string
  fields: Record<string, unknown>
}

export function queueQueries(db: Db, s: string) {
  const enqueue = `WITH older AS (
      UPDATE ${s}task_queue SET status = 'canceled', finished_at = now()
      WHERE run_id = $1 AND task_id = $2 AND attempt < $3 AND status IN ('queued', 'claimed'))
    INSERT INTO ${s}task_queue (run_id, task_id, attempt, backend, priority, owner, request)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET status = 'queued', owner = excluded.owner,
      request = excluded.request, worker = NULL, lease_token = NULL, lease_expires_at = NULL,
      result = NULL, enqueued_at = now()`

  const take = `DELETE FROM ${s}task_queue q USING unnest($1::text[], $2::text[], $3::int[]) AS k (run_id, task_id, attempt)
    WHERE q.run_id = k.run_id AND q.task_id = k.task_id AND q.attempt = k.attempt
      AND q.status IN ('succeeded', 'failed', 'lost')
    RETURNING q.run_id, q.task_id, q.attempt, q.status, q.result, q.worker`

  const cancel = `UPDATE ${s}task_queue SET status = 'canceled', finished_at = now()
    WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND status IN ('queued', 'claimed')`

  const heartbeat = `UPDATE ${s}task_queue SET lease_expires_at = ${TTL('$3')}
    WHERE worker = $1 AND status = 'claimed' AND lease_token = ANY($2::uuid[]) AND lease_expires_at > now()
    RETURNING lease_token::text`

  const complete = `UPDATE ${s}task_queue SET status = $5, result = $6, finished_at = now(), lease_expires_at = NULL
    WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_token = $4::uuid
      AND status = 'claimed' AND lease_expires_at > now()
    RETURNING owner`

  const countDone = `UPDATE ${s}workers SET completed = completed + $2, failed = failed + $3 WHERE name = $1`

  const handBack = `UPDATE ${s}task_queue SET status = 'lost', result = $5, finished_at = now(), lease_expires_at = NULL
    WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_token = $4::uuid AND status = 'claimed'
    RETURNING owner`

  const sweep = `UPDATE ${s}task_queue SET status = 'lost', finished_at = now(),
      result = json_build_object('reason', 'the lease of worker ' || coalesce(worker, '?') || ' expired')::text
    WHERE status = 'claimed' AND lease_expires_at <= now()
    RETURNING run_id, task_id, attempt, worker, owner`

  const prune = `DELETE FROM ${s}task_queue
    WHERE status IN ('succeeded', 'failed', 'lost', 'canceled') AND finished_at < now() - interval '1 hour'`

  const lockRuns = `SELECT id FROM ${s}runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`
  const appendEvents = `WITH c AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS c (run_id, task_id, attempt, data, n)),
    k AS (SELECT run_id, count(*) AS k FROM c GROUP BY run_id),
    r AS (UPDATE ${s}runs SET last_seq = ${s}runs.last_seq + k.k FROM k WHERE ${s}runs.id = k.run_id
      RETURNING ${s}runs.id, ${s}runs.last_seq - k.k AS base)
    INSERT INTO ${s}events (run_id, seq, ts, type, task_id, attempt, severity, data, worker)
    SELECT c.run_id, r.base + row_number() OVER (PARTITION BY c.run_id ORDER BY c.n), ${ISO_NOW}, 'log',
      c.task_id, c.attempt, 'info', c.data, $5
    FROM c JOIN r ON r.id = c.run_id`

  /** Appends `log` events marked as the worker's (see migration 5), after locking their runs in id order. */
  async function append(q: Queryable, worker: string, events: WorkerEvent[]): Promise<void> {
    if (events.length === 0) return
    const runIds = [...new Set(events.map((e) => e.runId))]
    await q.query(lockRuns, [runIds])
    await q.execute(appendEvents, [
      events.map((e) => e.runId),
      events.map((e) => e.taskId),
      events.map((e) => e.attempt),
      events.map((e) => JSON.stringify({ message: e.message, fields: e.fields })),
      worker,
    ])
  }

  let pauseClause: Promise<string> | undefined
  /** The durable queue pause (`queue_state`, when the schema has it): no claims while paused. */
  function paused(): Promise<string> {
    pauseClause ??= db
      .query<[string | null]>('SELECT to_regclass($1)::text', [`${s}queue_state`])
      .then((rows) => (rows[0]?.[0] ? ` AND NOT EXISTS (SELECT 1 FROM ${s}queue_state WHERE paused)` : ''))
      .catch((err) => {
        pauseClause = undefined
        throw err
      })
    return pauseClause
  }

  return {
    async enqueue(a: QueuedAttempt): Promise<void> {
      await db.execute(enqueue, [a.runId, a.taskId, a.attempt, a.backend, a.priority, a.owner, a.request])
      await db.query('SELECT pg_notify($1, $2)', [QUEUED_CHANNEL, a.backend])
    },

    /** Takes the results of these attempts that have one (the rows are deleted: each is taken once). */
    async take(keys: AttemptKey[]): Promise<TakenResult[]> {
      if (keys.length === 0) return []
      const rows = await db.query<
        [string, string, number, TakenResult['status'], string | null, string | null]
      >(take, [keys.map((k) => k.runId), keys.map((k) => k.taskId), keys.map((k) => k.attempt)])
      return rows.map(([runId, taskId, attempt, status, result, worker]) => ({
        runId,
        taskId,
        attempt,
        status,
        result,
        worker,
      }))
    },

    async cancel(k: AttemptKey): Promise<void> {
      await db.execute(cancel, [k.runId, k.taskId, k.attempt])
    },

    /**
     * Claims up to `limit` queued attempts for one of `backends` (priority, then age), and appends a
     * `task.claimed` log event to each attempt's run in the same transaction.
     */
    async claim(o: {
      worker: string
      backends: string[]
      limit: number
      ttlMs: number
      owner?: string
      fields: Record<string, unknown>
    }): Promise<ClaimedAttempt[]> {
      // A worker an operator paused or stopped (`workers.desired`, migration 6) claims nothing.
      const extra =
        (await paused()) +
        ` AND NOT EXISTS (SELECT 1 FROM ${s}workers w WHERE w.name = $1 AND w.desired <> 'run')` +
        (o.owner !== undefined ? ' AND owner = $5' : '')
      const sql = `WITH picked AS (
          SELECT run_id, task_id, attempt FROM ${s}task_queue
          WHERE status = 'queued' AND backend = ANY($2::text[])${extra}
          ORDER BY priority, enqueued_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        UPDATE ${s}task_queue q SET status = 'claimed', worker = $1, lease_token = gen_random_uuid(),
          lease_expires_at = ${TTL('$4')}, claimed_at = now(), claims = q.claims + 1
        FROM picked WHERE q.run_id = picked.run_id AND q.task_id = picked.task_id AND q.attempt = picked.attempt
        RETURNING q.run_id, q.task_id, q.attempt, q.backend, q.request, q.lease_token::text, q.owner`
      const params: unknown[] = [o.worker, o.backends, o.limit, o.ttlMs]
      if (o.owner !== undefined) params.push(o.owner)
      return db.tx(async (q) => {
        const rows = await q.query<[string, string, number, string, string, string, string]>(sql, params)
        const claimed = rows.map(([runId, taskId, attempt, backend, request, token, owner]) => ({
          runId,
          taskId,
          attempt,
          backend,
          request,
          token,
          owner,
        }))
        await append(
          q,
          o.worker,
          claimed.map((c) => ({
            ...c,
            message: `attempt ${c.attempt} of task ${c.taskId} claimed by worker ${o.worker}`,
            fields: { code: 'task.claimed', worker: o.worker, ...o.fields },
          })),
        )
        return claimed
      })
    },

    /** Extends the leases still held; returns the tokens that are (the others were lost or canceled). */
    async heartbeat(worker: string, tokens: string[], ttlMs: number): Promise<Set<string>> {
      if (tokens.length === 0) return new Set()
      const rows = await db.query<[string]>(heartbeat, [worker, tokens, ttlMs])
      return new Set(rows.map(([t]) => t))
    },

    /**
     * Records an attempt's result, fenced by token, status and expiry, with a `task.completed` log
     * event in the same transaction. False when the lease was lost: the result is thrown away.
     */
    async complete(
      worker: string,
      c: ClaimedAttempt,
      status: 'succeeded' | 'failed',
      result: string,
      fields: Record<string, unknown>,
    ): Promise<boolean> {
      return db.tx(async (q) => {
        const rows = await q.query<[string]>(complete, [
          c.runId,
          c.taskId,
          c.attempt,
          c.token,
          status,
          result,
        ])
        if (rows.length === 0) return false
        await q.execute(countDone, [worker, status === 'succeeded' ? 1 : 0, status === 'failed' ? 1 : 0])
        await append(q, worker, [
          {
            ...c,
            message: `attempt ${c.attempt} of task ${c.taskId} ${status} on worker ${worker}`,
            fields: { code: 'task.completed', worker, status, ...fields },
          },
        ])
        await q.query('SELECT pg_notify($1, $2)', [RESULT_CHANNEL, rows[0]![0]])
        return true
      })
    },

    /** Gives an attempt back (the worker stops): the owner queues the task again as a new attempt. */
    async handBack(c: ClaimedAttempt, reason: string): Promise<boolean> {
      const rows = await db.query<[string]>(handBack, [
        c.runId,
        c.taskId,
        c.attempt,
        c.token,
        JSON.stringify({ reason }),
      ])
      if (rows.length) await db.query('SELECT pg_notify($1, $2)', [RESULT_CHANNEL, rows[0]![0]])
      return rows.length > 0
    },

    /** Marks every claimed attempt whose lease expired as lost; returns them. */
    async sweep(): Promise<{ key: AttemptKey; worker: string | null; owner: string }[]> {
      const rows = await db.query<[string, string, number, string | null, string]>(sweep)
      for (const owner of new Set(rows.map((r) => r[4])))
        await db.query('SELECT pg_notify($1, $2)', [RESULT_CHANNEL, owner])
      return rows.map(([runId, taskId, attempt, worker, owner]) => ({
        key: { runId, taskId, attempt },
        worker,
        owner,
      }))
    },

    /** Deletes finished rows nobody took within an hour (their owners died or moved on). */
    async prune(): Promise<number> {
      return db.execute(prune)
    },
  }
}

export type QueueQueries = ReturnType<typeof queueQueries>
