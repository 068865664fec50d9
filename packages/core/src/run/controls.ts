/**
 * What a person (or another process, through a signal) does to a run: cancel, pause, resume
 * (with an approval's token, or a raised budget), add tasks, and take over a run whose process
 * stopped. Each records its events and commits them at once.
 */
import type { BudgetSpec, Json, TaskSpec, TaskState } from '@weft/spec'
import { WeftError } from '@weft/spec'
import { planTask } from '../runtime/plan.js'
import { answerApproval } from './approvals.js'
import { followAttempt } from './attempt.js'
import { mergeBudgets } from './budget.js'
import type { LiveRun } from './live-run.js'
import { unknownToken, usedToken } from './resume-errors.js'
import { waitingApprovals } from './state.js'
import { enterPause, leavePause, stopRun } from './transitions.js'

export function assertActive(run: LiveRun): void {
  if (run.phase.name === 'compensating') {
    throw new WeftError('run_finished', `run ${run.id} did not succeed and is running its compensations`, {
      hint: 'wait for it to end; cancel it (twice, when it failed) to abort its compensations',
    })
  }
  if (run.phase.name === 'finished' || run.stopping) {
    throw new WeftError('run_finished', `run ${run.id} is ${run.summary.status}`, { hint: 'start a new run' })
  }
}

export function cancel(run: LiveRun, reason: string): Promise<void> {
  if (run.phase.name === 'finished') return run.log.settled()
  stopRun(run, { kind: 'cancel', reason })
  return run.flush()
}

export function pause(run: LiveRun, reason: 'manual' | 'budget'): Promise<void> {
  assertActive(run)
  if (run.summary.status === 'paused') return run.log.settled()
  if (run.summary.status === 'canceling') {
    throw new WeftError('run_finished', `run ${run.id} is being canceled and cannot be paused`)
  }
  enterPause(run, reason)
  for (const a of run.attempts.values()) void a.running?.suspend()
  run.pump()
  return run.flush()
}

export interface ResumeOptions {
  token?: string
  input?: Json
  /** Rejects the approval of `token` with this reason (instead of approving it). */
  reject?: string
  /** Who answered: an API key's name, `cli:<user>`; kept on the approval. */
  by?: string
  /** Who asked (e.g. `signal:12`), so a process that forwarded the request can tell it won. */
  via?: string
  budget?: BudgetSpec
}

export function resume(run: LiveRun, options: ResumeOptions): Promise<void> {
  assertActive(run)
  if (options.reject !== undefined && options.token === undefined) {
    throw new WeftError('resume_token_required', `a rejection answers an approval: pass its token`, {
      hint: 'the run shows its waiting approvals and their tokens',
      next: [{ action: 'show_run', runId: run.id }],
    })
  }
  const waiting = waitingApprovals(run.state.tasks.values())
  if (options.budget) {
    // Raising the budget is part of the resume: it is kept in the run's spec, so it survives recovery.
    run.spec = { ...run.spec, budget: mergeBudgets(run.spec.budget, options.budget) }
    run.log.specChanged()
    run.record({
      type: 'log',
      severity: 'info',
      data: { message: 'budget changed', fields: { budget: run.ledger.budget() as Json } },
    })
    if (options.token === undefined && run.summary.status !== 'paused') {
      run.pump()
      return run.flush()
    }
  }
  if (options.token !== undefined) approve(run, options.token, options, waiting)
  else {
    if (run.summary.status !== 'paused') {
      throw new WeftError('run_not_paused', `run ${run.id} is ${run.summary.status}, not paused`)
    }
    if (run.summary.pause?.reason === 'approval') {
      throw new WeftError(
        'resume_token_required',
        `run ${run.id} waits for an approval; resume it with its token`,
        {
          hint: 'answer one of its waiting approvals with its token',
          next: waiting.map((w) => ({
            action: 'resume' as const,
            runId: run.id,
            token: w.token,
            taskId: w.taskId,
            message: w.message,
          })),
        },
      )
    }
    leavePause(run, { reason: run.summary.pause?.reason ?? 'manual' })
    for (const a of run.attempts.values()) void a.running?.resume()
  }
  run.pump()
  return run.flush()
}

function approve(
  run: LiveRun,
  token: string,
  options: ResumeOptions,
  waiting: ReturnType<typeof waitingApprovals>,
) {
  let task: TaskState | undefined
  for (const t of run.state.tasks.values()) if (t.approval?.token === token) task = t
  if (!task) throw unknownToken(run.id, token, waiting)
  if (task.approval!.status !== 'waiting') throw usedToken(task)
  const who = { ...(options.via ? { via: options.via } : {}), ...(options.by ? { by: options.by } : {}) }
  answerApproval(
    run,
    task,
    options.reject !== undefined
      ? { decision: 'reject', reason: options.reject, ...who }
      : { decision: 'approve', ...(options.input !== undefined ? { input: options.input } : {}), ...who },
  )
}

export function addTasks(run: LiveRun, specs: Record<string, TaskSpec>): Promise<void> {
  assertActive(run)
  const workflow = { ...run.spec.workflow, tasks: { ...run.spec.workflow.tasks, ...specs } }
  run.spec = { ...run.spec, workflow }
  run.log.specChanged()
  let order = run.state.tasks.size
  for (const [id, spec] of Object.entries(specs)) {
    const planned = planTask(id, spec, order++, run.spec, run.deps.agents)
    run.plan.tasks.set(id, planned)
    run.record({
      type: 'task.added',
      taskId: id,
      data: {
        needs: planned.needs,
        priority: planned.priority,
        dynamic: true,
        ...(planned.backend ? { backend: planned.backend } : {}),
      },
    })
  }
  run.graph.rebuild()
  run.pump()
  return run.flush()
}

/**
 * Takes over a run loaded from the store whose process stopped (or that was paused and
 * released). Attempts recorded as running were lost with their process: each goes back to the
 * queue and runs again as a new attempt, keeping its session id for backends that can resume.
 * Succeeded tasks are kept: their recorded outputs feed their dependents.
 */
export function adopt(
  run: LiveRun,
  owner: string,
  previousOwner: string | undefined,
  begin: () => Promise<void>,
  inFlight?: ReadonlyMap<string, number>,
): Promise<{ interrupted: string[]; kept: string[] }> {
  const interrupted: string[] = []
  let followed = 0
  for (const t of run.state.tasks.values()) {
    // A mapped task runs as its items, not as an attempt: it stays running.
    if (t.status !== 'running' || run.attempts.has(t) || t.map) continue
    // Still executed by a live worker (a shared queue): followed here, not run again.
    if (inFlight?.get(t.taskId) === t.attempt && run.acting && followAttempt(run, t)) {
      followed++
      continue
    }
    interrupted.push(t.taskId)
    run.record({
      type: 'task.interrupted',
      taskId: t.taskId,
      attempt: t.attempt || undefined,
      severity: 'warn',
      data: {
        reason: `attempt ${t.attempt} was lost when its process stopped${previousOwner ? ` (${previousOwner})` : ''}`,
        ...(t.sessionId ? { sessionId: t.sessionId } : {}),
      },
    })
  }
  const kept: string[] = []
  for (const t of run.state.tasks.values()) if (t.status === 'succeeded') kept.push(t.taskId)
  const settledPause = run.summary.status === 'paused' && interrupted.length === 0 && followed === 0
  if (!settledPause && run.phase.name !== 'finished') {
    run.record({
      type: 'run.recovered',
      severity: 'warn',
      data: {
        owner,
        interrupted,
        kept,
        ...(previousOwner ? { previousOwner } : {}),
        // For trace sinks of the new owner: which trace the run's spans continue.
        name: run.spec.workflow.name,
        ...(run.spec.trace ? { trace: run.spec.trace } : {}),
      },
    })
  }
  if (run.summary.status === 'canceling' && run.acting && run.phase.name !== 'compensating')
    run.phase = { name: 'stopping', stop: { kind: 'cancel', reason: 'canceled before its process stopped' } }
  const begun = run.summary.status === 'pending' ? begin() : undefined
  run.pump()
  return (begun ?? run.flush()).then(() => ({ interrupted, kept }))
}
