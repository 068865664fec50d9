import type { WeftEvent } from '@weft/core/contracts'

export interface Span {
  taskId: string
  attempt: number
  kind: 'attempt' | 'retry_wait' | 'approval_wait'
  start: number
  /** Undefined while it goes on. */
  end: number | undefined
  outcome?: 'succeeded' | 'failed' | 'retry' | 'interrupted' | 'canceled' | 'approved'
}

/** The events that end a task's open span (an attempt, or an approval wait), and the outcome each gives. */
const SPAN_ENDINGS = new Map<string, Span['outcome']>([
  ['task.succeeded', 'succeeded'],
  ['task.failed', 'failed'],
  ['task.canceled', 'canceled'],
  ['task.interrupted', 'interrupted'],
  ['task.approved', 'approved'],
])

/**
 * The waterfall of a run from its events: each attempt from `task.started` to its end, the wait
 * before a retry, and approval waits. Only the log is needed, so it also works on a reloaded page.
 */
export function spansOf(events: readonly WeftEvent[]): { spans: Span[]; start: number | undefined } {
  const spans: Span[] = []
  const open = new Map<string, Span>()
  let start: number | undefined
  const close = (taskId: string, at: number, outcome: Span['outcome']) => {
    const s = open.get(taskId)
    if (!s) return
    s.end = at
    s.outcome = outcome
    open.delete(taskId)
  }
  const begin = (s: Span) => {
    open.set(s.taskId, s)
    spans.push(s)
  }
  for (const e of events) {
    const at = Date.parse(e.ts)
    if (e.type === 'run.started' || e.type === 'run.created') start ??= at
    const task = e.taskId
    if (!task) continue
    const ending = SPAN_ENDINGS.get(e.type)
    if (ending) {
      close(task, at, ending)
      continue
    }
    switch (e.type) {
      case 'task.started':
        close(task, at, undefined)
        begin({ taskId: task, attempt: e.attempt ?? 1, kind: 'attempt', start: at, end: undefined })
        break
      case 'task.retry_scheduled': {
        close(task, at, 'retry')
        const delay = Number((e.data as { delayMs?: unknown }).delayMs ?? 0)
        spans.push({
          taskId: task,
          attempt: e.attempt ?? 1,
          kind: 'retry_wait',
          start: at,
          end: at + delay,
        })
        break
      }
      case 'task.waiting':
        begin({ taskId: task, attempt: e.attempt ?? 1, kind: 'approval_wait', start: at, end: undefined })
        break
    }
  }
  return { spans, start }
}
