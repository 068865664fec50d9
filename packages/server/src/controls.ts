import type { ResumeRunRequestSchema } from '@weft/api'
import { isTerminalRunStatus, type Json, type RunSummary, type Runtime, WeftError } from '@weft/core'
import type { z } from 'zod'

/** The run control operations shared by the HTTP routes and the WebSocket. */

export function runNotFound(runId: string): WeftError {
  return new WeftError('run_not_found', `there is no run '${runId}'`, {
    hint: 'list runs with GET /api/v1/runs',
  })
}

export async function getRun(runtime: Runtime, runId: string): Promise<RunSummary> {
  const run = await runtime.get(runId)
  if (!run) throw runNotFound(runId)
  return run
}

/** Cancels a run; a finished run is a `run_finished` conflict (the runtime would answer it as is). */
export async function cancelRun(
  runtime: Runtime,
  runId: string,
  reason: string | undefined,
): Promise<RunSummary> {
  const run = await getRun(runtime, runId)
  if (isTerminalRunStatus(run.status)) {
    throw new WeftError('run_finished', `run ${runId} already ${run.status}`, { hint: 'start a new run' })
  }
  return runtime.cancel(runId, reason ?? 'canceled through the API')
}

export async function pauseRun(runtime: Runtime, runId: string): Promise<RunSummary> {
  await getRun(runtime, runId)
  return runtime.pause(runId)
}

/** `by`: the API key's name, recorded with an approval's answer. */
export async function resumeRun(
  runtime: Runtime,
  runId: string,
  body: z.output<typeof ResumeRunRequestSchema>,
  by?: string,
): Promise<RunSummary> {
  await getRun(runtime, runId)
  return runtime.resume(runId, {
    ...(body.token !== undefined ? { token: body.token } : {}),
    ...(body.input !== undefined ? { input: body.input as Json } : {}),
    ...(body.reject !== undefined ? { reject: body.reject } : {}),
    ...(by !== undefined ? { by } : {}),
    ...(body.budget !== undefined ? { budget: body.budget } : {}),
  })
}
