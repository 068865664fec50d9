import { type Commit, WeftError, type WeftEvent } from '@weft/core'
import type { Db, Queryable } from './db.js'
import { ISO_NOW } from './rows.js'

/** What a commit reads of its run, under the run row's lock. */
type RunRow = [lastSeq: number, tags: string[]]

/**
 * The one write path, as one transaction:
 *
 * 1. The run's row is locked (`FOR UPDATE`), or inserted for a `create`: two commits to one run
 *    (from any process) take turns here, so the second reads the seq the first wrote. A second
 *    `create` of an id waits for the first's unique-key check, then finds the row: `conflict`.
 * 2. `expectLastSeq` is checked against the locked row.
 * 3. Events, tasks, memory, spec, summary and tags are written, each with one statement whatever
 *    the number of rows (arrays bound as parameters and expanded with `unnest`): a commit of
 *    5,000 events is one round trip for its events, not 5,000.
 *
 * Anything thrown rolls the whole transaction back: state, log and memory never disagree.
 */
export function commitRunner(db: Db, s: string) {
  const lockRun = `SELECT last_seq, ARRAY(SELECT tag FROM ${s}run_tags WHERE run_id = $1) FROM ${s}runs WHERE id = $1 FOR UPDATE`
  const insertRun = `INSERT INTO ${s}runs (id, last_seq) VALUES ($1, 0) ON CONFLICT (id) DO NOTHING`
  const insertSpec = `INSERT INTO ${s}run_specs (run_id, spec) VALUES ($1, $2)`
  const updateSpec = `UPDATE ${s}run_specs SET spec = $2 WHERE run_id = $1`
  const insertEvents = `INSERT INTO ${s}events (run_id, seq, ts, type, task_id, attempt, severity, data)
    SELECT $1, $2::bigint + e.n, e.ts, e.type, e.task_id, e.attempt, e.severity, e.data
    FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[])
      WITH ORDINALITY AS e (ts, type, task_id, attempt, severity, data, n)`
  const upsertTasks = `INSERT INTO ${s}tasks (run_id, task_id, ord, status, attempt, priority, state)
    SELECT $1, t.task_id, t.ord, t.status, t.attempt, t.priority, t.state
    FROM unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[])
      WITH ORDINALITY AS t (task_id, ord, status, attempt, priority, state, n)
    ORDER BY t.n
    ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status,
      attempt = excluded.attempt, priority = excluded.priority, state = excluded.state`
  const upsertMemory = `INSERT INTO ${s}memory (scope, key, value, updated_at)
    SELECT m.scope, m.key, m.value, ${ISO_NOW} FROM unnest($1::text[], $2::text[], $3::text[]) AS m (scope, key, value)
    ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
  const deleteMemory = `DELETE FROM ${s}memory m USING unnest($1::text[], $2::text[]) AS d (scope, key)
    WHERE m.scope = d.scope AND m.key = d.key`
  const updateSummary = `UPDATE ${s}runs SET name = $2, status = $3, created_at = $4, updated_at = $5, summary = $6, last_seq = $7 WHERE id = $1`
  const updateLastSeq = `UPDATE ${s}runs SET last_seq = $2 WHERE id = $1`
  const deleteTags = `DELETE FROM ${s}run_tags WHERE run_id = $1`
  const insertTags = `INSERT INTO ${s}run_tags (run_id, tag) SELECT $1, t FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`

  async function apply(q: Queryable, c: Commit): Promise<WeftEvent[]> {
    let row: RunRow
    if (c.create) {
      if ((await q.execute(insertRun, [c.runId])) === 0) {
        throw new WeftError('conflict', `run ${c.runId} already exists`)
      }
      await q.execute(insertSpec, [c.runId, JSON.stringify(c.create.spec)])
      row = [0, []]
    } else {
      const found = (await q.query<RunRow>(lockRun, [c.runId]))[0]
      if (!found) throw new WeftError('run_not_found', `run ${c.runId} does not exist`)
      row = found
    }
    const [lastSeq, storedTags] = row
    if (c.expectLastSeq !== undefined && c.expectLastSeq !== lastSeq) {
      throw new WeftError(
        'conflict',
        `run ${c.runId} changed (last seq ${lastSeq}, expected ${c.expectLastSeq})`,
        {
          hint: 'another process acted on this run; reload it and try again',
        },
      )
    }

    const stored = storedEvents(c, lastSeq)
    if (stored.length) {
      const cols: [string[], string[], (string | null)[], (number | null)[], string[], string[]] = [
        [],
        [],
        [],
        [],
        [],
        [],
      ]
      for (const e of stored) {
        cols[0].push(e.ts)
        cols[1].push(e.type)
        cols[2].push(e.taskId ?? null)
        cols[3].push(e.attempt ?? null)
        cols[4].push(e.severity)
        cols[5].push(JSON.stringify(e.data))
      }
      await q.execute(insertEvents, [c.runId, lastSeq, ...cols])
    }
    const newLastSeq = lastSeq + stored.length

    if (c.spec) await q.execute(updateSpec, [c.runId, JSON.stringify(c.spec)])
    const tasks = lastOfEach(c.tasks ?? [], (t) => t.taskId)
    if (tasks.length) {
      await q.execute(upsertTasks, [
        c.runId,
        tasks.map((t) => t.taskId),
        tasks.map((t) => t.order),
        tasks.map((t) => t.status),
        tasks.map((t) => t.attempt),
        tasks.map((t) => t.priority),
        tasks.map((t) => JSON.stringify(t)),
      ])
    }
    if (c.memory?.length) await writeMemory(q, c.memory)

    if (c.run) {
      const r = c.run
      // The summary is stored as given; its lastSeq is the column's, set when it is read.
      await q.execute(updateSummary, [
        c.runId,
        r.name,
        r.status,
        r.createdAt,
        r.updatedAt,
        JSON.stringify(r),
        newLastSeq,
      ])
      if (!sameTags(storedTags, r.tags)) {
        if (storedTags.length) await q.execute(deleteTags, [c.runId])
        if (r.tags.length) await q.execute(insertTags, [c.runId, [...new Set(r.tags)]])
      }
    } else if (newLastSeq !== lastSeq || c.create) {
      await q.execute(updateLastSeq, [c.runId, newLastSeq])
    }
    return stored
  }

  /**
   * Memory writes in the commit's order, where only the last write of a key counts. They are
   * applied sorted by (scope, key), so that two commits writing the same keys lock them in the
   * same order and cannot deadlock each other.
   */
  async function writeMemory(q: Queryable, writes: NonNullable<Commit['memory']>): Promise<void> {
    const last = lastOfEach(writes, (m) => `${m.scope}\u0000${m.key}`).sort((a, b) =>
      a.scope !== b.scope ? (a.scope < b.scope ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    )
    const deletes = last.filter((m) => m.value === null)
    const puts = last.filter((m) => m.value !== null)
    if (deletes.length) {
      await q.execute(deleteMemory, [deletes.map((m) => m.scope), deletes.map((m) => m.key)])
    }
    if (puts.length) {
      await q.execute(upsertMemory, [
        puts.map((m) => m.scope),
        puts.map((m) => m.key),
        puts.map((m) => JSON.stringify(m.value)),
      ])
    }
  }

  return (commit: Commit) => db.tx((q) => apply(q, commit))
}

/** The stored events are built from the drafts (no read back): the same values, numbered. */
function storedEvents(c: Commit, lastSeq: number): WeftEvent[] {
  const stored: WeftEvent[] = new Array(c.events.length)
  for (let i = 0; i < c.events.length; i++) {
    const e = c.events[i]!
    stored[i] = {
      runId: c.runId,
      seq: lastSeq + i + 1,
      ts: e.ts,
      type: e.type,
      ...(e.taskId != null ? { taskId: e.taskId } : {}),
      ...(e.attempt != null ? { attempt: e.attempt } : {}),
      severity: e.severity ?? 'info',
      data: e.data,
    } as WeftEvent
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

/** Whether the stored tags (distinct) are the summary's, as sets. */
function sameTags(stored: readonly string[], tags: readonly string[]): boolean {
  if (stored.length > tags.length) return false
  const wanted = new Set(tags)
  return wanted.size === stored.length && stored.every((t) => wanted.has(t))
}
