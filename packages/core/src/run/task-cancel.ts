/**
 * Canceling one task (`weft tasks cancel RUN TASK`), not its run: the task ends `canceled`, its
 * dependents are skipped by the scheduler (a need that was canceled), and independent tasks go on.
 * It goes through the same events as a run's cancel (`task.canceled`), so the reducer, replay and
 * recovery need nothing new.
 */
import { isTerminalTaskStatus, type TaskState, type TaskStatus, WeftError } from '@weft/spec'
import { abortAttempt } from './attempt.js'
import { assertActive } from './controls.js'
import type { LiveRun } from './live-run.js'
import { waitingApprovals } from './state.js'
import { finishWithout, leavePause } from './transitions.js'

export interface TaskCancelOutcome {
  /** False when the task had already ended (its status is then the one it ended with). */
  canceled: boolean
  /** The task's status when the request came. */
  was: TaskStatus
}

export function cancelTask(run: LiveRun, taskId: string, reason: string): TaskCancelOutcome {
  const t = run.state.tasks.get(taskId)
  if (!t) {
    throw new WeftError('task_not_found', `run ${run.id} has no task '${taskId}'`, {
      hint: 'the run shows its tasks',
      next: [{ action: 'show_run', runId: run.id }],
    })
  }
  if (isTerminalTaskStatus(t.status)) return { canceled: false, was: t.status }
  assertActive(run)
  run.grouped(() => {
    // A mapped task's items go with it.
    for (const item of run.state.tasks.values())
      if (item.parent === taskId && !isTerminalTaskStatus(item.status)) end(run, item, reason)
    end(run, t, reason)
    // The approval the run was paused for is gone: nothing else waiting means it can go on.
    if (
      run.summary.status === 'paused' &&
      run.summary.pause?.reason === 'approval' &&
      waitingApprovals(run.state.tasks.values()).length === 0
    )
      leavePause(run, { reason: 'approval', taskId })
    run.pump()
  })
  return { canceled: true, was: t.status }
}

function end(run: LiveRun, task: TaskState, reason: string): void {
  const taskId = task.taskId
  const a = run.attempts.get(task)
  if (a && a.stage === 'running') {
    // The backend is stopped; the attempt then ends as canceled (its abort reason says so).
    abortAttempt(run, a, { kind: 'cancel', message: reason })
    return
  }
  run.timers.forget(taskId)
  run.timers.forgetApproval(taskId)
  const t = run.state.tasks.get(taskId)
  if (t && !isTerminalTaskStatus(t.status)) finishWithout(run, taskId, 'canceled', reason)
  // Being prepared: it will not start (preparation sees the task ended).
  if (a) abortAttempt(run, a, { kind: 'cancel', message: reason })
}
