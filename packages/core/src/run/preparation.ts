/**
 * From ready to started: a ready task takes a slot and a new attempt, is prepared (context,
 * templates, options, estimate: prepare.ts), passes the budget check, and starts. Preparation runs
 * under the attempt's own signal, so cancel, the run's timeout and the task's timeout stop a
 * compaction call too.
 */
import type { Json, JsonObject, TaskState } from '@weft/spec'
import { BackendError } from '@weft/spec'
import { toErrorInfo } from '../runtime/errors.js'
import { type PlannedTask, SUBWORKFLOW_BACKEND } from '../runtime/plan.js'
import type { Scope } from '../template/expression.js'
import { type Attempt, newAttempt, startAttempt } from './attempt.js'
import { onPrepared } from './batches.js'
import type { Estimate } from './budget.js'
import type { LiveRun } from './live-run.js'
import { needsContext, type PreparedTask, prepareTask, prepareTaskNow } from './prepare.js'
import { enterPause, failTask, stopRun } from './transitions.js'

/** Starts preparing `t` if this run and the runtime have a slot for it. */
export function tryDispatch(run: LiveRun, t: TaskState): boolean {
  if (run.attempts.size >= run.plan.maxParallelism) return false
  // A subworkflow task waits for its own run, whose tasks take the slots: holding one too could
  // leave none for them.
  const planned = run.planned(t)!
  const holdsSlot = planned.backend !== SUBWORKFLOW_BACKEND
  if (holdsSlot && !run.deps.slots.tryAcquire()) return false
  const attempt = newAttempt(run, t, planned)
  attempt.holdsSlot = holdsSlot
  run.attempts.set(attempt)
  void prepare(run, attempt, planned)
  return true
}

function prepare(run: LiveRun, a: Attempt, planned: PlannedTask): void {
  // Most tasks await nothing before they start (no agent memory to load, no context to build):
  // they are prepared at once, without a promise. Batched mode still reports to its batch later,
  // once every member has joined it.
  if (!planned.agent && !run.batch && !needsContext({ planned, context: run.deps.context })) {
    let prepared: PreparedTask | undefined
    let failure: unknown
    try {
      prepared = prepareTaskNow(prepareInput(run, a, planned, undefined, false))
    } catch (err) {
      failure = err
    }
    // Grouped (see CommitLog) without a closure: this runs once per attempt.
    run.log.openGroup()
    try {
      afterPrepare(run, a, planned, prepared, failure)
    } finally {
      run.log.closeGroup()
    }
    return
  }
  void prepareLater(run, a, planned)
}

async function prepareLater(run: LiveRun, a: Attempt, planned: PlannedTask): Promise<void> {
  let prepared: PreparedTask | undefined
  let failure: unknown
  try {
    const agent = planned.agent ? await run.memory.agent(planned.agent) : undefined
    prepared = await prepareTask(prepareInput(run, a, planned, agent, true))
  } catch (err) {
    failure = err
  }
  onPrepared(run, a.taskId, () => run.grouped(() => afterPrepare(run, a, planned, prepared, failure)))
}

/** A map item's templates also read `item` and `index`. */
function itemScope(scope: Scope, planned: PlannedTask): Scope {
  const m = planned.mapItem
  return m ? { ...scope, item: m.item, index: m.index } : scope
}

/** Only a context build summarizes; a task prepared at once never calls it (no closure for it). */
const NO_SUMMARY = (): Promise<string> => Promise.reject(new Error('no context is built for this task'))

function prepareInput(
  run: LiveRun,
  a: Attempt,
  planned: PlannedTask,
  agent: JsonObject | undefined,
  mayBuildContext: boolean,
) {
  const memory = agent ? { run: run.memory.run, agent } : { run: run.memory.run }
  return {
    runId: run.id,
    attempt: a.number,
    task: run.taskAt(a.order),
    planned,
    backends: run.deps.backends,
    cost: run.deps.cost,
    context: run.deps.context,
    tasks: run.state.tasks,
    graph: run.graph,
    inputs: run.spec.inputs as JsonObject,
    scope: itemScope(run.taskScope(agent), planned),
    memory,
    summarize: mayBuildContext
      ? (text: string, maxTokens: number) => summarize(run, a, planned, text, maxTokens)
      : NO_SUMMARY,
  }
}

/** Starts the prepared attempt, unless the run, the task or the budget says otherwise meanwhile. */
function afterPrepare(
  run: LiveRun,
  a: Attempt,
  planned: PlannedTask,
  prepared: PreparedTask | undefined,
  failure: unknown,
): void {
  if (!run.acting) {
    notStarted(run, a)
    return
  }
  const t = run.taskAt(a.order)
  if (t.status !== 'queued' && t.status !== 'retrying') {
    // Canceled while it was being prepared.
    notStarted(run, a)
    run.pump()
    return
  }
  const abort = a.controller.reason
  if (!prepared || abort) {
    notStarted(run, a)
    // Timed out before it started: no attempt ran, so there is none to retry.
    if (abort?.kind === 'timeout') failTask(run, a.taskId, { code: 'timeout', message: abort.message })
    else if (!abort) failTask(run, a.taskId, toErrorInfo(failure))
    // Stopped or shut down while preparing: the task stays queued (a stop cancels it).
    run.pump()
    return
  }
  if (prepared.context) recordContext(run, t.taskId, prepared.context)
  // Stopped, paused or draining meanwhile: the task stays queued for later.
  if (run.phase.name !== 'active' || run.state.status !== 'running') {
    notStarted(run, a)
    run.pump()
    return
  }
  if (prepared.estimate) {
    const breach = run.ledger.check(t.taskId, prepared.estimate)
    if (breach) {
      notStarted(run, a)
      onBudgetBreach(run, t.taskId, breach, prepared.estimate)
      run.pump()
      return
    }
  }
  startAttempt(run, a, prepared, planned)
  run.pump()
}

/** Not started after all (paused, stopped, over budget…): it is a candidate again. */
function notStarted(run: LiveRun, a: Attempt): void {
  endPreparation(run, a)
  run.releaseSlot(a)
}

function endPreparation(run: LiveRun, a: Attempt): void {
  for (const timer of a.timers) run.clock.clearTimeout(timer)
  a.stage = 'settled'
  run.attempts.delete(a)
  run.graph.offer(a.taskId)
}

function onBudgetBreach(
  run: LiveRun,
  taskId: string,
  breach: Parameters<LiveRun['ledger']['breach']>[1],
  estimate: Estimate,
): void {
  const { policy, message, error } = run.ledger.breach(taskId, breach, estimate)
  if (policy === 'pause') {
    enterPause(run, 'budget', message)
    return
  }
  failTask(run, taskId, error)
  if (policy === 'fail_run')
    stopRun(run, { kind: 'fail_fast', reason: message, error: { code: 'budget_exceeded', message } })
}

function recordContext(run: LiveRun, taskId: string, c: NonNullable<PreparedTask['context']>): void {
  run.record({
    type: 'context.built',
    taskId,
    data: {
      tokens: c.context.tokens,
      cap: c.cap,
      sources: c.context.sources as unknown as Json,
      ...(c.skipped?.length ? { skipped: c.skipped } : {}),
    },
  })
  if (c.compaction) run.record({ type: 'context.compacted', taskId, data: { ...c.compaction } })
}

/**
 * A backend call that condenses an over-long source, made while the task is prepared; counted in
 * usage and cost like any call. It runs under the attempt's signal: cancel and timeouts stop it.
 */
async function summarize(
  run: LiveRun,
  a: Attempt,
  planned: PlannedTask,
  text: string,
  maxTokens: number,
): Promise<string> {
  const backend = planned.backend ? run.deps.backends.get(planned.backend) : undefined
  if (!backend)
    throw new BackendError('not_installed', `backend '${planned.backend}' is not available`, {
      retryable: false,
    })
  if (a.controller.aborted) throw new BackendError('canceled', 'canceled before the summary started')
  const result = await backend.execute(
    {
      runId: run.id,
      taskId: a.taskId,
      attempt: a.number,
      prompt: `Condense the text below to at most ${maxTokens} tokens. Keep names, numbers, decisions and open questions; drop repetition.\n\n${text}`,
      ...(planned.model ? { model: planned.model } : {}),
      options: planned.with,
      upstream: {},
    },
    {
      runId: run.id,
      taskId: a.taskId,
      attempt: a.number,
      signal: a.controller.signal,
      emit: () => {},
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      workDir: run.deps.workDir,
    },
  )
  if (result.usage && run.acting) run.ledger.recordUsage(a.taskId, undefined, result.usage, 'summarize')
  return (
    result.text ?? (typeof result.output === 'string' ? result.output : JSON.stringify(result.output ?? ''))
  )
}
