/**
 * Canceling one task of a run, wherever the run runs: here when this process runs it (or can take
 * it over), else as a `cancel_task` signal to the process that holds it, then waiting (a while)
 * until that process recorded the task's end.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { TaskState } from '@weft/spec'
import { isTerminalRunStatus, isTerminalTaskStatus, requireCapability, WeftError } from '@weft/spec'
import { RunExecution } from '../runtime/run-execution.js'
import { type Host, notFound } from './context.js'
import { executionFor } from './takeover.js'

/** What `cancelTask` did. */
export interface TaskCancelResult {
  /**
   * `canceled`: the task ended canceled by this request; `ended`: it had already ended (see its
   * status); `requested`: another process runs the run and has not recorded the end yet.
   */
  outcome: 'canceled' | 'ended' | 'requested'
  task: TaskState
}

const REMOTE_WAIT_MS = 10_000

export async function cancelTask(
  host: Host,
  runId: string,
  taskId: string,
  reason: string,
): Promise<TaskCancelResult> {
  await host.guard()
  const stored = async (): Promise<TaskState> => {
    const t = host.registry.get(runId)?.tasks.get(taskId) ?? (await host.store.tasks.get(runId, taskId))
    if (t) return structuredClone(t)
    if (!(await host.store.runs.get(runId))) throw notFound(runId)
    throw taskNotFound(runId, taskId)
  }
  const before = await stored()
  if (isTerminalTaskStatus(before.status)) return { outcome: 'ended', task: before }
  const summary = host.registry.get(runId)?.summary ?? (await host.store.runs.get(runId))
  if (summary && isTerminalRunStatus(summary.status)) return { outcome: 'ended', task: before }

  for (let attempt = 0; ; attempt++) {
    const exec = await executionFor(host, runId)
    if (exec instanceof RunExecution) {
      try {
        const out = await exec.cancelTask(taskId, reason)
        if (!out.canceled) return { outcome: 'ended', task: await stored() }
        // A running attempt ends once its backend stopped (at most the cancel grace).
        const deadline = Date.now() + (host.options.cancelGraceMs ?? 5000) + 1000
        while (!isTerminalTaskStatus(exec.tasks.get(taskId)!.status) && Date.now() < deadline) await sleep(10)
        await exec.flushed()
        return { outcome: 'canceled', task: await stored() }
      } catch (err) {
        if (!(err instanceof WeftError && err.code === 'conflict') || attempt > 0) throw err
        host.registry.remove(runId)
        continue
      }
    }
    const signals = requireCapability(
      host.store,
      'signals',
      `canceling task ${taskId} of run ${runId}, which runs in another process (${exec.remote.owner}),`,
    )
    await signals.send({ runId, kind: 'cancel_task', data: { taskId, reason } })
    const deadline = Date.now() + REMOTE_WAIT_MS
    for (;;) {
      const t = await stored()
      if (isTerminalTaskStatus(t.status))
        return { outcome: t.status === 'canceled' ? 'canceled' : 'ended', task: t }
      if (Date.now() > deadline) return { outcome: 'requested', task: t }
      await sleep(100)
    }
  }
}

export function taskNotFound(runId: string, taskId: string): WeftError {
  return new WeftError('task_not_found', `run ${runId} has no task '${taskId}'`, {
    hint: 'the run shows its tasks',
    next: [{ action: 'show_run', runId }],
  })
}
