import { type Commit, isTerminalRunStatus, type RunSummary, WeftError, type WeftEvent } from '@weft/core'
import type { Database } from './driver.js'
import { prepareEventInserts } from './event-inserts.js'
import { MEMORY_COLUMNS } from './rows.js'
import type { TaskJournal } from './task-journal.js'
import { prepareTaskWrites } from './task-writes.js'

/** What a commit reads of its run: the seq, and the indexed copies of summary fields. */
interface RunRow {
  last_seq: number
  name: string | null
  status: string | null
  created_at: string | null
  has_summary: number
}

/**
 * The run log's one write path on a connection: a commit's events, tasks, memory, spec, summary
 * and tags in one IMMEDIATE transaction. `forgetRun` drops what the connection remembers of a
 * run's tags, for a run that is being deleted.
 */
export function prepareCommit(db: Database, journal: TaskJournal) {
  const getRun = db.prepare(
    'SELECT last_seq, name, status, created_at, summary IS NOT NULL AS has_summary FROM runs WHERE id = ?',
  )
  const getSummaryText = db.prepare('SELECT summary FROM runs WHERE id = ?').pluck()
  const insertRun = db.prepare('INSERT INTO runs (id, last_seq) VALUES (?, 0)')
  const insertSpec = db.prepare('INSERT INTO run_specs (run_id, spec) VALUES (?, ?)')
  const updateSpec = db.prepare('UPDATE run_specs SET spec = ? WHERE run_id = ?')
  // Every write below dirties B-tree pages, and each dirty page is written to the WAL and synced
  // with the commit: a commit's cost grows with the pages it touches, not with the rows. So the
  // indexed columns (name, status, created_at: four indexes) are set only when they change, tags
  // only when they change, and a task's `ord` (its index) only when it changes.
  const updateSummary = db.prepare(
    'UPDATE runs SET name = ?, status = ?, created_at = ?, updated_at = ?, summary = ?, last_seq = ? WHERE id = ?',
  )
  const updateSummaryOnly = db.prepare(
    'UPDATE runs SET updated_at = ?, summary = ?, last_seq = ? WHERE id = ?',
  )
  const updateLastSeq = db.prepare('UPDATE runs SET summary = ?, last_seq = ? WHERE id = ?')
  const listTags = db.prepare('SELECT tag FROM run_tags WHERE run_id = ?').pluck()
  const deleteTags = db.prepare('DELETE FROM run_tags WHERE run_id = ?')
  const insertTag = db.prepare('INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)')
  const writeTasks = prepareTaskWrites(db, journal)
  const insertEvents = prepareEventInserts(db)
  const upsertMemory = db.prepare(
    `INSERT INTO memory (${MEMORY_COLUMNS}) VALUES (?, ?, ?, ?)
     ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  )
  const deleteMemory = db.prepare('DELETE FROM memory WHERE scope = ? AND key = ?')

  /** Per run, the tags this connection last committed (a copy), and those of the commit running. */
  const tagsWritten = new Map<string, { tags: string[]; lastSeq: number }>()
  type TagsNote = { runId: string; tags?: string[]; lastSeq: number }
  let tagsCommitted: TagsNote | undefined

  /**
   * The one write path. Runs inside `.immediate()`: the write lock is taken before the last seq
   * is read, so two processes cannot both read seq n and both write n + 1.
   */
  const commitTx = db.transaction((c: Commit): WeftEvent[] => {
    let row = getRun.get(c.runId) as RunRow | undefined
    if (c.create) {
      if (row) throw new WeftError('conflict', `run ${c.runId} already exists`)
      insertRun.run(c.runId)
      insertSpec.run(c.runId, JSON.stringify(c.create.spec))
      row = { last_seq: 0, name: null, status: null, created_at: null, has_summary: 0 }
    } else if (!row) {
      throw new WeftError('run_not_found', `run ${c.runId} does not exist`)
    }
    const lastSeq = row.last_seq
    if (c.expectLastSeq !== undefined && c.expectLastSeq !== lastSeq) {
      throw new WeftError(
        'conflict',
        `run ${c.runId} changed (last seq ${lastSeq}, expected ${c.expectLastSeq})`,
        {
          hint: 'another process acted on this run; reload it and try again',
        },
      )
    }

    insertEvents(c.runId, lastSeq + 1, c.events)
    // The stored events are built from the drafts (their `data` objects included) rather than
    // parsed back from the rows: the same values, without a JSON.parse per event.
    const stored: WeftEvent[] = new Array(c.events.length)
    for (let i = 0; i < c.events.length; i++) {
      const e = c.events[i]!
      const seq = lastSeq + i + 1
      // The runtime's events come stamped for this run with seq 0 and a severity, and it never
      // changes them once committed: such an event is numbered in place and handed back (as the
      // memory store does), instead of a copy per event. Any other draft gets an event of its own.
      const draft = e as typeof e & { runId?: string; seq?: number }
      if (draft.seq === 0 && draft.runId === c.runId && draft.severity !== undefined) {
        draft.seq = seq
        stored[i] = draft as WeftEvent
        continue
      }
      // Fields assigned in the order they always had, not spread: this runs for every event.
      const event = { runId: c.runId, seq, ts: e.ts, type: e.type } as WeftEvent & {
        taskId?: string
        attempt?: number
      }
      if (e.taskId != null) event.taskId = e.taskId
      if (e.attempt != null) event.attempt = e.attempt
      event.severity = e.severity ?? 'info'
      event.data = e.data as never
      stored[i] = event
    }
    const newLastSeq = lastSeq + stored.length

    if (c.spec) updateSpec.run(JSON.stringify(c.spec), c.runId)
    if (c.tasks) writeTasks(c.runId, c.tasks, c.create !== undefined)
    // In the commit's order, so that a later write of the same key wins, as in the other stores.
    const updatedAt = new Date().toISOString()
    for (const m of c.memory ?? []) {
      if (m.value === null) deleteMemory.run(m.scope, m.key)
      else upsertMemory.run(m.scope, m.key, JSON.stringify(m.value), updatedAt)
    }

    if (c.run) {
      const s = c.run
      const text = JSON.stringify({ ...s, lastSeq: newLastSeq })
      if (
        row.has_summary &&
        row.name === s.name &&
        row.status === s.status &&
        row.created_at === s.createdAt
      ) {
        updateSummaryOnly.run(s.updatedAt, text, newLastSeq, c.runId)
      } else {
        updateSummary.run(s.name, s.status, s.createdAt, s.updatedAt, text, newLastSeq, c.runId)
      }
      // Tags change rarely: when they are the ones this connection committed last for the run,
      // and no other connection committed to it since (the seq says), the tag rows are not read
      // again (a SELECT per commit otherwise).
      const known = tagsWritten.get(c.runId)
      const same = known !== undefined && known.lastSeq === lastSeq && sameList(known.tags, s.tags)
      if (!same && !sameTags(listTags.all(c.runId) as string[], s.tags)) {
        deleteTags.run(c.runId)
        for (const tag of s.tags) insertTag.run(c.runId, tag)
      }
      tagsCommitted = { runId: c.runId, tags: same ? known.tags : [...s.tags], lastSeq: newLastSeq }
      // An ended run commits little more: it is forgotten, so the map holds only live runs.
      if (isTerminalRunStatus(s.status)) tagsCommitted.tags = undefined
    } else if (newLastSeq !== lastSeq) {
      // The stored summary keeps saying which seq it is current to, even when only events moved.
      const stored = row.has_summary ? (getSummaryText.get(c.runId) as string) : null
      const summary =
        stored === null
          ? null
          : JSON.stringify({ ...(JSON.parse(stored) as RunSummary), lastSeq: newLastSeq })
      updateLastSeq.run(summary, newLastSeq, c.runId)
      const known = tagsWritten.get(c.runId)
      if (known?.lastSeq === lastSeq)
        tagsCommitted = { runId: c.runId, tags: known.tags, lastSeq: newLastSeq }
    }
    // An ended run's tasks are what is read next (its summary, an export): folded at once.
    journal.foldIfDue(c.run !== undefined && isTerminalRunStatus(c.run.status))
    return stored
  })

  return {
    /** Tags are remembered only once their transaction committed (a rolled back one wrote none). */
    immediate(c: Commit): WeftEvent[] {
      tagsCommitted = undefined
      const stored = commitTx.immediate(c)
      // Set by the transaction above (TypeScript cannot see that through the call).
      const t = tagsCommitted as TagsNote | undefined
      if (t?.tags) tagsWritten.set(t.runId, { tags: t.tags, lastSeq: t.lastSeq })
      else if (t) tagsWritten.delete(t.runId)
      return stored
    },
    forgetRun(runId: string): void {
      tagsWritten.delete(runId)
    },
  }
}

/** Whether two lists hold the same strings in the same order. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether the stored tags (distinct) are the summary's, as sets. */
function sameTags(stored: string[], tags: readonly string[]): boolean {
  if (stored.length > tags.length) return false
  const wanted = new Set(tags)
  return wanted.size === stored.length && stored.every((t) => wanted.has(t))
}
