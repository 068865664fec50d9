import { type Commit, WeftError, type WeftEvent } from '@weft/core'
import { type Db, type Queryable, sqlState } from './db.js'
import { COMMIT_FUNCTION } from './json-commit.js'
import { arrayLiteral, jsonArray } from './pg-array.js'
import { ISO_NOW } from './rows.js'

/**
 * The one write path: one call of the `weft_commit_json` function (migration 11; migration 2's
 * `weft_commit` with JSON arrays for the JSON texts), which runs in one
 * statement, hence one transaction and one round trip:
 *
 * 1. The run's row is locked (`FOR UPDATE`), or inserted for a `create`: two commits to one run
 *    (from any process) take turns here, so the second reads the seq the first wrote. A second
 *    `create` of an id waits for the first's unique-key check, then finds the row: `conflict`.
 * 2. `expectLastSeq` is checked against the locked row.
 * 3. Events, tasks, memory, spec, summary and tags are written, each with one statement whatever
 *    the number of rows (arrays bound as parameters, as array literals built by pg-array.ts, and
 *    expanded with `unnest`; the JSON texts as one JSON array each, `json_array_elements`).
 *
 * A refusal raises inside the function and nothing of the commit is written: state, log and
 * memory never disagree. A deadlock rolls the statement back and it runs again.
 */
export function commitRunner(db: Db, s: string) {
  const apply = commitApplier(s)
  return (c: Commit): Promise<WeftEvent[]> => db.retrying(() => apply(db, c))
}

/**
 * A commit on any connection: the pool (a transaction of its own), or the client of a transaction
 * that does more — a worker that claims a task (`SELECT … FOR UPDATE SKIP LOCKED` on `tasks`) and
 * records the claim's events in the same transaction, so that the claim and the log commit or roll
 * back together.
 */
export function commitApplier(s: string) {
  const call = `SELECT ${s}${COMMIT_FUNCTION}(${Array.from({ length: 28 }, (_, i) => `$${i + 1}`).join(', ')}, ${ISO_NOW})`

  return async (q: Pick<Queryable, 'query'>, c: Commit): Promise<WeftEvent[]> => {
    const tasks = lastOfEach(c.tasks ?? [], (t) => t.taskId)
    const memory = memoryWrites(c.memory ?? [])
    const deletes = memory.filter((m) => m.value === null)
    const puts = memory.filter((m) => m.value !== null)
    const r = c.run
    // The columns of the events and of the task states, each filled in one pass over its rows: a
    // busy run's commit carries thousands of each.
    const n = c.events.length
    const eTs = new Array<string>(n)
    const eType = new Array<string>(n)
    const eTask = new Array<string | null>(n)
    const eAttempt = new Array<number | null>(n)
    const eSeverity = new Array<string>(n)
    const eData = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const e = c.events[i]!
      eTs[i] = e.ts
      eType[i] = e.type
      eTask[i] = e.taskId ?? null
      eAttempt[i] = e.attempt ?? null
      eSeverity[i] = e.severity ?? 'info'
      eData[i] = JSON.stringify(e.data)
    }
    const m = tasks.length
    const tId = new Array<string>(m)
    const tOrder = new Array<number>(m)
    const tStatus = new Array<string>(m)
    const tAttempt = new Array<number>(m)
    const tPriority = new Array<number>(m)
    const tState = new Array<string>(m)
    for (let i = 0; i < m; i++) {
      const t = tasks[i]!
      tId[i] = t.taskId
      tOrder[i] = t.order
      tStatus[i] = t.status
      tAttempt[i] = t.attempt
      tPriority[i] = t.priority
      tState[i] = JSON.stringify(t)
    }
    const params = [
      c.runId,
      c.create ? JSON.stringify(c.create.spec) : null,
      c.spec ? JSON.stringify(c.spec) : null,
      c.expectLastSeq ?? null,
      r !== undefined,
      r?.name ?? null,
      r?.status ?? null,
      r?.createdAt ?? null,
      r?.updatedAt ?? null,
      // The summary is stored as given; its lastSeq is the column's, set when it is read.
      r ? JSON.stringify(r) : null,
      arrayLiteral(r?.tags ?? []),
      arrayLiteral(eTs),
      arrayLiteral(eType),
      arrayLiteral(eTask),
      arrayLiteral(eAttempt),
      arrayLiteral(eSeverity),
      jsonArray(eData),
      arrayLiteral(tId),
      arrayLiteral(tOrder),
      arrayLiteral(tStatus),
      arrayLiteral(tAttempt),
      arrayLiteral(tPriority),
      jsonArray(tState),
      arrayLiteral(deletes.map((m) => m.scope)),
      arrayLiteral(deletes.map((m) => m.key)),
      arrayLiteral(puts.map((m) => m.scope)),
      arrayLiteral(puts.map((m) => m.key)),
      jsonArray(puts.map((m) => JSON.stringify(m.value))),
    ]
    let lastSeq: number
    try {
      const [[last]] = (await q.query<[number]>(call, params)) as [[number]]
      lastSeq = last
    } catch (err) {
      throw refusal(err)
    }
    return storedEvents(c, lastSeq)
  }
}

/** The function's refusals as the WeftErrors of the contract; anything else unchanged. */
function refusal(err: unknown): unknown {
  const state = sqlState(err)
  const message = (err as Error).message
  if (state === 'WF409') {
    return new WeftError('conflict', message, {
      ...(message.includes('changed')
        ? { hint: 'another process acted on this run; reload it and try again' }
        : {}),
    })
  }
  if (state === 'WF404') return new WeftError('run_not_found', message)
  return err
}

/**
 * Memory writes in the commit's order, where only the last write of a key counts. They are
 * applied sorted by (scope, key), so that two commits writing the same keys lock them in the
 * same order and cannot deadlock each other.
 */
function memoryWrites(writes: NonNullable<Commit['memory']>): NonNullable<Commit['memory']> {
  return lastOfEach(writes, (m) => `${m.scope}\u0000${m.key}`).sort((a, b) =>
    a.scope !== b.scope ? (a.scope < b.scope ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  )
}

/** The stored events are built from the drafts (no read back): the same values, numbered. */
function storedEvents(c: Commit, lastSeq: number): WeftEvent[] {
  const stored: WeftEvent[] = new Array(c.events.length)
  for (let i = 0; i < c.events.length; i++) {
    const e = c.events[i]!
    // Built in the key order of the other stores' events, without spreading objects.
    const ev: Record<string, unknown> = { runId: c.runId, seq: lastSeq + i + 1, ts: e.ts, type: e.type }
    if (e.taskId != null) ev.taskId = e.taskId
    if (e.attempt != null) ev.attempt = e.attempt
    ev.severity = e.severity ?? 'info'
    ev.data = e.data
    stored[i] = ev as unknown as WeftEvent
  }
  return stored
}

/**
 * One entry per key, the last one given, in the order of their first appearance. An upsert may
 * not touch one row twice, and "a later write of the same key wins" is what the other stores do.
 */
function lastOfEach<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>()
  for (const item of items) byKey.set(key(item), item)
  return byKey.size === items.length ? [...items] : [...byKey.values()]
}
