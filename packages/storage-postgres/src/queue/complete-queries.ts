/**
 * The SQL of a worker's completions (see queries.ts for the fencing), alone or with the claim of
 * the attempts that take the freed slots, in one statement.
 */
import type { Db } from '../db.js'
import { arrayLiteral, jsonTextsLiteral } from '../pg-array.js'
import { attemptKey, type ClaimedAttempt } from './queries.js'

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

export const toClaimed = ([
  runId,
  taskId,
  attempt,
  backend,
  request,
  token,
  owner,
]: ClaimRow): ClaimedAttempt => ({
  runId,
  taskId,
  attempt,
  backend,
  request,
  token,
  owner,
})

export function completeQueries(db: Db, s: string) {
  // Completions of many attempts in one statement (`weft_complete`, migration 13: planned once, see
  // complete-function.ts), each fenced by token, status and expiry; the rows that changed are the
  // accepted ones, and their owners are notified. (The worker's record counts them with its next
  // heartbeat: an update of its row here cost a tenth of the statement.)
  const complete = `SELECT * FROM ${s}weft_complete($1, $2, $3, $4, $5, $6)`
  // The same, and a claim (`weft_claim`, migrations 7 and 9, in the same transaction): a worker of short
  // tasks refills the slots its results free with the round trip that records them, instead of a
  // claim statement of its own after each. The claimed rows are queued ones, the completed rows
  // claimed ones: the two never touch the same row. Completed rows have no backend.
  const completeAndClaim = `WITH done AS (SELECT * FROM ${s}weft_complete($1, $2, $3, $4, $5, $6)),
      claimed AS (SELECT * FROM ${s}weft_claim($7, $8, $9, $10, $11, $12))
    SELECT o_run_id, o_task_id, o_attempt, NULL, NULL, NULL, o_notified::text FROM done
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
