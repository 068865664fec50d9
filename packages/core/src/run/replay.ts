/**
 * Rebuilds a run's state from its event log alone. The log is the source of truth: what
 * `replayEvents` returns must equal what the store holds, which the crash tests check.
 */
import type { WeftEvent } from '@weft/spec'
import type { Json } from '@weft/spec'
import type { RunStatus } from '@weft/spec'
import type { TaskStatus } from '@weft/spec'

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
}

const RUN_STATUS_BY_EVENT: Partial<Record<WeftEvent['type'], RunStatus>> = {
  'run.created': 'pending',
  'run.started': 'running',
  'run.paused': 'paused',
  'run.resumed': 'running',
  'run.canceling': 'canceling',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.canceled': 'canceled',
}

export function replayEvents(events: Iterable<WeftEvent>): ReplayedRun {
  let status: RunStatus = 'pending'
  const tasks: Record<string, ReplayedTask> = {}
  let expected = 1
  let gapless = true
  for (const e of events) {
    if (e.seq !== expected++) gapless = false
    const runStatus = RUN_STATUS_BY_EVENT[e.type]
    if (runStatus) status = runStatus
    if (!e.taskId) continue
    tasks[e.taskId] ??= { status: 'pending', attempt: 0 }
    const t = tasks[e.taskId]!
    switch (e.type) {
      case 'task.queued':
      case 'task.interrupted':
        t.status = 'queued'
        break
      case 'task.started':
        t.status = 'running'
        t.attempt = e.attempt ?? t.attempt + 1
        break
      case 'task.retry_scheduled':
        t.status = 'retrying'
        break
      case 'task.waiting':
        t.status = 'waiting'
        break
      case 'task.succeeded':
      case 'task.reused':
        t.status = 'succeeded'
        t.output = e.data.output ?? null
        break
      case 'task.failed':
        t.status = 'failed'
        break
      case 'task.canceled':
        t.status = 'canceled'
        break
      case 'task.skipped':
        t.status = 'skipped'
        break
      default:
        break
    }
  }
  return { status, tasks, gapless }
}
