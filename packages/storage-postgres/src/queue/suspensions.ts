import type { Active, WorkerLogger } from './worker-types.js'

/**
 * Suspends a worker's attempts whose runs were paused and lets those of resumed runs go on,
 * through the backend's own pause (SIGSTOP for CLI backends; a backend without one runs on).
 * `flags` maps lease tokens to the owner's wish (`task_queue.suspended`). Leases are still
 * renewed meanwhile: a suspended attempt stays the worker's.
 */
export function applySuspensions(
  active: ReadonlyMap<string, Active>,
  flags: ReadonlyMap<string, boolean>,
  logger: WorkerLogger,
): void {
  for (const [token, on] of flags) {
    const a = active.get(token)
    if (!a?.running || a.lost || Boolean(a.suspended) === on) continue
    a.suspended = on
    const what = `attempt ${a.claim.attempt} of ${a.claim.runId}/${a.claim.taskId}`
    logger.log(`${on ? 'suspended' : 'resumed'} ${what}: its run was ${on ? 'paused' : 'resumed'}`)
    void (on ? a.running.suspend() : a.running.resume()).catch((err: Error) =>
      logger.warn(`could not ${on ? 'suspend' : 'resume'} ${what}: ${err.message}`),
    )
  }
}
