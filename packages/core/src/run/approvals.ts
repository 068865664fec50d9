/**
 * Answers to approval gates: approve (the input becomes the gate's output), reject (the gate fails,
 * or its `onReject` tasks run instead of its other dependents), and the gate's timeout, which
 * applies its `onTimeout` policy. A person, a signal from another process and the timer all go
 * through `answerApproval`, so they record the same events.
 */
import type { ApprovalSpec, Json, TaskState } from '@weft/spec'
import type { LiveRun } from './live-run.js'
import { failTask, finishWithout, leavePause } from './transitions.js'

export type ApprovalAnswer =
  | { decision: 'approve'; input?: Json; by?: string; via?: string; timedOut?: boolean }
  | { decision: 'reject'; reason: string; by?: string; via?: string; timedOut?: boolean }

export function answerApproval(run: LiveRun, task: TaskState, answer: ApprovalAnswer): void {
  const taskId = task.taskId
  const token = task.approval!.token
  run.timers.forgetApproval(taskId)
  const onReject = run.plan.tasks.get(taskId)?.approval?.onReject ?? []
  const durationMs = run.clock.now() - Date.parse(task.startedAt ?? run.clock.iso())
  const who = {
    ...(answer.via ? { via: answer.via } : {}),
    ...(answer.by ? { by: answer.by } : {}),
    ...(answer.timedOut ? { timedOut: true } : {}),
  }
  if (answer.decision === 'approve') {
    run.record({
      type: 'task.approved',
      taskId,
      data: { token, ...(answer.input !== undefined ? { input: answer.input } : {}), ...who },
    })
    run.record({
      type: 'task.succeeded',
      taskId,
      data: { output: answer.input ?? { approved: true }, durationMs },
    })
    for (const id of onReject) skipPending(run, id, `approval '${taskId}' was approved`)
  } else {
    run.record({
      type: 'task.rejected',
      taskId,
      severity: 'warn',
      data: { token, reason: answer.reason, ...who },
    })
    const by = answer.by ? ` by ${answer.by}` : ''
    if (onReject.length === 0) {
      failTask(
        run,
        taskId,
        {
          code: 'rejected',
          message: `approval '${taskId}' was rejected${by}: ${answer.reason}`,
          retryable: false,
        },
        durationMs,
      )
    } else {
      // The gate took its reject path: it succeeded with the answer, and only `onReject` goes on.
      const output = { approved: false, reason: answer.reason, ...(answer.by ? { by: answer.by } : {}) }
      run.record({ type: 'task.succeeded', taskId, data: { output, durationMs } })
      const reason = `approval '${taskId}' was rejected${by}: ${answer.reason}`
      for (const p of run.plan.tasks.values())
        if (p.needs.includes(taskId) && !onReject.includes(p.id)) skipPending(run, p.id, reason)
    }
  }
  if (run.summary.status === 'paused' && run.summary.pause?.reason === 'approval') {
    leavePause(run, { reason: 'approval', token, taskId })
  }
}

function skipPending(run: LiveRun, taskId: string, reason: string): void {
  if (run.state.tasks.get(taskId)?.status === 'pending') finishWithout(run, taskId, 'skipped', reason)
}

/** Starts the gate's timeout (again, after a restart: from when it was requested). */
export function armApprovalTimeout(run: LiveRun, task: TaskState, approval: ApprovalSpec | undefined): void {
  if (approval?.timeoutMs === undefined || task.approval?.status !== 'waiting') return
  const due = Date.parse(task.approval.requestedAt) + approval.timeoutMs
  const policy = approval.onTimeout ?? 'fail'
  run.timers.scheduleApproval(task.taskId, due, () => {
    const t = run.state.tasks.get(task.taskId)
    if (t?.approval?.status !== 'waiting' || t.approval.token !== task.approval!.token || !run.acting) return
    const after = `nobody answered within ${approval.timeoutMs} ms`
    run.grouped(() => {
      if (policy === 'approve') answerApproval(run, t, { decision: 'approve', by: 'timeout', timedOut: true })
      else if (policy === 'reject')
        answerApproval(run, t, { decision: 'reject', reason: after, by: 'timeout', timedOut: true })
      else {
        run.timers.forgetApproval(t.taskId)
        failTask(run, t.taskId, {
          code: 'timeout',
          message: `approval '${t.taskId}' timed out: ${after}`,
          retryable: false,
        })
        if (run.summary.status === 'paused' && run.summary.pause?.reason === 'approval')
          leavePause(run, { reason: 'approval', taskId: t.taskId })
      }
      run.pump()
    })
    void run.flush()
  })
}
