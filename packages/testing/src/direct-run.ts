/**
 * Runs written straight into a store (a test helper) with `commit`, for tests that need many events or a run of a
 * given age and status without running a workflow.
 */
import {
  type Commit,
  emptyUsage,
  newRunId,
  type RunStatus,
  type RunSummary,
  type Store,
  TASK_STATUSES,
  type TaskCounts,
} from '@weft/core'

export type EventDraftWithTs = Commit['events'][number]

export interface DirectRunOptions {
  status?: RunStatus
  /** Default: now. */
  createdAt?: string
  /** Events after `run.created`, committed in batches. */
  events?: EventDraftWithTs[]
  batchSize?: number
}

export async function commitRun(store: Store, options: DirectRunOptions = {}): Promise<RunSummary> {
  const runId = newRunId()
  const createdAt = options.createdAt ?? new Date().toISOString()
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts
  counts.total = 0
  const summary: RunSummary = {
    id: runId,
    name: 'direct',
    status: options.status ?? 'succeeded',
    health: 'ok',
    initiator: 'code',
    tags: [],
    createdAt,
    updatedAt: createdAt,
    usage: emptyUsage(),
    taskCounts: counts,
    diagnostics: [],
    lastSeq: 0,
  }
  await store.commit({
    runId,
    create: {
      spec: { workflow: { weft: 1, name: 'direct', tasks: {} }, inputs: {}, initiator: 'code', tags: [] },
    },
    run: summary,
    events: [
      {
        type: 'run.created',
        ts: createdAt,
        data: { name: 'direct', inputs: {}, taskIds: [], diagnostics: [] },
      },
    ],
  })
  const events = options.events ?? []
  const batch = options.batchSize ?? 1000
  for (let i = 0; i < events.length; i += batch) {
    await store.commit({ runId, events: events.slice(i, i + batch) })
  }
  return (await store.runs.get(runId))!
}

/** `n` log events a millisecond apart from `start`, with text that CSV has to quote. */
export function logEvents(n: number, start = Date.now(), taskId = 'work'): EventDraftWithTs[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'log' as const,
    ts: new Date(start + i).toISOString(),
    taskId,
    attempt: 1,
    severity: i % 10 === 0 ? ('warn' as const) : ('info' as const),
    data: { message: `line ${i}, with "quotes", a comma\nand a newline`, i },
  }))
}
