/**
 * How the compensation events change a run's summary (`summary.compensation`), for the one reducer
 * (reducer.ts): `run.compensating` lists them, each `compensation.*` moves one on, and once none is
 * pending or running the compensation is `done` (the run's end event comes next).
 */
import type { RunCompensation, RunSummary, WeftEvent } from '@weft/spec'

type Entry = RunCompensation['tasks'][number]

export const FINISHED_COMPENSATION: ReadonlySet<Entry['status']> = new Set([
  'succeeded',
  'failed',
  'canceled',
])

export type CompensationEvent = Extract<
  WeftEvent,
  {
    type:
      | 'run.compensating'
      | 'compensation.started'
      | 'compensation.succeeded'
      | 'compensation.failed'
      | 'compensation.canceled'
  }
>

export function foldCompensation(s: RunSummary, e: CompensationEvent): RunSummary {
  const ts = e.ts
  if (e.type === 'run.compensating') {
    const d = e.data
    const compensation: RunCompensation = {
      status: d.tasks.length > 0 ? 'running' : 'done',
      outcome: d.outcome,
      ...(d.error ? { error: d.error } : {}),
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      tasks: d.tasks.map((taskId) => ({ taskId, status: 'pending', attempt: 0 })),
    }
    return { ...s, compensation }
  }
  const c = s.compensation
  const at = c ? c.tasks.findIndex((t) => t.taskId === e.taskId) : -1
  if (!c || at < 0) return s
  const before = c.tasks[at]!
  let after: Entry
  switch (e.type) {
    case 'compensation.started': {
      const { completedAt: _c, error: _e, output: _o, ...rest } = before
      after = {
        ...rest,
        status: 'running',
        backend: e.data.backend,
        attempt: e.attempt ?? before.attempt + 1,
        startedAt: ts,
      }
      break
    }
    case 'compensation.succeeded':
      after = { ...before, status: 'succeeded', completedAt: ts, output: e.data.output ?? null }
      break
    case 'compensation.failed':
      after = { ...before, status: 'failed', completedAt: ts, error: e.data.error }
      break
    case 'compensation.canceled':
      after = { ...before, status: 'canceled', completedAt: ts, reason: e.data.reason }
      break
  }
  const tasks = c.tasks.slice()
  tasks[at] = after
  const done = tasks.every((t) => FINISHED_COMPENSATION.has(t.status))
  return { ...s, compensation: { ...c, status: done ? 'done' : 'running', tasks } }
}
