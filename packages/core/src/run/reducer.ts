/**
 * The one place where run and task state change: `applyEvent(state, event)`. The live run applies
 * each event as it records it, replay applies a stored log, recovery continues from the stored
 * state with the same function; so they cannot disagree. It reads nothing but the state and the
 * event (times come from `event.ts`, never from a clock), and it replaces the objects it changes
 * instead of mutating them.
 */
import type { Json, JsonObject, RunSummary, TaskState, TaskStatus, WeftEvent } from '@weft/spec'
import { addUsage, emptyUsage, type Usage } from '@weft/spec'
import { foldCompensation } from './compensation-fold.js'
import type { RunState } from './state.js'

/** The same as a stored event, before the store gives it a seq (0). */
export type RunEvent = WeftEvent

/**
 * Applies one event. Returns the task whose state it changed (so the caller commits that task and
 * looks at its dependents again), or undefined.
 *
 * `known` is a hint a live run may give: the current state of the event's task, which it holds
 * already. It is used only when it is that (checked by order, an array read), and saves looking
 * the task up by id in a map of every task; replay gives none, and the outcome is the same.
 */
export function applyEvent(state: RunState, e: RunEvent, known?: TaskState): TaskState | undefined {
  const ts = e.ts
  const seq = Math.max(e.seq, state.lastSeq)
  // Task events (most events) only tick the summary; the others replace it.
  switch (e.type) {
    case 'task.added': {
      const d = e.data
      const t: TaskState = {
        runId: state.id,
        taskId: e.taskId!,
        status: 'pending',
        attempt: 0,
        priority: d.priority,
        order: state.tasks.size,
        needs: d.needs,
        ...(d.backend ? { backend: d.backend } : {}),
      }
      if (d.parent !== undefined) {
        t.parent = d.parent
        t.index = d.index
        t.item = d.item ?? null
      }
      return put(state, undefined, t, ts, seq)
    }
    case 'usage.recorded':
      return recordUsage(state, e, ts, seq)
    case 'log': {
      // A backend's session id, or a subworkflow's run id, is recorded as a log carrying it in `fields`.
      const sessionId = e.data.fields?.sessionId
      const childRunId = e.data.fields?.childRunId
      if (!e.taskId || (typeof sessionId !== 'string' && typeof childRunId !== 'string')) break
      const t = state.tasks.get(e.taskId)
      if (!t) break
      return put(
        state,
        t,
        typeof sessionId === 'string' ? { ...t, sessionId } : { ...t, childRunId: childRunId as string },
        ts,
        seq,
      )
    }
    default:
      if (e.type.startsWith('task.') && e.taskId) {
        const t =
          known !== undefined && known.taskId === e.taskId && state.byOrder[known.order] === known
            ? known
            : state.tasks.get(e.taskId)
        if (t) {
          const after = put(state, t, nextTask(t, e), ts, seq)
          if (e.type === 'task.started' && e.data.estimate) {
            const est = e.data.estimate
            state.addEstimate(est.inputTokens + est.outputTokens, est.costUsd)
          }
          return after
        }
        break
      }
      return applyRunEvent(state, e, ts, seq)
  }
  state.touch(ts, seq)
  return undefined
}

/** A run event: it replaces the summary. */
function applyRunEvent(state: RunState, e: RunEvent, ts: string, seq: number): undefined {
  const s = state.summary
  switch (e.type) {
    case 'run.created': {
      const d = e.data
      state.summary = {
        ...s,
        name: d.name,
        ...(d.source ? { source: d.source } : {}),
        ...(d.parent ? { parent: d.parent } : {}),
        status: 'pending',
        health: d.diagnostics.some((x) => x.level === 'warning') ? 'warning' : 'ok',
        diagnostics: d.diagnostics,
        createdAt: ts,
        updatedAt: ts,
        lastSeq: seq,
      }
      return undefined
    }
    case 'run.started':
      state.summary = { ...s, status: 'running', startedAt: ts, updatedAt: ts, lastSeq: seq }
      return undefined
    case 'run.paused':
      state.summary = {
        ...s,
        status: 'paused',
        pause: e.data,
        outputs: finishedOutputs(state),
        updatedAt: ts,
        lastSeq: seq,
      }
      return undefined
    case 'run.resumed':
    case 'run.canceling': {
      const { pause: _pause, ...rest } = s
      state.summary = {
        ...rest,
        status: e.type === 'run.resumed' ? 'running' : 'canceling',
        updatedAt: ts,
        lastSeq: seq,
      }
      return undefined
    }
    case 'run.compensating':
    case 'compensation.started':
    case 'compensation.succeeded':
    case 'compensation.failed':
    case 'compensation.canceled':
      state.summary = { ...foldCompensation(s, e), updatedAt: ts, lastSeq: seq }
      return undefined
    case 'run.succeeded':
    case 'run.failed':
    case 'run.canceled': {
      const { pause: _pause, ...rest } = s
      const end: RunSummary = { ...rest, completedAt: ts, updatedAt: ts, lastSeq: seq, status: 'canceled' }
      if (e.type === 'run.succeeded') {
        end.status = 'succeeded'
        end.outputs = e.data.outputs
      } else if (e.type === 'run.failed') {
        end.status = 'failed'
        end.error = e.data.error
        end.health = 'error'
      }
      state.summary = end
      return undefined
    }
  }
  state.touch(ts, seq)
  return undefined
}

/** A task event's effect on the task's state. */
function nextTask(t: TaskState, e: RunEvent): TaskState {
  const ts = e.ts
  switch (e.type) {
    case 'task.queued':
      return { ...t, status: 'queued', queuedAt: ts }
    case 'task.mapped':
      // Runs as its items: no attempt of its own.
      return { ...t, status: 'running', startedAt: ts, map: { items: e.data.items } }
    case 'task.interrupted':
      return { ...t, status: 'queued' }
    case 'task.started': {
      // A new attempt: the process groups of the last one are no longer this task's.
      const next = without(t, 'nextRetryAt', 'processes')
      next.status = 'running'
      next.attempt = e.attempt ?? t.attempt + 1
      next.startedAt = ts
      if (e.data.estimate) next.estimate = e.data.estimate
      return next
    }
    case 'task.process_started': {
      const d = e.data
      const p = {
        host: d.host,
        pid: d.pid,
        pgid: d.pgid,
        ...(d.startTime !== undefined ? { startTime: d.startTime } : {}),
        attempt: e.attempt ?? t.attempt,
      }
      return { ...t, processes: [...(t.processes ?? []), p] }
    }
    case 'task.retry_scheduled':
      return {
        ...t,
        status: 'retrying',
        error: e.data.error,
        nextRetryAt: new Date(Date.parse(ts) + e.data.delayMs).toISOString(),
      }
    case 'task.waiting':
      return {
        ...t,
        status: 'waiting',
        startedAt: ts,
        approval: { token: e.data.token, message: e.data.message, requestedAt: ts, status: 'waiting' },
      }
    case 'task.approved':
    case 'task.rejected': {
      if (!t.approval) return t
      const approval = {
        ...t.approval,
        status: e.type === 'task.approved' ? ('approved' as const) : ('rejected' as const),
        respondedAt: ts,
        ...(e.data.by ? { by: e.data.by } : {}),
        ...(e.type === 'task.rejected' ? { reason: e.data.reason } : {}),
      }
      return { ...t, approval }
    }
    case 'task.succeeded':
    case 'task.reused': {
      const next = without(t, 'error', 'nextRetryAt')
      const d = e.data
      next.status = 'succeeded'
      next.output = d.output ?? null
      if (d.text !== undefined) next.text = d.text
      if ('sessionId' in d && d.sessionId) next.sessionId = d.sessionId
      next.completedAt = ts
      return next
    }
    case 'task.failed': {
      const rest = without(t, 'nextRetryAt')
      return { ...rest, status: 'failed', error: e.data.error, completedAt: ts }
    }
    case 'task.canceled':
    case 'task.skipped': {
      const rest = without(t, 'nextRetryAt')
      const end: TaskState = {
        ...rest,
        status: e.type === 'task.canceled' ? 'canceled' : 'skipped',
        reason: e.data.reason,
        completedAt: ts,
      }
      if (t.approval?.status === 'waiting') end.approval = { ...t.approval, status: 'canceled' }
      return end
    }
    default:
      return t
  }
}

/**
 * A copy of a task's state without some fields, for the caller to fill in (it is its own). Most
 * states have none of them: then a plain spread (fast) does, and only the rare state that has one
 * pays for the deletes.
 */
function without(t: TaskState, a: keyof TaskState, b?: keyof TaskState): TaskState {
  // Two named keys, not a rest array: this runs for most task events.
  const out = { ...t }
  if (t[a] !== undefined) delete out[a]
  if (b !== undefined && t[b] !== undefined) delete out[b]
  return out
}

/**
 * What a paused run has finished so far: the output of each succeeded task (map items are in
 * their mapped task's output). A person deciding an approval sees what was done before it.
 */
function finishedOutputs(state: RunState): JsonObject {
  const done: [string, Json][] = []
  for (const t of state.tasks.values())
    if (t.status === 'succeeded' && t.parent === undefined) done.push([t.taskId, t.output ?? null])
  return Object.fromEntries(done)
}

/** Replaces a task's state and keeps the summary's counts (and, for approvals, its pause) in step. */
function put(
  state: RunState,
  before: TaskState | undefined,
  after: TaskState,
  ts: string,
  lastSeq: number,
): TaskState {
  state.setTask(after)
  const was: TaskStatus | undefined = before?.status
  state.tick(was, after.status, ts, lastSeq)
  // An approval answered while the run is paused (for another reason) leaves the waiting list.
  if (before?.approval?.status === 'waiting' && after.approval?.status !== 'waiting') {
    const s = state.summary
    if (s.pause) {
      const pause = { ...s.pause, waiting: s.pause.waiting.filter((w) => w.taskId !== after.taskId) }
      state.summary = { ...s, pause }
    }
  }
  return after
}

/** Usage adds up on the task, the run, and the run's split by model and by backend. */
function recordUsage(state: RunState, e: RunEvent & { type: 'usage.recorded' }, ts: string, seq: number) {
  const d = e.data
  // The event's data is its usage (and more: model, backend, costs); only the usage fields are read.
  const usage: Partial<Usage> = d
  state.addUsage(usage, d.model ?? 'unknown', d.backend, ts, seq)
  const t = e.taskId ? state.tasks.get(e.taskId) : undefined
  if (!t) return undefined
  const after = { ...t, usage: addUsage(t.usage ?? emptyUsage(), usage) }
  state.setTask(after)
  return after
}
