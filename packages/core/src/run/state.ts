/**
 * The state of one run: its summary and its tasks' states, as the store keeps them. Only the
 * reducer (reducer.ts) changes it, and it never mutates an object it has handed out: it replaces
 * the summary or a task's state with a new object, so a commit may take them as they are.
 */
import type { Initiator, RunSummary, TaskCounts, TaskState } from '@weft/spec'
import { emptyUsage, TASK_STATUSES } from '@weft/spec'

export interface RunState {
  summary: RunSummary
  /** In declaration order (tasks added later come after). */
  tasks: Map<string, TaskState>
}

/** The state before `run.created`: what the events do not carry comes from here. */
export function emptyRunState(
  runId: string,
  init: { initiator?: Initiator; tags?: string[]; createdAt?: string } = {},
): RunState {
  const at = init.createdAt ?? new Date(0).toISOString()
  return {
    summary: {
      id: runId,
      name: '',
      status: 'pending',
      health: 'ok',
      initiator: init.initiator ?? 'code',
      tags: init.tags ?? [],
      createdAt: at,
      updatedAt: at,
      usage: emptyUsage(),
      taskCounts: countTasks([]),
      diagnostics: [],
      lastSeq: 0,
    },
    tasks: new Map(),
  }
}

export function countTasks(tasks: Iterable<TaskState>): TaskCounts {
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts
  counts.total = 0
  for (const t of tasks) {
    counts[t.status]++
    counts.total++
  }
  return counts
}

/** The run's approval gates that wait for a person, as `pause.waiting` lists them. */
export function waitingApprovals(tasks: Iterable<TaskState>) {
  const out: { taskId: string; token: string; message: string }[] = []
  for (const t of tasks) {
    if (t.status === 'waiting' && t.approval?.status === 'waiting')
      out.push({ taskId: t.taskId, token: t.approval.token, message: t.approval.message })
  }
  return out
}
