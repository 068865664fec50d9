/**
 * The SQL of a worker's completions (see queries.ts for the fencing), alone or with the claim of
 * the attempts that take the freed slots, in one statement.
 */
import type { Db } from '../db.js'
import { arrayLiteral, jsonTextsLiteral } from '../pg-array.js'
import { attemptKey, type ClaimedAttempt, RESULT_CHANNEL } from './queries.js'

export interface Result {
  claim: ClaimedAttempt
  status: 'succeeded' | 'failed'
  /** JSON text (see `jsonTextsLiteral`). */
  result: string
}

/** What a claim asks for (`weft_claim`'s arguments but the worker's name). */
export interface ClaimRequest {
  backends: string[]
  limit: number
  ttlMs: number
  owner?: string
  fields: Record<string, unknown>
}

export const claimParams = (worker: string, c: ClaimRequest) => [
  worker,
  arrayLiteral(c.backends),
  c.limit,
  c.ttlMs,
  c.owner ?? null,
  JSON.stringify(c.fields),
]

export type ClaimRow = [string, string, number, string, string, string, string]

export const toClaimed = (r: ClaimRow): ClaimedAttempt => ({
  runId: r[0],
  taskId: r[1],
  attempt: r[2],
  backend: r[3],
  request: r[4],
  token: r[5],
  owner: r[6],
})

export function completeQueries(db: Db, s: string) {
  // Completions of many attempts in one statement, each fenced by token, status and expiry; the
  // rows that changed are the accepted ones. Their owners are notified. (The worker's record counts
  // them with its next heartbeat: an update of its row here cost a tenth of the statement.)
  // Not waiting for the flush: a completion lost in a server crash leaves the attempt claimed, its
  // lease expires and it runs again (at least once), never twice completed.
  // Each row is found by its primary key: `status || ''` keeps the planner from the partial
  // indexes of claimed rows (task_queue_leases, _by_worker), whose bitmap scan it preferred and
  // which read every claimed row, and every dead entry a vacuum has not removed yet, once per
  // completion: the completions of a burst of short tasks slowed as the burst went on.
  // `LIMIT $7` (the number of results) changes no result: it makes PostgreSQL plan the statement
  // once. It plans a prepared statement for its parameters (a custom plan) until a generic plan is
  // estimated no dearer, and estimates `unnest` of an unknown array at ten rows: a worker that sends
  // fewer than ten results (`weft worker` has four slots by default) had each completion planned
  // again, a third of PostgreSQL's CPU for its completions and claims. A limit it does not know it
  // estimates at a tenth of the rows: the generic plan is then the cheaper one, and the same plan,
  // each row found by its primary key.
  const completing = `WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)),
    k AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::text[])
        AS k (run_id, task_id, attempt, token, status, result)
      LIMIT $7),
    done AS (
      UPDATE ${s}task_queue q SET status = k.status, result = k.result, finished_at = now(), lease_expires_at = NULL
      FROM k
      WHERE q.run_id = k.run_id AND q.task_id = k.task_id AND q.attempt = k.attempt AND q.lease_token = k.token
        AND q.status || '' = 'claimed' AND q.lease_expires_at > now()
      RETURNING q.run_id, q.task_id, q.attempt, q.owner),
    notified AS (SELECT pg_notify('${RESULT_CHANNEL}', o.owner) FROM (SELECT DISTINCT owner FROM done) o)`
  const complete = `${completing}
    SELECT d.run_id, d.task_id, d.attempt, (SELECT count(*) FROM notified) FROM done d, cfg`
  // The same, and a claim (`weft_claim`, migrations 7 and 9, in the same transaction): a worker of short
  // tasks refills the slots its results free with the round trip that records them, instead of a
  // claim statement of its own after each. The claimed rows are queued ones, the completed rows
  // claimed ones: the two never touch the same row. Completed rows have no backend.
  const completeAndClaim = `${completing},
    claimed AS (SELECT * FROM ${s}weft_claim($8, $9, $10, $11, $12, $13))
    SELECT d.run_id, d.task_id, d.attempt, NULL, NULL, NULL, (SELECT count(*) FROM notified)::text
      FROM done d, cfg
    UNION ALL SELECT o_run_id, o_task_id, o_attempt, o_backend, o_request, o_token, o_owner FROM claimed`

  return {
    /**
     * Records results, each fenced by token, status and expiry, in one statement; with `claim`, also
     * claims queued attempts in it. Returns the keys of the accepted results (the others lost their
     * lease, expired or canceled: thrown away) and the attempts claimed.
     */
    async complete(
      worker: string,
      results: Result[],
      claim?: ClaimRequest,
    ): Promise<{ accepted: Set<string>; claimed: ClaimedAttempt[] }> {
      const accepted = new Set<string>()
      const claimed: ClaimedAttempt[] = []
      if (results.length === 0) return { accepted, claimed }
      const params = [
        arrayLiteral(results.map((r) => r.claim.runId)),
        arrayLiteral(results.map((r) => r.claim.taskId)),
        arrayLiteral(results.map((r) => r.claim.attempt)),
        arrayLiteral(results.map((r) => r.claim.token)),
        arrayLiteral(results.map((r) => r.status)),
        jsonTextsLiteral(results.map((r) => r.result)),
        results.length,
      ]
      if (!claim || claim.limit <= 0) {
        const rows = await db.query<[string, string, number]>(complete, params)
        for (const [runId, taskId, attempt] of rows) accepted.add(attemptKey({ runId, taskId, attempt }))
        return { accepted, claimed }
      }
      const rows = await db.retrying(() =>
        db.query<ClaimRow | [string, string, number, null]>(completeAndClaim, [
          ...params,
          ...claimParams(worker, claim),
        ]),
      )
      for (const row of rows) {
        if (row[3] === null) accepted.add(attemptKey({ runId: row[0], taskId: row[1], attempt: row[2] }))
        else claimed.push(toClaimed(row as ClaimRow))
      }
      return { accepted, claimed }
    },
  }
}
