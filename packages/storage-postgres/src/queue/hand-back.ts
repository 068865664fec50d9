/**
 * A worker giving attempts back to the queue (it stops, or an operator paused it): each is marked
 * lost, fenced by its lease token, and its run's owner queues the task again as a new attempt.
 */
import type { ClaimedAttempt, QueueQueries } from './queries.js'
import { persist } from './retry.js'
import type { Active, WorkerLogger } from './worker-types.js'

export type HandBackReason = 'stopped' | 'paused'

/** Stops the running attempts and gives them back. */
export async function handBackRunning(
  active: ReadonlyMap<string, Active>,
  queue: QueueQueries,
  worker: string,
  why: HandBackReason,
  logger: WorkerLogger,
): Promise<void> {
  for (const a of [...active.values()]) {
    if (a.settledInQueue) continue
    a.settledInQueue = true
    a.lost ??= `the worker ${why}`
    a.abort.abort({ kind: 'shutdown', message: `worker ${worker} ${why}` })
    const given = await persist(() => queue.handBack(a.claim, `worker ${worker} ${why}`), 5).catch(
      () => false,
    )
    if (given) logger.log(`handed back attempt ${a.claim.attempt} of ${a.claim.runId}/${a.claim.taskId}`)
  }
}

/** Gives back attempts claimed but not started (claimed with results, and paused or stopping meanwhile). */
export function handBackClaimed(
  claimed: ClaimedAttempt[],
  queue: QueueQueries,
  worker: string,
  why: HandBackReason,
): void {
  for (const c of claimed) void persist(() => queue.handBack(c, `worker ${worker} ${why}`), 5).catch(() => {})
}
