/**
 * The scheduler's step: looks at the run and decides, synchronously. It moves pending tasks on
 * (queued, skipped), opens approval gates, dispatches ready tasks by priority then declaration
 * order (eager: into every free slot; batched: see batches.ts), and notices the end, a pause for
 * approvals, or a deadlock. I/O happens in the commit log and in attempts.
 */
import { isTerminalTaskStatus, type TaskState } from '@weft/spec'
import { isTruthy } from '../template/expression.js'
import { renderTemplate } from '../template/template.js'
import { dispatchBatched } from './batches.js'
import type { LiveRun } from './live-run.js'
import { expandMap, mapIsFull, settleMaps, unparkItems } from './map.js'
import { tryDispatch } from './preparation.js'
import {
  cancelUnstarted,
  enterPause,
  failTask,
  finalize,
  finishWithout,
  openApproval,
} from './transitions.js'

/** The data of a `task.queued` event: nothing, shared (events are never changed once recorded). */
const NO_DATA = Object.freeze({})

export function step(run: LiveRun): void {
  if (!run.acting) return
  // Every task has finished; the compensations run, then the run ends (compensation.ts).
  if (run.phase.name === 'compensating') {
    finalize(run)
    return
  }
  // Settling a map can queue its dependents; expanding an empty one settles it.
  do {
    settleMaps(run)
    resolvePending(run)
  } while (run.maps.toSettle.size > 0 && run.acting)

  const stopping = run.stopping
  if (stopping) {
    cancelUnstarted(run, stopping.reason, run.takeStopPassChanges())
    if (run.attempts.size === 0) finalize(run)
    return
  }
  if (run.state.status !== 'running') return

  // Approval gates need no slot: they wait for a person as soon as they are ready.
  for (const id of run.graph.approvalGates) {
    const t = run.task(id)
    if (t.status === 'queued') openApproval(run, t)
  }

  if (run.phase.name === 'draining') return
  if (run.plan.mode === 'batched') dispatchBatched(run)
  else {
    // The ready task first in priority, then declaration order, until no slot is left. A task may
    // be prepared (and its start decided) at once, pausing the run over budget: then stop.
    unparkItems(run)
    for (let t = run.graph.nextReady(); t; t = run.graph.nextReady()) {
      if (run.dispatchesLeft === 0) {
        // This pump's chunk is full: the rest goes once its commit is on its way (live-run.ts).
        run.pumpSoon()
        break
      }
      const planned = run.planned(t)
      if (mapIsFull(run, planned)) {
        // Its map runs `maxParallel` items: it waits off the queue, and the next task may go.
        run.graph.takeReady()
        run.maps.park(planned!.mapItem!.parent, t.taskId)
        continue
      }
      if (!tryDispatch(run, t)) break
      run.dispatchesLeft--
      if (run.phase.name !== 'active' || run.state.status !== 'running') break
    }
  }

  // A task settled while dispatching (a template error, a budget refusal) asked for another step:
  // its dependents are looked at there, before anything is judged finished or stuck.
  if (run.pumpRequested) return
  if (run.attempts.size > 0 || run.timers.waiting > 0 || run.batch || run.graph.nextReady()) return
  const open: TaskState[] = []
  for (const t of run.state.tasks.values()) if (!isTerminalTaskStatus(t.status)) open.push(t)
  if (open.length === 0) {
    finalize(run)
    return
  }
  if (open.some((t) => t.status === 'waiting')) {
    enterPause(run, 'approval')
    return
  }
  // Nothing runs, nothing can start, work is left: the run can never finish on its own.
  const stuck = open.map((t) => t.taskId)
  run.record({
    type: 'diagnostic',
    severity: 'error',
    data: {
      level: 'error',
      code: 'deadlock',
      message: `nothing is running and nothing can start, but tasks are unfinished: ${stuck.join(', ')}`,
      hint: 'check the needs of these tasks',
    },
  })
  run.phase = {
    name: 'stopping',
    stop: {
      kind: 'fail_fast',
      reason: 'deadlock',
      error: { code: 'deadlock', message: `deadlock: stuck tasks ${stuck.join(', ')}` },
    },
  }
  cancelUnstarted(run, 'the run is deadlocked')
  finalize(run)
}

/** Moves pending tasks on: skipped when a need did not succeed, queued when all needs did. */
function resolvePending(run: LiveRun): void {
  const graph = run.graph
  for (let t = graph.nextPending(); t !== undefined; t = graph.nextPending()) {
    if (t.status !== 'pending') continue
    const id = t.taskId
    let broken: TaskState | undefined
    let all = true
    const indexed = graph.needsIndexed(t)
    for (let i = 0; i < t.needs.length; i++) {
      const need = indexed ? graph.needAt(t, i)! : run.task(t.needs[i]!)
      if (need.status === 'failed' || need.status === 'canceled' || need.status === 'skipped') {
        broken = need
        break
      }
      if (need.status !== 'succeeded') all = false
    }
    if (broken) {
      const why = broken.status === 'skipped' ? 'was skipped' : broken.status
      finishWithout(run, id, 'skipped', `needs '${broken.taskId}', which ${why}`)
      continue
    }
    if (!all) continue
    const planned = run.planned(t)!
    const when = planned.when
    if (when !== undefined) {
      let pass: boolean
      try {
        pass = isTruthy(renderTemplate(when, run.scope()))
      } catch (err) {
        failTask(run, id, { code: 'template', message: `when: ${(err as Error).message}`, retryable: false })
        continue
      }
      if (!pass) {
        finishWithout(run, id, 'skipped', `condition ${when} is false`)
        continue
      }
    }
    if (planned.map) expandMap(run, id)
    else run.record({ type: 'task.queued', taskId: id, data: NO_DATA }, t)
  }
}
