/**
 * The one place where run and task state change: `applyEvent(state, event)`. The live run applies
 * each event as it records it, replay applies a stored log, recovery continues from the stored
 * state with the same function; so they cannot disagree. It reads nothing but the state and the
 * event (times come from `event.ts`, never from a clock).
 *
 * An event changes a task's state in place, on an object the run owns (`RunState.own`: a copy
 * when the last one went to the store with a commit). Copying the state for every event (three
 * or more per task) was a quarter of a run's time, most of it in the garbage collector. A field
 * that holds an object (usage, approval, error, …) is replaced, never changed inside, so a shallow
 * copy is a snapshot.
 */
import type { Json, JsonObject, RunSummary, TaskState, WeftEvent } from '@weft/spec'
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
      state.setTask(t)
      state.tick(undefined, t.status, ts, seq)
      return t
    }
    case 'usage.recorded':
      return recordUsage(state, e, ts, seq)
    case 'log': {
      // A backend's session id, or a subworkflow's run id, is recorded as a log carrying it in `fields`.
      const sessionId = e.data.fields?.sessionId
      const childRunId = e.data.fields?.childRunId
      if (!e.taskId || (typeof sessionId !== 'string' && typeof childRunId !== 'string')) break
      const found = state.tasks.get(e.taskId)
      if (!found) break
      const t = state.own(found)
      if (typeof sessionId === 'string') t.sessionId = sessionId
      else t.childRunId = childRunId as string
      state.tick(t.status, t.status, ts, seq)
      return t
    }
    default:
      if (e.type.startsWith('task.') && e.taskId) {
        const found =
          known !== undefined && known.taskId === e.taskId && state.byOrder[known.order] === known
            ? known
            : state.tasks.get(e.taskId)
        if (found) {
          const t = state.own(found)
          const was = t.status
          const wasWaiting = t.approval?.status === 'waiting'
          changeTask(t, e)
          state.tick(was, t.status, ts, seq)
          // An approval answered while the run is paused (for another reason) leaves the waiting list.
          if (wasWaiting && t.approval?.status !== 'waiting') leaveWaiting(state, t.taskId)
          if (e.type === 'task.started' && e.data.estimate) {
            const est = e.data.estimate
            state.addEstimate(est.inputTokens + est.outputTokens, est.costUsd)
          }
          return t
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

/** A task event's effect on the task's state, made in place. */
function changeTask(t: TaskState, e: RunEvent): void {
  const ts = e.ts
  switch (e.type) {
    case 'task.queued':
      t.status = 'queued'
      t.queuedAt = ts
      return
    case 'task.mapped':
      // Runs as its items: no attempt of its own.
      t.status = 'running'
      t.startedAt = ts
      t.map = { items: e.data.items }
      return
    case 'task.interrupted':
      t.status = 'queued'
      return
    case 'task.started':
      // A new attempt: the process groups of the last one are no longer this task's.
      drop(t, 'nextRetryAt')
      drop(t, 'processes')
      t.status = 'running'
      t.attempt = e.attempt ?? t.attempt + 1
      t.startedAt = ts
      if (e.data.estimate) t.estimate = e.data.estimate
      return
    case 'task.process_started': {
      const d = e.data
      const p = {
        host: d.host,
        pid: d.pid,
        pgid: d.pgid,
        ...(d.startTime !== undefined ? { startTime: d.startTime } : {}),
        attempt: e.attempt ?? t.attempt,
      }
      t.processes = [...(t.processes ?? []), p]
      return
    }
    case 'task.retry_scheduled':
      t.status = 'retrying'
      t.error = e.data.error
      t.nextRetryAt = new Date(Date.parse(ts) + e.data.delayMs).toISOString()
      return
    case 'task.waiting':
      t.status = 'waiting'
      t.startedAt = ts
      t.approval = { token: e.data.token, message: e.data.message, requestedAt: ts, status: 'waiting' }
      return
    case 'task.approved':
    case 'task.rejected':
      if (!t.approval) return
      t.approval = {
        ...t.approval,
        status: e.type === 'task.approved' ? ('approved' as const) : ('rejected' as const),
        respondedAt: ts,
        ...(e.data.by ? { by: e.data.by } : {}),
        ...(e.type === 'task.rejected' ? { reason: e.data.reason } : {}),
      }
      return
    case 'task.succeeded':
    case 'task.reused': {
      drop(t, 'error')
      drop(t, 'nextRetryAt')
      const d = e.data
      t.status = 'succeeded'
      t.output = d.output ?? null
      if (d.text !== undefined) t.text = d.text
      if ('sessionId' in d && d.sessionId) t.sessionId = d.sessionId
      t.completedAt = ts
      return
    }
    case 'task.failed':
      drop(t, 'nextRetryAt')
      t.status = 'failed'
      t.error = e.data.error
      t.completedAt = ts
      return
    case 'task.canceled':
    case 'task.skipped':
      drop(t, 'nextRetryAt')
      if (t.approval?.status === 'waiting') t.approval = { ...t.approval, status: 'canceled' }
      t.status = e.type === 'task.canceled' ? 'canceled' : 'skipped'
      t.reason = e.data.reason
      t.completedAt = ts
      return
    default:
      return
  }
}

/**
 * Removes a field the state no longer has. Most states have none of those fields: the check
 * keeps them from a `delete`, which would move the object out of V8's fast shape.
 */
function drop(t: TaskState, key: 'error' | 'nextRetryAt' | 'processes'): void {
  if (t[key] !== undefined) delete t[key]
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

/** A paused run's list of approvals that wait loses one that was answered (or ended). */
function leaveWaiting(state: RunState, taskId: string): void {
  const s = state.summary
  if (!s.pause) return
  const pause = { ...s.pause, waiting: s.pause.waiting.filter((w) => w.taskId !== taskId) }
  state.summary = { ...s, pause }
}

/** Usage adds up on the task, the run, and the run's split by model and by backend. */
function recordUsage(state: RunState, e: RunEvent & { type: 'usage.recorded' }, ts: string, seq: number) {
  const d = e.data
  // The event's data is its usage (and more: model, backend, costs); only the usage fields are read.
  const usage: Partial<Usage> = d
  state.addUsage(usage, d.model ?? 'unknown', d.backend, ts, seq)
  const found = e.taskId ? state.tasks.get(e.taskId) : undefined
  if (!found) return undefined
  const t = state.own(found)
  t.usage = addUsage(t.usage ?? emptyUsage(), usage)
  return t
}
