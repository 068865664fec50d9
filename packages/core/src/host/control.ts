/**
 * Cancel, pause and resume of any run, wherever it runs: applied here when this process runs it
 * (or can take it over: its holder is dead or its lease expired), sent as a signal to the holder
 * when another live process runs it.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Json, RunLease, RunSummary } from '@weft/spec'
import { requireCapability, WeftError } from '@weft/spec'
import { unknownToken, usedToken } from '../run/resume-errors.js'
import { waitingApprovals } from '../run/state.js'
import { RunExecution } from '../runtime/run-execution.js'
import { type Host, notFound } from './context.js'
import { executionFor } from './takeover.js'

export type ControlKind = 'cancel' | 'pause' | 'resume'

/**
 * Applies an operation to a run. A run that another live process is running gets a signal
 * instead; a commit conflict (another process acted first) reloads the run and tries once more.
 */
export async function control(
  host: Host,
  runId: string,
  kind: ControlKind,
  op: (exec: RunExecution) => Promise<void>,
  data?: Json,
  precheck?: () => Promise<void>,
): Promise<RunSummary> {
  await host.guard()
  for (let attempt = 0; ; attempt++) {
    // Checks against the stored state when this process does not hold the run (or lost a race).
    if (precheck && !host.registry.has(runId)) await precheck()
    const exec = await executionFor(
      host,
      runId,
      kind === 'cancel' ? { cancel: typeof data === 'string' ? data : 'canceled' } : {},
    )
    if (!(exec instanceof RunExecution)) {
      // A run in another process is reached through the store's signals.
      const signals = requireCapability(
        host.store,
        'signals',
        `${kind} of run ${runId}, which runs in another process (${exec.remote.owner}),`,
      )
      const signal = await signals.send({ runId, kind, ...(data !== undefined ? { data } : {}) })
      if (kind === 'resume' && (data as { token?: string } | undefined)?.token) {
        await awaitApproval(host, runId, (data as { token: string }).token, signal.id, exec.remote)
      }
      return (await host.store.runs.get(runId))!
    }
    try {
      await op(exec)
      return structuredClone(exec.summary)
    } catch (err) {
      if (!(err instanceof WeftError && err.code === 'conflict') || attempt > 0) throw err
      host.registry.remove(runId)
    }
  }
}

/**
 * An approval forwarded to the process that owns the run: wait until that process answered it,
 * and tell whether it was this request (`via`) or another one that used the token.
 */
async function awaitApproval(host: Host, runId: string, token: string, signalId: number, lease: RunLease) {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const task = (await host.store.tasks.list(runId)).find((t) => t.approval?.token === token)
    if (task && task.approval?.status !== 'waiting') {
      const answers = await host.store.events.query({
        runId,
        types: ['task.approved', 'task.rejected'],
        taskId: task.taskId,
      })
      if (
        answers.some(
          (e) =>
            (e.type === 'task.approved' || e.type === 'task.rejected') && e.data.via === `signal:${signalId}`,
        )
      )
        return
      throw usedToken(task)
    }
    await sleep(100)
  }
  throw new WeftError(
    'conflict',
    `run ${runId} is owned by ${lease.owner}, which has not answered the approval yet`,
    {
      hint: 'the request is queued for that process; check the run later',
      next: [{ action: 'show_run', runId }],
    },
  )
}

/** An approval token must name a waiting approval of the run. */
export async function checkToken(host: Host, runId: string, token: string): Promise<void> {
  const tasks = await host.store.tasks.list(runId)
  const task = tasks.find((t) => t.approval?.token === token)
  if (!task) {
    if (tasks.length === 0 && !(await host.store.runs.get(runId))) throw notFound(runId)
    throw unknownToken(runId, token, waitingApprovals(tasks))
  }
  if (task.approval!.status !== 'waiting') throw usedToken(task)
}
