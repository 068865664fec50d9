/**
 * Runs written straight into a SQLite store with `commit`, the way the runtime writes them but
 * without running a workflow: runs with many events for the query and export benchmarks.
 * (Moved here with the export benchmark from apps/cli/bench.)
 */
import {
  type Commit,
  emptyUsage,
  newRunId,
  type RunSummary,
  type Store,
  TASK_STATUSES,
  type TaskCounts,
} from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'

export type StoredEventDraft = Commit['events'][number]

export interface DirectRunOptions {
  name?: string
  /** Events after `run.created`, committed `batchSize` at a time (default 1000). */
  events?: Iterable<StoredEventDraft>
  batchSize?: number
}

/** Commits one succeeded run to the SQLite file at `path` and closes it again. Returns its id. */
export async function commitRun(path: string, options: DirectRunOptions = {}): Promise<string> {
  const store = createSqliteStore({ path })
  try {
    await store.init()
    return await commitRunTo(store, options)
  } finally {
    await store.close()
  }
}

/** Commits one succeeded run to an open store (any kind). Returns its id. */
export async function commitRunTo(store: Store, options: DirectRunOptions = {}): Promise<string> {
  const runId = newRunId()
  const createdAt = new Date().toISOString()
  const name = options.name ?? 'direct'
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts
  counts.total = 0
  const summary: RunSummary = {
    id: runId,
    name,
    status: 'succeeded',
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
    create: { spec: { workflow: { weft: 1, name, tasks: {} }, inputs: {}, initiator: 'code', tags: [] } },
    run: summary,
    events: [
      { type: 'run.created', ts: createdAt, data: { name, inputs: {}, taskIds: [], diagnostics: [] } },
    ],
  })
  const size = options.batchSize ?? 1000
  let batch: StoredEventDraft[] = []
  for (const e of options.events ?? []) {
    batch.push(e)
    if (batch.length === size) {
      await store.commit({ runId, events: batch })
      batch = []
    }
  }
  if (batch.length) await store.commit({ runId, events: batch })
  return runId
}

/**
 * `n` log events a millisecond apart from `start`, lazily, with text that CSV has to quote:
 * commas, quotes, a newline.
 */
export function* logEvents(n: number, start = Date.now(), taskId = 'work'): Generator<StoredEventDraft> {
  for (let i = 0; i < n; i++) {
    yield {
      type: 'log',
      ts: new Date(start + i).toISOString(),
      taskId,
      attempt: 1,
      severity: i % 10 === 0 ? 'warn' : 'info',
      data: { message: `line ${i}, with "quotes", a comma\nand a newline`, fields: { i, ok: i % 2 === 0 } },
    }
  }
}
