import { setTimeout as sleep } from 'node:timers/promises'
import type { RunSummary } from '@weft/core'
import type { RunService } from '../service.js'

/**
 * Polls a run until `done` holds or the time is up. A run that another process runs gets the
 * request as a signal through the store; that process applies it within its poll interval.
 */
export async function awaitRunState(
  runtime: Pick<RunService, 'get'>,
  runId: string,
  done: (run: RunSummary) => boolean,
  timeoutMs = 10_000,
): Promise<{ run: RunSummary; reached: boolean }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const run = (await runtime.get(runId))!
    if (done(run)) return { run, reached: true }
    if (Date.now() >= deadline) return { run, reached: false }
    await sleep(200)
  }
}
