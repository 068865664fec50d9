import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import {
  type ArtifactRef,
  assertArtifactName,
  type Commit,
  type EventQuery,
  emptyRunCounts,
  type FullStore,
  type IdempotencyClaim,
  isTerminalRunStatus,
  type Json,
  type MemoryEntry,
  type Page,
  type RunFilter,
  RunFilterSchema,
  type RunLease,
  type RunSpec,
  type RunStatus,
  type RunSummary,
  type Signal,
  STORE_SPECIFICATION_VERSION,
  type TaskState,
  WeftError,
  type WeftEvent,
} from '@weft/core'
import Database from 'better-sqlite3'
import { isBusyError, retryBusy } from './busy.js'
import { migrate } from './migrations.js'
import { createSqliteDataflowStore } from './sqlite-dataflow.js'
import { createSqliteQueueStore, queryTasks } from './sqlite-queue.js'
import { createSqliteScheduleStore } from './sqlite-schedules.js'

export interface SqliteStoreOptions {
  /** The database file (created with its parent directory when missing), or `:memory:`. */
  path: string
  /**
   * How long a statement waits for another connection's lock before SQLite reports it busy.
   * Default 5000 ms. Writers take turns; readers never wait for writers (WAL).
   */
  busyTimeoutMs?: number
}

/** What a commit reads of its run: the seq, and the indexed copies of summary fields. */
interface RunRow {
  last_seq: number
  name: string | null
  status: string | null
  created_at: string | null
  has_summary: number
}

interface EventRow {
  run_id: string
  seq: number
  ts: string
  type: WeftEvent['type']
  task_id: string | null
  attempt: number | null
  severity: WeftEvent['severity']
  data: string
}

interface LeaseRow {
  run_id: string
  owner: string
  /** Milliseconds since the epoch. */
  expires_at: number
}

interface IdempotencyRow {
  key: string
  body_hash: string
  owner: string | null
  expires_at: number | null
  run_id: string | null
}

interface ArtifactRow {
  run_id: string
  name: string
  task_id: string | null
  content_type: string | null
  size: number
  created_at: string
}

interface MemoryRow {
  scope: string
  key: string
  value: string
  updated_at: string
}

interface SignalRow {
  id: number
  run_id: string
  kind: Signal['kind']
  data: string | null
  created_at: string
}

const EVENT_COLUMNS = 'run_id, seq, ts, type, task_id, attempt, severity, data'
const ARTIFACT_COLUMNS = 'run_id, name, task_id, content_type, size, created_at'
const MEMORY_COLUMNS = 'scope, key, value, updated_at'
const DEFAULT_EVENT_LIMIT = 1000

/**
 * The embedded default store: one SQLite file, WAL journal, one transaction per commit. Several
 * processes may open the same file: readers see the last committed state while a writer works,
 * and writers queue on the file lock (`busyTimeoutMs`).
 *
 * Leases are rows decided inside IMMEDIATE transactions, so they hold across every process that
 * opens the file. `capabilities.leases` is true for `:memory:` too: only this process can open
 * that database, so "every process" is this one and the leases are exact there as well.
 */
export function createSqliteStore(options: SqliteStoreOptions): FullStore {
  const inMemory = options.path === ':memory:'
  const file = inMemory ? ':memory:' : resolve(options.path)
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  let conn: Connection | undefined
  let closed = false

  function connection(): Connection {
    if (closed) {
      throw new WeftError('internal', `the sqlite store ${file} is closed`, {
        hint: 'create a new store to open the database again',
      })
    }
    conn ??= openConnection(file, inMemory, busyTimeoutMs)
    return conn
  }

  /** Every operation: one synchronous unit of work on the connection, retried whole if busy. */
  async function run<T>(work: (c: Connection) => T): Promise<T> {
    try {
      return await retryBusy(() => work(connection()))
    } catch (err) {
      if (!isBusyError(err)) throw err
      throw new WeftError(
        'internal',
        `the sqlite database ${file} stayed locked by another connection: ${(err as Error).message}`,
        {
          hint: `another process held a write lock longer than busyTimeoutMs (${busyTimeoutMs} ms); raise busyTimeoutMs or find the process that keeps the database locked`,
          cause: err,
        },
      )
    }
  }

  return {
    specificationVersion: STORE_SPECIFICATION_VERSION,
    id: `sqlite:${file}`,
    capabilities: {
      transactions: true,
      multiProcess: !inMemory,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      dataflow: true,
      queue: true,
      schedules: true,
    },

    dataflow: createSqliteDataflowStore((work) => run((c) => work(c.db))),
    queue: createSqliteQueueStore((work) => run((c) => work(c.db))),
    schedules: createSqliteScheduleStore((work) => run((c) => work(c.db))),

    async init() {
      await run(() => undefined)
    },

    async close() {
      closed = true
      const c = conn
      conn = undefined
      c?.db.close()
    },

    commit: (commit) => run((c) => c.commit.immediate(commit)),

    runs: {
      get: (runId) => run((c) => parseOptional<RunSummary>(c.getSummary.get(runId) as string | undefined)),
      getSpec: (runId) => run((c) => parseOptional<RunSpec>(c.getSpec.get(runId) as string | undefined)),
      list: (filter) => run((c) => listRuns(c, filter)),
      counts: () =>
        run((c) => {
          const counts = emptyRunCounts()
          const rows = cached(
            c,
            'SELECT status, count(*) AS n FROM runs WHERE summary IS NOT NULL GROUP BY status',
          ).all() as {
            status: RunStatus
            n: number
          }[]
          for (const r of rows) if (r.status in counts) counts[r.status] = r.n
          return counts
        }),
      async delete(runIds) {
        // One transaction per run, awaited one after another: the write lock is held for one
        // run's rows at a time, so a prune of thousands of runs never stalls the commits of
        // runs that are running (here or in another process) for longer than that.
        let deleted = 0
        for (const runId of new Set(runIds)) {
          if (await run((c) => c.deleteRun.immediate(runId))) deleted++
        }
        return deleted
      },
    },

    tasks: {
      list: (runId) =>
        run((c) => (c.listTasks.all(runId) as string[]).map((s) => JSON.parse(s) as TaskState)),
      get: (runId, taskId) =>
        run((c) => parseOptional<TaskState>(c.getTask.get(runId, taskId) as string | undefined)),
      query: (query) => run((c) => queryTasks(c.db, query)),
    },

    events: {
      read: (runId, opts = {}) =>
        run((c) =>
          (c.readEvents.all(runId, opts.afterSeq ?? 0, opts.limit ?? DEFAULT_EVENT_LIMIT) as EventRow[]).map(
            toEvent,
          ),
        ),
      query: (query) => run((c) => queryEvents(c, query)),
    },

    signals: {
      send: (signal) =>
        run((c) => {
          const createdAt = new Date().toISOString()
          const data = signal.data === undefined ? null : JSON.stringify(signal.data)
          const { lastInsertRowid } = c.insertSignal.run(signal.runId, signal.kind, data, createdAt)
          return toSignal({
            id: Number(lastInsertRowid),
            run_id: signal.runId,
            kind: signal.kind,
            data,
            created_at: createdAt,
          })
        }),
      receive: (runIds, afterId) =>
        run((c) =>
          runIds.length === 0
            ? []
            : (c.receiveSignals.all(afterId, JSON.stringify(runIds)) as SignalRow[]).map(toSignal),
        ),
      lastId: () => run((c) => c.lastSignalId.get() as number),
    },

    leases: {
      acquire: (runId, owner, ttlMs) => run((c) => c.acquireLease.immediate(runId, owner, ttlMs)),
      renew: (runId, owner, ttlMs) =>
        run((c) => c.renewLease.run(expiryFrom(Date.now(), ttlMs), runId, owner).changes > 0),
      release: (runId, owner) =>
        run((c) => {
          c.releaseLease.run(runId, owner)
        }),
      get: (runId) =>
        run((c) => {
          const row = c.getLease.get(runId) as LeaseRow | undefined
          return row && toLease(row)
        }),
    },

    idempotency: {
      claim: (key, bodyHash, owner, ttlMs) => run((c) => c.claimKey.immediate(key, bodyHash, owner, ttlMs)),
      complete: (key, owner, runId) => run((c) => c.completeKey.immediate(key, owner, runId)),
      release: (key, owner) =>
        run((c) => {
          c.releaseKey.run(key, owner)
        }),
    },

    artifacts: {
      put: async (artifact) => {
        assertArtifactName(artifact.name)
        return run((c) => c.putArtifact.immediate(artifact))
      },
      get: (runId, name) =>
        run((c) => {
          const row = c.getArtifact.get(runId, name) as (ArtifactRow & { data: Buffer }) | undefined
          if (!row) return undefined
          // A plain Uint8Array over the Buffer's bytes, as the contract types it (no copy).
          const data = new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength)
          return { ref: toArtifactRef(row), data }
        }),
      list: (runId) =>
        run((c) =>
          (c.listArtifacts.all(runId) as ArtifactRow[])
            .map(toArtifactRef)
            // SQLite orders names by UTF-8 bytes; sort by UTF-16 code units like the other stores.
            .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
        ),
    },

    memory: {
      get: (scope, key) =>
        run((c) => {
          const row = c.getMemory.get(scope, key) as MemoryRow | undefined
          return row && toMemoryEntry(row)
        }),
      list: (scope) =>
        run((c) =>
          (c.listMemory.all(scope) as MemoryRow[])
            .map(toMemoryEntry)
            // SQLite orders keys by UTF-8 bytes; sort by UTF-16 code units like the other stores.
            .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)),
        ),
    },
  }
}

type Connection = ReturnType<typeof openConnection>

function openConnection(file: string, inMemory: boolean, busyTimeoutMs: number) {
  if (!inMemory) mkdirSync(dirname(file), { recursive: true })
  // `timeout` is SQLite's busy_timeout: wait for another connection's lock instead of failing.
  const db = new Database(file, { timeout: busyTimeoutMs })
  try {
    // WAL: readers in other processes keep reading the last committed state while one writes.
    if (!inMemory) db.pragma('journal_mode = WAL')
    // A page cache of up to 32 MiB (the default is 2 MiB): a run's commits rewrite task rows and
    // index pages all over the file, and re-reading them from the OS on every commit cost more
    // than the writes. Durability is unchanged (synchronous stays FULL).
    db.pragma('cache_size = -32000')
    db.pragma('foreign_keys = ON')
    migrate(db)
    return prepare(db)
  } catch (err) {
    db.close()
    throw err
  }
}

function prepare(db: Database.Database) {
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
  const upsertTask = db.prepare(
    `INSERT INTO tasks (run_id, task_id, ord, status, state) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
  )
  const updateTask = db.prepare(
    'UPDATE tasks SET status = ?, state = ? WHERE run_id = ? AND task_id = ? AND ord = ?',
  )
  // One single-row INSERT per event: measured faster than multi-row VALUES (which SQLite runs
  // as a coroutine) for the bursts a commit carries.
  const insertEvent = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
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

    // The stored events are built from the drafts (their `data` objects included) rather than
    // parsed back from the rows: the same values, without a JSON.parse per event.
    const stored: WeftEvent[] = new Array(c.events.length)
    for (let i = 0; i < c.events.length; i++) {
      const e = c.events[i]!
      const seq = lastSeq + i + 1
      const severity = e.severity ?? 'info'
      insertEvent.run(
        c.runId,
        seq,
        e.ts,
        e.type,
        e.taskId ?? null,
        e.attempt ?? null,
        severity,
        JSON.stringify(e.data),
      )
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
      event.severity = severity
      event.data = e.data as never
      stored[i] = event
    }
    const newLastSeq = lastSeq + stored.length

    if (c.spec) updateSpec.run(JSON.stringify(c.spec), c.runId)
    for (const t of c.tasks ?? []) {
      const state = JSON.stringify(t)
      // A task already stored at the same order is one UPDATE that leaves the order index alone.
      if (c.create || updateTask.run(t.status, state, c.runId, t.taskId, t.order).changes === 0) {
        upsertTask.run(c.runId, t.taskId, t.order, t.status, state)
      }
    }
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
    return stored
  })

  /** Tags are remembered only once their transaction committed (a rolled back one wrote none). */
  const commit = {
    immediate(c: Commit): WeftEvent[] {
      tagsCommitted = undefined
      const stored = commitTx.immediate(c)
      // Set by the transaction above (TypeScript cannot see that through the call).
      const t = tagsCommitted as TagsNote | undefined
      if (t?.tags) tagsWritten.set(t.runId, { tags: t.tags, lastSeq: t.lastSeq })
      else if (t) tagsWritten.delete(t.runId)
      return stored
    },
  }

  const getLease = db.prepare('SELECT run_id, owner, expires_at FROM run_leases WHERE run_id = ?')
  // Takes the lease unless another owner holds an unexpired one: the condition is part of the
  // upsert, so what decides is the row as it is under the write lock, not an earlier read.
  const takeLease = db.prepare(
    `INSERT INTO run_leases (run_id, owner, expires_at) VALUES (@runId, @owner, @expiresAt)
     ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE run_leases.owner = excluded.owner OR run_leases.expires_at <= @now`,
  )

  /** Runs inside `.immediate()`: the holder read back is the one that won, in any process. */
  const acquireLease = db.transaction(
    (runId: string, owner: string, ttlMs: number): { acquired: boolean; lease: RunLease } => {
      const now = Date.now()
      const { changes } = takeLease.run({ runId, owner, expiresAt: expiryFrom(now, ttlMs), now })
      const lease = toLease(getLease.get(runId) as LeaseRow)
      return { acquired: changes > 0, lease }
    },
  )

  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
  const upsertArtifact = db.prepare(
    `INSERT INTO artifacts (${ARTIFACT_COLUMNS}, data) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, name) DO UPDATE SET task_id = excluded.task_id, content_type = excluded.content_type,
       size = excluded.size, created_at = excluded.created_at, data = excluded.data`,
  )

  /** Checks the run and writes under one lock, so a run deleted meanwhile gets no orphan artifact. */
  const putArtifact = db.transaction(
    (a: { runId: string; taskId?: string; name: string; contentType?: string; data: Uint8Array }) => {
      if (!runExists.get(a.runId)) throw new WeftError('run_not_found', `run ${a.runId} does not exist`)
      const row: ArtifactRow = {
        run_id: a.runId,
        name: a.name,
        task_id: a.taskId || null,
        content_type: a.contentType || null,
        size: a.data.byteLength,
        created_at: new Date().toISOString(),
      }
      // better-sqlite3 binds a Uint8Array as a BLOB of exactly the viewed bytes.
      upsertArtifact.run(
        row.run_id,
        row.name,
        row.task_id,
        row.content_type,
        row.size,
        row.created_at,
        a.data,
      )
      return toArtifactRef(row)
    },
  )

  const getKey = db.prepare(
    'SELECT key, body_hash, owner, expires_at, run_id FROM idempotency_keys WHERE key = ?',
  )
  const putKey = db.prepare(
    `INSERT INTO idempotency_keys (key, body_hash, owner, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET body_hash = excluded.body_hash, owner = excluded.owner, expires_at = excluded.expires_at`,
  )
  const setKeyRun = db.prepare(
    'UPDATE idempotency_keys SET run_id = ?, owner = NULL, expires_at = NULL WHERE key = ? AND owner = ? AND run_id IS NULL',
  )

  /** Runs inside `.immediate()`: the read and the write see the same row in every process. */
  const claimKey = db.transaction(
    (key: string, bodyHash: string, owner: string, ttlMs: number): IdempotencyClaim => {
      const now = Date.now()
      const row = getKey.get(key) as IdempotencyRow | undefined
      if (row?.run_id != null) return { status: 'done', runId: row.run_id, bodyHash: row.body_hash }
      if (row && row.owner !== owner && (row.expires_at ?? 0) > now) {
        return {
          status: 'busy',
          owner: row.owner ?? '',
          bodyHash: row.body_hash,
          expiresAt: new Date(row.expires_at ?? 0).toISOString(),
        }
      }
      putKey.run(key, bodyHash, owner, expiryFrom(now, ttlMs))
      return { status: 'claimed' }
    },
  )

  const completeKey = db.transaction((key: string, owner: string, runId: string): boolean => {
    if (setKeyRun.run(runId, key, owner).changes > 0) return true
    return (getKey.get(key) as IdempotencyRow | undefined)?.run_id === runId
  })

  const deleteStatements = [
    'DELETE FROM events WHERE run_id = ?',
    'DELETE FROM tasks WHERE run_id = ?',
    'DELETE FROM run_tags WHERE run_id = ?',
    'DELETE FROM artifacts WHERE run_id = ?',
    'DELETE FROM signals WHERE run_id = ?',
    'DELETE FROM run_leases WHERE run_id = ?',
    'DELETE FROM run_specs WHERE run_id = ?',
    'DELETE FROM idempotency_keys WHERE run_id = ?',
  ].map((sql) => db.prepare(sql))
  const deleteRunRow = db.prepare('DELETE FROM runs WHERE id = ?')
  const deleteRunMemory = db.prepare('DELETE FROM memory WHERE scope = ?')

  /**
   * One run and everything that belongs to it, all or nothing. The rows are deleted explicitly
   * (not left to ON DELETE CASCADE) because signals and leases have no foreign key to the run.
   * Signal ids are AUTOINCREMENT, so deleting signals never lets an id be handed out again. The
   * run's memory scope goes too; agent scopes outlive the runs that wrote them.
   */
  const deleteRunTx = db.transaction((runId: string): boolean => {
    if (!runExists.get(runId)) return false
    for (const stmt of deleteStatements) stmt.run(runId)
    deleteRunMemory.run(`run:${runId}`)
    deleteRunRow.run(runId)
    return true
  })

  const deleteRun = {
    immediate(runId: string): boolean {
      tagsWritten.delete(runId)
      return deleteRunTx.immediate(runId)
    },
  }

  return {
    db,
    commit,
    deleteRun,
    acquireLease,
    getLease,
    renewLease: db.prepare('UPDATE run_leases SET expires_at = ? WHERE run_id = ? AND owner = ?'),
    releaseLease: db.prepare('DELETE FROM run_leases WHERE run_id = ? AND owner = ?'),
    claimKey,
    completeKey,
    releaseKey: db.prepare('DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND run_id IS NULL'),
    putArtifact,
    getArtifact: db.prepare(`SELECT ${ARTIFACT_COLUMNS}, data FROM artifacts WHERE run_id = ? AND name = ?`),
    listArtifacts: db.prepare(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE run_id = ? ORDER BY name`),
    getMemory: db.prepare(`SELECT ${MEMORY_COLUMNS} FROM memory WHERE scope = ? AND key = ?`),
    listMemory: db.prepare(`SELECT ${MEMORY_COLUMNS} FROM memory WHERE scope = ?`),
    getSummary: db.prepare('SELECT summary FROM runs WHERE id = ? AND summary IS NOT NULL').pluck(),
    getSpec: db.prepare('SELECT spec FROM run_specs WHERE run_id = ?').pluck(),
    // rowid breaks ties of equal `order` by first insertion, as the in-memory store does.
    listTasks: db.prepare('SELECT state FROM tasks WHERE run_id = ? ORDER BY ord, rowid').pluck(),
    getTask: db.prepare('SELECT state FROM tasks WHERE run_id = ? AND task_id = ?').pluck(),
    readEvents: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    insertSignal: db.prepare('INSERT INTO signals (run_id, kind, data, created_at) VALUES (?, ?, ?, ?)'),
    receiveSignals: db.prepare(
      'SELECT id, run_id, kind, data, created_at FROM signals WHERE id > ? AND run_id IN (SELECT value FROM json_each(?)) ORDER BY id',
    ),
    // The AUTOINCREMENT counter, not max(id): when the newest signal's run was deleted, max(id)
    // would step back below ids that readers have already seen.
    lastSignalId: db
      .prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'signals'), 0)")
      .pluck(),
    /** Statements whose WHERE clause depends on the filter, by SQL text (a few dozen at most). */
    dynamic: new Map<string, Database.Statement>(),
  }
}

function cached(c: Connection, sql: string): Database.Statement {
  let stmt = c.dynamic.get(sql)
  if (!stmt) {
    stmt = c.db.prepare(sql)
    c.dynamic.set(sql, stmt)
  }
  return stmt
}

function listRuns(c: Connection, filter: RunFilter = {}): Page<RunSummary> {
  const f = RunFilterSchema.parse(filter)
  const where = ['summary IS NOT NULL']
  const params: unknown[] = []
  if (f.status) {
    where.push('status IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(f.status))
  }
  if (f.name) {
    where.push('name = ?')
    params.push(f.name)
  }
  if (f.tag) {
    where.push('id IN (SELECT run_id FROM run_tags WHERE tag = ?)')
    params.push(f.tag)
  }
  if (f.createdBefore) {
    where.push('created_at < ?')
    params.push(f.createdBefore)
  }
  // The cursor is the id of the last run of the previous page: ids sort by creation time.
  if (f.cursor) {
    where.push('id < ?')
    params.push(f.cursor)
  }
  // One row more than asked tells whether there is a next page without a second query.
  const sql = `SELECT summary FROM runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`
  const rows = cached(c, sql)
    .pluck()
    .all(...params, f.limit + 1) as string[]
  const items = rows.slice(0, f.limit).map((s) => JSON.parse(s) as RunSummary)
  return rows.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
}

function queryEvents(c: Connection, q: EventQuery): WeftEvent[] {
  const where: string[] = []
  const params: unknown[] = []
  if (q.runId) {
    where.push('run_id = ?')
    params.push(q.runId)
  }
  if (q.types) {
    where.push('type IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(q.types))
  }
  if (q.taskId) {
    where.push('task_id = ?')
    params.push(q.taskId)
  }
  if (q.severities) {
    where.push('severity IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(q.severities))
  }
  if (q.since) {
    where.push('ts >= ?')
    params.push(q.since)
  }
  if (q.until) {
    where.push('ts < ?')
    params.push(q.until)
  }
  // One run reads in log order; across runs, time order is what a person querying expects.
  const order = q.runId ? 'seq' : 'ts, run_id, seq'
  const sql = `SELECT ${EVENT_COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`
  return (cached(c, sql).all(...params, q.limit ?? DEFAULT_EVENT_LIMIT) as EventRow[]).map(toEvent)
}

/** Whether the stored tags (distinct) are the summary's, as sets. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function sameTags(stored: string[], tags: readonly string[]): boolean {
  if (stored.length > tags.length) return false
  const wanted = new Set(tags)
  return wanted.size === stored.length && stored.every((t) => wanted.has(t))
}

function parseOptional<T>(text: string | undefined): T | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as T)
}

function toEvent(r: EventRow): WeftEvent {
  return {
    runId: r.run_id,
    seq: r.seq,
    ts: r.ts,
    type: r.type,
    ...(r.task_id !== null ? { taskId: r.task_id } : {}),
    ...(r.attempt !== null ? { attempt: r.attempt } : {}),
    severity: r.severity,
    data: JSON.parse(r.data),
  } as WeftEvent
}

/** Whole milliseconds (the column is an INTEGER), truncated as `new Date(ms)` would. */
function expiryFrom(now: number, ttlMs: number): number {
  return Math.floor(now + ttlMs)
}

function toLease(r: LeaseRow): RunLease {
  return { runId: r.run_id, owner: r.owner, expiresAt: new Date(r.expires_at).toISOString() }
}

function toArtifactRef(r: ArtifactRow): ArtifactRef {
  return {
    runId: r.run_id,
    ...(r.task_id !== null ? { taskId: r.task_id } : {}),
    name: r.name,
    ...(r.content_type !== null ? { contentType: r.content_type } : {}),
    size: r.size,
    createdAt: r.created_at,
  }
}

function toMemoryEntry(r: MemoryRow): MemoryEntry {
  return { scope: r.scope, key: r.key, value: JSON.parse(r.value) as Json, updatedAt: r.updated_at }
}

function toSignal(r: SignalRow): Signal {
  return {
    id: r.id,
    runId: r.run_id,
    kind: r.kind,
    ...(r.data !== null ? { data: JSON.parse(r.data) as Json } : {}),
    createdAt: r.created_at,
  }
}
