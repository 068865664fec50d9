import {
  type Commit,
  type EventDraft,
  emptyUsage,
  type Json,
  type RunSpec,
  type RunSummary,
  TASK_STATUSES,
  type TaskCounts,
  type TaskState,
} from '@weft/core'

/**
 * Small builders of valid contract objects for store and runtime tests. They produce plain data
 * that passes core's zod schemas, so a store under test never sees shapes the runtime would not
 * write.
 */

/** A fixed clock: `isoAt(0)` is 2025-01-01T00:00:00.000Z, `isoAt(n)` is n seconds later. */
export function isoAt(seconds: number): string {
  return new Date(Date.UTC(2025, 0, 1) + seconds * 1000).toISOString()
}

export interface RunSpecFixture {
  name?: string
  taskIds?: string[]
  tags?: string[]
  inputs?: RunSpec['inputs']
}

export function buildRunSpec(options: RunSpecFixture = {}): RunSpec {
  const taskIds = options.taskIds ?? ['a', 'b']
  const tasks: RunSpec['workflow']['tasks'] = {}
  taskIds.forEach((id, i) => {
    tasks[id] = { prompt: `do ${id}`, ...(i > 0 ? { needs: [taskIds[i - 1]!] } : {}) }
  })
  return {
    workflow: { weft: 1, name: options.name ?? 'fixture', tasks },
    inputs: options.inputs ?? {},
    initiator: 'code',
    tags: options.tags ?? [],
  }
}

export function emptyTaskCounts(total = 0): TaskCounts {
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts
  counts.pending = total
  counts.total = total
  return counts
}

export function buildRunSummary(id: string, spec: RunSpec, overrides: Partial<RunSummary> = {}): RunSummary {
  const createdAt = overrides.createdAt ?? isoAt(0)
  return {
    id,
    name: spec.workflow.name,
    status: 'pending',
    health: 'ok',
    initiator: spec.initiator,
    tags: [...spec.tags],
    createdAt,
    updatedAt: createdAt,
    usage: emptyUsage(),
    taskCounts: emptyTaskCounts(Object.keys(spec.workflow.tasks).length),
    diagnostics: [],
    lastSeq: 0,
    ...overrides,
  }
}

export function buildTaskState(
  runId: string,
  taskId: string,
  order: number,
  overrides: Partial<TaskState> = {},
): TaskState {
  return {
    runId,
    taskId,
    status: 'pending',
    attempt: 0,
    priority: 50,
    order,
    needs: [],
    ...overrides,
  }
}

export type StoredEventDraft = Commit['events'][number]

/** Any draft with a timestamp; `ts` defaults to `isoAt(0)`. */
export function withTs(draft: EventDraft, ts: string = isoAt(0)): StoredEventDraft {
  return { ...draft, ts } as StoredEventDraft
}

export function logEvent(
  message: string,
  options: { ts?: string; taskId?: string; attempt?: number; severity?: EventDraft['severity'] } = {},
): StoredEventDraft {
  return withTs(
    {
      type: 'log',
      data: { message },
      ...(options.taskId !== undefined ? { taskId: options.taskId } : {}),
      ...(options.attempt !== undefined ? { attempt: options.attempt } : {}),
      ...(options.severity !== undefined ? { severity: options.severity } : {}),
    },
    options.ts,
  )
}

export interface CreateCommitFixture extends RunSpecFixture {
  summary?: Partial<RunSummary>
  /** Extra events after `run.created` and one `task.added` per task. */
  events?: StoredEventDraft[]
}

/**
 * The first commit of a run, shaped like the runtime's: spec, pending summary, one pending task
 * per workflow task, `run.created` then one `task.added` per task.
 */
export function buildCreateCommit(runId: string, options: CreateCommitFixture = {}): Commit {
  const spec = buildRunSpec(options)
  const taskIds = Object.keys(spec.workflow.tasks)
  const ts = options.summary?.createdAt ?? isoAt(0)
  return {
    runId,
    create: { spec },
    run: buildRunSummary(runId, spec, options.summary),
    tasks: taskIds.map((id, i) => buildTaskState(runId, id, i, { needs: i > 0 ? [taskIds[i - 1]!] : [] })),
    events: [
      withTs(
        {
          type: 'run.created',
          data: { name: spec.workflow.name, inputs: spec.inputs, taskIds, diagnostics: [] },
        },
        ts,
      ),
      ...taskIds.map((id, i) =>
        withTs(
          { type: 'task.added', taskId: id, data: { needs: i > 0 ? [taskIds[i - 1]!] : [], priority: 50 } },
          ts,
        ),
      ),
      ...(options.events ?? []),
    ],
  }
}

/** A log event stamped now (or at `ts`), as a store test writes it by hand. */
export function logNow(message: string, ts = new Date().toISOString()): StoredEventDraft {
  return { type: 'log', ts, data: { message } }
}

/**
 * A first commit as store tests write it by hand, stamped now: spec, pending summary, one task
 * `a`, and three log events (`one`, `two`, `three`, so the run's `lastSeq` becomes 3).
 */
export function firstCommit(runId: string, name = 'store-test'): Commit {
  const spec: RunSpec = {
    workflow: { weft: 1, name, tasks: { a: { prompt: 'a' } } },
    inputs: {},
    initiator: 'code',
    tags: ['t'],
  }
  return {
    runId,
    create: { spec },
    run: buildRunSummary(runId, spec, { createdAt: new Date().toISOString() }),
    tasks: [buildTaskState(runId, 'a', 0)],
    events: [logNow('one'), logNow('two'), logNow('three')],
  }
}

/**
 * JSON that a store must keep exactly: deep nesting, unicode (astral, RTL, combining), escapes,
 * numbers at the edges of precision, empty containers, null, odd keys and SQL-looking text.
 */
export const TRICKY_JSON: Json = {
  nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] } },
  unicode: 'héllo wörld — 你好 — こんにちは — שלום — 🧵🚀👩🏽‍💻 — e\u0301',
  escapes: 'quote " backslash \\ newline \n tab \t cr \r slash / and \u2028\u2029',
  numbers: [0, -1, 1.5, 0.1, 1e21, 2 ** 53 - 1, -(2 ** 53 - 1), 1e-7],
  booleans: [true, false],
  empty: { object: {}, array: [], string: '' },
  nullValue: null,
  'key with spaces & ünïcode 🔑': 'v',
  sqlish: "'; DROP TABLE runs; --",
}

/** The UTF-8 bytes of a string, as a store's artifact data. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/**
 * `length` bytes that look random but are the same on every run (xorshift32 from `seed`), so a
 * failing byte comparison can be reproduced.
 */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
