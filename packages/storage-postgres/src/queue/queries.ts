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
import type { Db } from '../db.js'
import { arrayLiteral, jsonTextsLiteral } from '../pg-array.js'
import {
  type ClaimRequest,
  type ClaimRow,
  claimParams,
  completeQueries,
  toClaimed,
} from './complete-queries.js'

const TTL = (param: string) => `now() + ${param}::float8 * interval '1 millisecond'`

/** Wakes idle workers: a task was queued. */
export const QUEUED_CHANNEL = 'weft_task_queued'
/** An operator asked a worker to pause, resume or stop (the payload is its name; agents store). */
export const AGENTS_CHANNEL = 'weft_agents'
/** Tells a worker that an attempt it runs was suspended or let go on (the payload is its name). */
export const CONTROL_CHANNEL = 'weft_task_control'
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
  /** `canceled`: the owner (or a newer attempt) canceled it; an owner still waiting for it lost it. */
  status: 'succeeded' | 'failed' | 'lost' | 'canceled'
  result: string | null
  worker: string | null
}

/** A backend event a worker streamed while the attempt ran (`event` is its JSON). */
export interface StreamedEvent extends AttemptKey {
  id: number
  event: string
}

/** One string per attempt, for maps and sets. */
export const attemptKey = (k: AttemptKey) => `${k.runId}\u0000${k.taskId}\u0000${k.attempt}`

export function queueQueries(db: Db, s: string) {
  // Many attempts in one statement (an owner dispatches in bursts): the older attempts of the same
  // tasks are canceled (a new owner's attempt supersedes a dead owner's), then one notification.
  // `LIMIT $8` (the number of attempts) makes it planned once, as a completion (complete-queries.ts):
  // planned for each call, an enqueue of two attempts cost PostgreSQL 780 µs instead of 172, one of
  // 256 attempts 13 µs per attempt instead of 9 (3,000 queued; each older attempt is then found by
  // the primary key).
  const enqueue = `WITH k AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[])
        AS k (run_id, task_id, attempt, backend, priority, request)
      LIMIT $8),
    older AS (
      UPDATE ${s}task_queue q SET status = 'canceled', finished_at = now() FROM k
      WHERE q.run_id = k.run_id AND q.task_id = k.task_id AND q.attempt < k.attempt
        AND q.status IN ('queued', 'claimed')),
    added AS (
      INSERT INTO ${s}task_queue (run_id, task_id, attempt, backend, priority, owner, request)
      SELECT run_id, task_id, attempt, backend, priority, $7, request FROM k
      ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET status = 'queued', owner = excluded.owner,
        request = excluded.request, worker = NULL, lease_token = NULL, lease_expires_at = NULL,
        result = NULL, enqueued_at = now()
      RETURNING 1)
    SELECT pg_notify('${QUEUED_CHANNEL}', '') FROM (SELECT count(*) AS n FROM added) a WHERE a.n > 0`

  const claim = `SELECT * FROM ${s}weft_claim($1, $2, $3, $4, $5, $6)`

  // Every result and streamed event for this owner, taken once (the rows are deleted as they are
  // read), in one statement: a result it sees was committed after its attempt's streamed events
  // (the worker waits for them), so those are in the same snapshot and delivered first.
  // Without waiting for the flush (synchronous_commit off for this statement): a take lost in a
  // server crash leaves the rows, and the owner ignores results it no longer waits for.
  const take = `WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)),
    ev AS (DELETE FROM ${s}attempt_events e WHERE e.owner = $1
      RETURNING e.id, e.run_id, e.task_id, e.attempt, e.event),
    res AS (DELETE FROM ${s}task_queue q USING cfg
      WHERE q.owner = $1 AND q.status IN ('succeeded', 'failed', 'lost', 'canceled')
      RETURNING q.run_id, q.task_id, q.attempt, q.status, q.result, q.worker)
    SELECT id, run_id, task_id, attempt, NULL, event, NULL FROM ev
    UNION ALL SELECT NULL, run_id, task_id, attempt, status, result, worker FROM res`

  // A worker's running attempts' events, fenced like a completion (a zombie's are dropped), to
  // the attempt's current owner, who is woken.
  const stream = `WITH k AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[]) WITH ORDINALITY
        AS k (run_id, task_id, attempt, token, event, n)),
    added AS (
      INSERT INTO ${s}attempt_events (run_id, task_id, attempt, owner, event)
      SELECT k.run_id, k.task_id, k.attempt, q.owner, k.event FROM k
        JOIN ${s}task_queue q ON q.run_id = k.run_id AND q.task_id = k.task_id AND q.attempt = k.attempt
          AND q.lease_token = k.token AND q.status = 'claimed'
      ORDER BY k.n
      RETURNING owner)
    SELECT pg_notify('${RESULT_CHANNEL}', o.owner) FROM (SELECT DISTINCT owner FROM added) o`

  // A new owner of a run takes over the run's attempts still in the queue (the worker that claimed
  // one names its process in `workers`, so the new owner can tell a dead one).
  const moveEvents = `UPDATE ${s}attempt_events SET owner = $2 WHERE run_id = $1`
  const moveTo = `UPDATE ${s}task_queue q SET owner = $2
    WHERE q.run_id = $1 AND q.status IN ('queued', 'claimed', 'succeeded', 'failed')
    RETURNING q.task_id, q.attempt, q.status, q.worker, (SELECT w.owner FROM ${s}workers w WHERE w.name = q.worker)`

  // Fenced by owner: a process that lost the run (its lease ran out while the database was away)
  // and aborts its attempts must not cancel the ones the run's new owner now waits for.
  const cancel = `UPDATE ${s}task_queue SET status = 'canceled', finished_at = now()
    WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND status IN ('queued', 'claimed') AND owner = $4`

  const heartbeat = `UPDATE ${s}task_queue SET lease_expires_at = ${TTL('$3')}
    WHERE worker = $1 AND status = 'claimed' AND lease_token = ANY($2::uuid[]) AND lease_expires_at > now()
    RETURNING lease_token::text, suspended`

  // The owner suspends (or lets go on) an attempt of a paused run; the worker running it is told.
  const suspend = `WITH u AS (
      UPDATE ${s}task_queue SET suspended = $4
      WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND status IN ('queued', 'claimed')
      RETURNING worker)
    SELECT pg_notify('${CONTROL_CHANNEL}', u.worker) FROM u WHERE u.worker IS NOT NULL`

  const suspendedOf = `SELECT lease_token::text, suspended FROM ${s}task_queue
    WHERE worker = $1 AND status = 'claimed' AND lease_token = ANY($2::uuid[])`

  const handBack = `UPDATE ${s}task_queue SET status = 'lost', result = $5, finished_at = now(), lease_expires_at = NULL
    WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_token = $4::uuid AND status = 'claimed'
    RETURNING owner`

  const sweep = `UPDATE ${s}task_queue SET status = 'lost', finished_at = now(),
      result = json_build_object('reason', 'the lease of worker ' || coalesce(worker, '?') || ' expired')::text
    WHERE status = 'claimed' AND lease_expires_at <= now()
    RETURNING run_id, task_id, attempt, worker, owner`

  // The owner's attempts queued for a while for a backend that neither it nor any live worker has.
  const unserved = `SELECT DISTINCT q.backend FROM ${s}task_queue q
    WHERE q.owner = $1 AND q.status = 'queued' AND NOT q.suspended
      AND q.enqueued_at < now() - $3::float8 * interval '1 millisecond'
      AND NOT (q.backend = ANY ($2::text[]))
      AND NOT EXISTS (SELECT 1 FROM ${s}workers w WHERE w.expires_at > now()
        AND w.status NOT IN ('stopped', 'failed') AND q.backend = ANY (w.backends))`

  const prune = `DELETE FROM ${s}task_queue
    WHERE status IN ('succeeded', 'failed', 'lost', 'canceled') AND finished_at < now() - interval '1 hour'`
  // Streamed events nobody took within an hour (their owners died or moved on).
  const pruneEvents = `DELETE FROM ${s}attempt_events WHERE created_at < now() - interval '1 hour'`
  // Claim events of runs deleted before anyone folded them.
  const pruneClaims = `DELETE FROM ${s}claim_batches c WHERE NOT EXISTS (SELECT 1 FROM ${s}runs r WHERE r.id = c.run_id)`

  return {
    ...completeQueries(db, s),

    /** Queues attempts of one owner (one statement, one notification). */
    async enqueue(owner: string, attempts: Omit<QueuedAttempt, 'owner'>[]): Promise<void> {
      if (attempts.length === 0) return
      await db.query(enqueue, [
        arrayLiteral(attempts.map((a) => a.runId)),
        arrayLiteral(attempts.map((a) => a.taskId)),
        arrayLiteral(attempts.map((a) => a.attempt)),
        arrayLiteral(attempts.map((a) => a.backend)),
        arrayLiteral(attempts.map((a) => a.priority)),
        jsonTextsLiteral(attempts.map((a) => a.request)),
        owner,
        attempts.length,
      ])
    },

    /** Takes every result and streamed event that came in for `owner` (each is taken once). */
    async take(owner: string): Promise<{ results: TakenResult[]; events: StreamedEvent[] }> {
      const rows = await db.query<
        [string | null, string, string, number, TakenResult['status'] | null, string | null, string | null]
      >(take, [owner])
      const results: TakenResult[] = []
      const events: StreamedEvent[] = []
      for (const [id, runId, taskId, attempt, status, text, worker] of rows) {
        if (status === null) events.push({ id: Number(id), runId, taskId, attempt, event: text! })
        else results.push({ runId, taskId, attempt, status, result: text, worker })
      }
      events.sort((a, b) => a.id - b.id)
      return { results, events }
    },

    /** Streams running attempts' events to their owners (each fenced by its lease token). */
    async stream(rows: { claim: ClaimedAttempt; event: string }[]): Promise<void> {
      if (rows.length === 0) return
      await db.query(stream, [
        arrayLiteral(rows.map((r) => r.claim.runId)),
        arrayLiteral(rows.map((r) => r.claim.taskId)),
        arrayLiteral(rows.map((r) => r.claim.attempt)),
        arrayLiteral(rows.map((r) => r.claim.token)),
        arrayLiteral(rows.map((r) => r.event)),
      ])
    },

    /** Makes `owner` the taker of the run's attempts still in the queue; returns them. */
    async moveTo(
      runId: string,
      owner: string,
    ): Promise<
      { taskId: string; attempt: number; status: string; worker: string | null; workerOwner: string | null }[]
    > {
      const rows = await db.query<[string, number, string, string | null, string | null]>(moveTo, [
        runId,
        owner,
      ])
      // After the queue's rows: events streamed from now on go to the new owner (by the join).
      await db.execute(moveEvents, [runId, owner])
      return rows.map(([taskId, attempt, status, worker, workerOwner]) => ({
        taskId,
        attempt,
        status,
        worker,
        workerOwner,
      }))
    },

    /** Cancels an attempt `owner` queued and still owns (see `cancel` above). */
    async cancel(k: AttemptKey, owner: string): Promise<void> {
      await db.execute(cancel, [k.runId, k.taskId, k.attempt, owner])
    },

    /**
     * Claims up to `limit` queued attempts for one of `backends` (priority, then age), and records a
     * `task.claimed` log event of each in the same transaction (in the claim inbox, which the run's
     * next commit or fold moves into its log: see migrations 7 and 9).
     */
    async claim(o: ClaimRequest & { worker: string }): Promise<ClaimedAttempt[]> {
      const rows = await db.retrying(() => db.query<ClaimRow>(claim, claimParams(o.worker, o)))
      return rows.map(toClaimed)
    },

    /**
     * Extends the leases still held; returns the tokens that are (the others were lost or
     * canceled), each with whether its run's owner suspended it.
     */
    async heartbeat(worker: string, tokens: string[], ttlMs: number): Promise<Map<string, boolean>> {
      if (tokens.length === 0) return new Map()
      const rows = await db.query<[string, boolean]>(heartbeat, [worker, arrayLiteral(tokens), ttlMs])
      return new Map(rows)
    },

    /** Suspends an attempt (`on`), or lets it go on; the worker running it is notified. */
    async suspend(k: AttemptKey, on: boolean): Promise<void> {
      await db.query(suspend, [k.runId, k.taskId, k.attempt, on])
    },

    /** Which of a worker's attempts (by lease token) their owners suspended. */
    async suspendedOf(worker: string, tokens: string[]): Promise<Map<string, boolean>> {
      if (tokens.length === 0) return new Map()
      return new Map(await db.query<[string, boolean]>(suspendedOf, [worker, tokens]))
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

    /**
     * Moves the claim events waiting in the inbox (migrations 7 and 9) into their runs' logs, for runs no
     * commit holds at the moment (a commit folds its own run's first). Returns how many moved.
     */
    async foldClaims(): Promise<number> {
      const [[n]] = (await db.query<[number]>(`SELECT ${s}weft_fold_all_claims()`)) as [[number]]
      return n
    },

    /**
     * The backends of `owner`'s attempts queued longer than `afterMs` that no live worker has and
     * that `local` (the backends the owner works itself) leaves out: nothing will ever claim them.
     */
    async unserved(owner: string, local: string[], afterMs: number): Promise<string[]> {
      return (await db.query<[string]>(unserved, [owner, local, afterMs])).map(([b]) => b)
    },

    /** Deletes finished rows nobody took within an hour (their owners died or moved on). */
    async prune(): Promise<number> {
      return (await db.execute(prune)) + (await db.execute(pruneClaims)) + (await db.execute(pruneEvents))
    },
  }
}

export type QueueQueries = ReturnType<typeof queueQueries>
