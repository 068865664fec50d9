/**
 * What a worker did and holds, as a record of it reports it: the part of a `workers` row that a
 * worker record (workers-table.ts) and an agent record (agents-store.ts) read alike.
 */

/** The attempts workers hold now (claimed rows), each with its worker's name, oldest claim first. */
export const heldAttemptsQuery = (s: string) =>
  `SELECT worker, run_id, task_id, attempt FROM ${s}task_queue WHERE status = 'claimed' ORDER BY claimed_at`

export type HeldAttemptRow = [worker: string, runId: string, taskId: string, attempt: number]

/** The last columns of a `workers` read, in this order: its counts and times (epoch ms). */
export type ActivityColumns = [
  completed: number,
  failed: number,
  rejected: number,
  startedAt: number,
  heartbeatAt: number,
  expiresAt: number,
]

/** A worker's counts, times (ISO) and the attempts it holds, of `held` (`heldAttemptsQuery`'s rows). */
export function workerActivity(name: string, columns: ActivityColumns, held: HeldAttemptRow[]) {
  const [completed, failed, rejected, startedAt, heartbeatAt, expiresAt] = columns
  return {
    completed,
    failed,
    rejected,
    startedAt: iso(startedAt),
    heartbeatAt: iso(heartbeatAt),
    expiresAt: iso(expiresAt),
    current: held
      .filter((h) => h[0] === name)
      .map(([, runId, taskId, attempt]) => ({ runId, taskId, attempt })),
  }
}

const iso = (ms: number) => new Date(ms).toISOString()
