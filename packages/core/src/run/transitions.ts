/**
 * The run's transitions: each decides the events of one change (a task fails, the run pauses,
 * stops, finishes) and records them; the reducer applies them to the state.
 */
import type { ErrorInfo, JsonObject, TaskState } from '@weft/spec'
import { newResumeToken } from '../runtime/ids.js'
import { renderTemplate } from '../template/template.js'
import { armApprovalTimeout } from './approvals.js'
import { abortAttempt } from './attempt.js'
import { cancelCompensation, compensating, type RunEnd, recordedEnd } from './compensation.js'
import type { LiveRun } from './live-run.js'
import type { Stopping } from './phase.js'
import { waitingApprovals } from './state.js'

export function finishWithout(
  run: LiveRun,
  taskId: string,
  status: 'skipped' | 'canceled',
  reason: string,
): void {
  run.record(
    status === 'skipped'
      ? { type: 'task.skipped', taskId, data: { reason } }
      : { type: 'task.canceled', taskId, data: { reason } },
  )
}

export function failTask(run: LiveRun, taskId: string, error: ErrorInfo, durationMs?: number): void {
  const attempts = run.task(taskId).attempt
  run.record({
    type: 'task.failed',
    taskId,
    attempt: attempts || undefined,
    data: { error, attempts, ...(durationMs !== undefined ? { durationMs } : {}) },
  })
  if (run.plan.failFast && !run.stopping) {
    stopRun(run, {
      kind: 'fail_fast',
      reason: `task '${taskId}' failed (failFast)`,
      error: { code: 'task_failed', message: `task '${taskId}' failed: ${error.message}` },
    })
  }
}

export function openApproval(run: LiveRun, t: TaskState): void {
  const approval = run.plan.tasks.get(t.taskId)!.approval!
  // The message is a template (`Publish ${{ tasks.draft.output.title }}?`); validation checked it.
  let message = approval.message
  try {
    const rendered = renderTemplate(message, run.scope())
    message = typeof rendered === 'string' ? rendered : JSON.stringify(rendered)
  } catch {}
  const opened = run.record({
    type: 'task.waiting',
    taskId: t.taskId,
    data: { token: newResumeToken(), message },
  })
  if (opened) armApprovalTimeout(run, opened, approval)
}

export function enterPause(run: LiveRun, reason: 'manual' | 'approval' | 'budget', message?: string): void {
  run.record({
    type: 'run.paused',
    data: {
      reason,
      since: run.clock.iso(),
      waiting: waitingApprovals(run.state.tasks.values()),
      ...(message ? { message } : {}),
    },
  })
}

export function leavePause(run: LiveRun, data: { reason: string; token?: string; taskId?: string }): void {
  run.record({ type: 'run.resumed', data })
}

/** Cancel, fail fast, time out: unstarted tasks are canceled and running attempts aborted. */
export function stopRun(run: LiveRun, stopping: Stopping): void {
  if (run.phase.name === 'compensating') {
    cancelCompensation(run, stopping.reason)
    return
  }
  if (run.stopping || run.phase.name === 'finished' || !run.acting) return
  run.phase = { name: 'stopping', stop: stopping }
  run.record({ type: 'run.canceling', data: { reason: stopping.reason } })
  run.timers.clearRun()
  const kind =
    stopping.kind === 'cancel' ? 'cancel' : stopping.kind === 'run_timeout' ? 'run_timeout' : 'fail_fast'
  // Attempts being prepared are aborted too: a compaction call stops with them.
  for (const a of run.attempts.values()) abortAttempt(run, a, { kind, message: stopping.reason })
  run.pump()
}

/**
 * Cancels every task that has not started (or, given `only`, those of `only`): a stopping run
 * passes over the tasks changed since its last pass, not over all of them after every attempt
 * that ends (10,000 tasks in flight made a cancel quadratic).
 */
export function cancelUnstarted(run: LiveRun, reason: string, only?: Iterable<string>): void {
  for (const id of only ?? run.state.tasks.keys()) {
    const t = run.state.tasks.get(id)
    if (
      t !== undefined &&
      (t.status === 'pending' ||
        t.status === 'queued' ||
        t.status === 'retrying' ||
        t.status === 'waiting' ||
        // A mapped task running as its items (it has no attempt of its own to abort).
        (t.status === 'running' && t.map !== undefined && !run.attempts.has(t)))
    ) {
      run.timers.forget(t.taskId)
      finishWithout(run, t.taskId, 'canceled', reason)
    }
  }
}

/**
 * Records the run's end: canceled, failed (a task failed, or it stopped) or succeeded; after the
 * compensations of its succeeded tasks when it did not succeed (compensation.ts).
 */
export function finalize(run: LiveRun): void {
  if (run.phase.name === 'finished') return
  const end = runEnd(run)
  if (compensating(run, end)) return
  run.phase = { name: 'finished' }
  run.timers.clear()
  const s = run.summary
  const durationMs = run.clock.now() - Date.parse(s.startedAt ?? s.createdAt)
  const usage = s.usage
  if (end.outcome === 'canceled') {
    run.record({ type: 'run.canceled', data: { reason: end.reason ?? 'canceled', usage, durationMs } })
  } else if (end.outcome === 'failed') {
    const error = end.error ?? { code: 'failed', message: 'the run failed' }
    run.record({ type: 'run.failed', data: { error, usage, durationMs } })
  } else {
    run.record({ type: 'run.succeeded', data: { outputs: outputsOf(run), usage, durationMs } })
  }
  void run.flush().then(() => run.deps.onFinished(run.facade))
}

/** How the run ends: as its compensation recorded it once that began, else from its stop and its tasks. */
function runEnd(run: LiveRun): RunEnd {
  const phase = run.phase
  if (phase.name === 'compensating') return phase.drive.end
  if (run.summary.compensation) return recordedEnd(run.summary.compensation)
  const stopping = run.stopping
  if (stopping?.kind === 'cancel') return { outcome: 'canceled', reason: stopping.reason }
  const failed: TaskState[] = []
  for (const t of run.state.tasks.values()) if (t.status === 'failed') failed.push(t)
  if (!stopping && failed.length === 0) return { outcome: 'succeeded' }
  const error = stopping?.error ?? {
    code: 'task_failed',
    message:
      failed.length === 1
        ? `task '${failed[0]!.taskId}' failed: ${failed[0]!.error?.message ?? 'unknown error'}`
        : `${failed.length} tasks failed: ${failed.map((t) => t.taskId).join(', ')}`,
  }
  return { outcome: 'failed', error }
}

/** The run's outputs: its declared `outputs:`, else the output of every task nothing needs. */
function outputsOf(run: LiveRun): JsonObject {
  const outputs: JsonObject = {}
  const declared = run.spec.workflow.outputs
  if (declared) {
    const scope = run.scope()
    for (const [name, template] of Object.entries(declared)) {
      try {
        outputs[name] = renderTemplate(template, scope)
      } catch (err) {
        run.record({
          type: 'diagnostic',
          severity: 'warn',
          data: {
            level: 'warning',
            code: 'output_template',
            message: `output '${name}': ${(err as Error).message}`,
            path: `outputs.${name}`,
          },
        })
      }
    }
    return outputs
  }
  const leaves: [string, unknown][] = []
  for (const t of run.state.tasks.values()) {
    // Map items are in their mapped task's output already.
    if (t.status === 'succeeded' && t.parent === undefined && !run.graph.isNeeded(t))
      leaves.push([t.taskId, t.output ?? null])
  }
  // Built at once: adding thousands of keys one by one is slow.
  return Object.fromEntries(leaves) as JsonObject
}
