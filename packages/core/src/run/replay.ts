/**
 * Rebuilds a run's state from its event log alone, through the same reducer the live run uses.
 * The log is the source of truth: what `replayEvents` returns must equal what the store holds,
 * which the crash tests and the reducer's property tests check.
 */
import type { Json, RunStatus, TaskStatus, WeftEvent } from '@weft/spec'
import { applyEvent } from './reducer.js'
import { emptyRunState, type RunState } from './state.js'

export interface ReplayedTask {
  status: TaskStatus
  attempt: number
  output?: Json
}

export interface ReplayedRun {
  status: RunStatus
  tasks: Record<string, ReplayedTask>
  /** Every seq from 1 to the last, none missing or repeated. */
  gapless: boolean
  /** The full state: the run's summary and every task's state, as the reducer rebuilt them. */
  state: RunState
}

/** Applies a run's events, in order, to the empty state. */
export function replayState(
  events: Iterable<WeftEvent>,
  init?: Parameters<typeof emptyRunState>[1],
): RunState {
  let state: RunState | undefined
  for (const e of events) {
    state ??= emptyRunState(e.runId, init)
    applyEvent(state, e)
  }
  return state ?? emptyRunState('', init)
}

export function replayEvents(events: Iterable<WeftEvent>): ReplayedRun {
  let expected = 1
  let gapless = true
  const seen: WeftEvent[] = []
  for (const e of events) {
    if (e.seq !== expected++) gapless = false
    seen.push(e)
  }
  const state = replayState(seen)
  const tasks: Record<string, ReplayedTask> = {}
  for (const t of state.tasks.values()) {
    tasks[t.taskId] = {
      status: t.status,
      attempt: t.attempt,
      ...(t.status === 'succeeded' ? { output: t.output ?? null } : {}),
    }
  }
  return { status: state.summary.status, tasks, gapless, state }
}
