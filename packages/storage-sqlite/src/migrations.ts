import { WeftError } from '@weft/core'
import type { Database } from './driver.js'

export interface Migration {
  /** 1, 2, 3, … in order, never reused: the number a database records once it is applied. */
  version: number
  name: string
  sql: string
}

/**
 * The schema, as an append-only list. A released migration is never edited: a change to the
 * schema is a new entry, so every database reaches the same schema by the same steps.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      -- One row per run. name/status/created_at are copies of summary fields, kept as columns so
      -- that lists filter and sort on indexes instead of parsing JSON. summary is NULL until the
      -- first commit that carries one.
      CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        name        TEXT,
        status      TEXT,
        created_at  TEXT,
        updated_at  TEXT,
        summary     TEXT,
        spec        TEXT NOT NULL,
        last_seq    INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX runs_by_status ON runs (status, id);
      CREATE INDEX runs_by_name ON runs (name, id);
      CREATE INDEX runs_by_created_at ON runs (created_at);

      -- Tags are a list, so a side table makes "runs with tag X" an index lookup.
      CREATE TABLE run_tags (
        run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        tag     TEXT NOT NULL,
        PRIMARY KEY (run_id, tag)
      ) STRICT;
      CREATE INDEX run_tags_by_tag ON run_tags (tag, run_id);

      CREATE TABLE tasks (
        run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task_id  TEXT NOT NULL,
        ord      INTEGER NOT NULL,
        status   TEXT NOT NULL,
        state    TEXT NOT NULL,
        PRIMARY KEY (run_id, task_id)
      ) STRICT;
      CREATE INDEX tasks_by_order ON tasks (run_id, ord);

      CREATE TABLE events (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        ts        TEXT NOT NULL,
        type      TEXT NOT NULL,
        task_id   TEXT,
        attempt   INTEGER,
        severity  TEXT NOT NULL,
        data      TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) STRICT;
      CREATE INDEX events_by_type ON events (type, ts);
      CREATE INDEX events_by_task ON events (run_id, task_id, seq);
      CREATE INDEX events_by_severity ON events (severity, ts);
      CREATE INDEX events_by_ts ON events (ts);

      -- AUTOINCREMENT so that ids are never reused: readers remember the last id they saw.
      CREATE TABLE signals (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        data        TEXT,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX signals_by_run ON signals (run_id, id);
    `,
  },
  {
    version: 2,
    name: 'leases, artifacts, prune',
    sql: `
      -- Who runs a run. expires_at is milliseconds since the epoch, so that "expired" is one
      -- integer comparison inside the acquiring transaction. No foreign key: a lease is about
      -- ownership and may be asked for before (or after) the run row exists; runs.delete removes it.
      CREATE TABLE run_leases (
        run_id      TEXT PRIMARY KEY,
        owner       TEXT NOT NULL,
        expires_at  INTEGER NOT NULL
      ) STRICT;

      -- Files that tasks produced, kept in the database so that a run and its outputs are backed
      -- up, copied and deleted together. The primary key gives listing by name for free.
      CREATE TABLE artifacts (
        run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        task_id       TEXT,
        content_type  TEXT,
        size          INTEGER NOT NULL,
        created_at    TEXT NOT NULL,
        data          BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
      ) STRICT;

      -- Retention ("runs older than 30 days with status X") filters on both columns.
      CREATE INDEX runs_by_status_created_at ON runs (status, created_at);
    `,
  },
  {
    version: 3,
    name: 'memory',
    sql: `
      -- Key-value memory by scope: 'run:<run-id>' for one run, 'agent:<name>' across runs. No
      -- foreign key: agent scopes belong to no run, and a run scope is removed by runs.delete
      -- explicitly. The primary key is the lookup and gives a scope's keys in order.
      CREATE TABLE memory (
        scope       TEXT NOT NULL,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'run specs in a table of their own',
    sql: `
      -- A run's spec (its whole workflow) moves out of the runs row. SQLite rewrites the whole
      -- row on every UPDATE, and every commit updates the run's row (summary, last_seq), so with
      -- the spec in it each commit of a 100,000-task run rewrote megabytes: a run's commits grew
      -- with its size. The spec is written when the run is created and when tasks are added.
      CREATE TABLE run_specs (
        run_id  TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        spec    TEXT NOT NULL
      ) STRICT;
      INSERT INTO run_specs (run_id, spec) SELECT id, spec FROM runs;
      ALTER TABLE runs DROP COLUMN spec;
    `,
  },
  {
    version: 5,
    name: 'idempotency keys',
    sql: `
      -- Request keys that start one run (the server's Idempotency-Key). A key is first claimed by
      -- an owner until expires_at (milliseconds since the epoch), then completed with its run_id
      -- (owner and expires_at cleared). No foreign key: a claim exists before its run does;
      -- runs.delete removes the keys of the runs it deletes.
      CREATE TABLE idempotency_keys (
        key         TEXT PRIMARY KEY,
        body_hash   TEXT NOT NULL,
        owner       TEXT,
        expires_at  INTEGER,
        run_id      TEXT
      ) STRICT;
      CREATE INDEX idempotency_keys_by_run ON idempotency_keys (run_id) WHERE run_id IS NOT NULL;
      -- Before this table the server tagged a run 'idempotency:<key>' and kept the body's hash in
      -- its spec (params.idempotency.bodyHash): those keys keep answering their runs.
      INSERT OR IGNORE INTO idempotency_keys (key, body_hash, run_id)
        SELECT substr(t.tag, 13), json_extract(s.spec, '$.params.idempotency.bodyHash'), t.run_id
        FROM run_tags t JOIN run_specs s ON s.run_id = t.run_id
        WHERE t.tag LIKE 'idempotency:%'
          AND json_type(s.spec, '$.params.idempotency.bodyHash') = 'text';
    `,
  },
  {
    version: 6,
    name: 'dataflow executions',
    sql: `
      -- Dataflow executions (@weft/dataflow): the record as JSON, with the fields lists filter on
      -- copied out, and the recorded events (state changes, node errors, backpressure, logs).
      CREATE TABLE dataflow_executions (
        id          TEXT PRIMARY KEY,
        graph       TEXT NOT NULL,
        state       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        record      TEXT NOT NULL,
        last_seq    INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX dataflow_executions_by_created ON dataflow_executions (created_at DESC, id DESC);
      CREATE TABLE dataflow_events (
        execution_id  TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        ts            TEXT NOT NULL,
        type          TEXT NOT NULL,
        data          TEXT NOT NULL,
        PRIMARY KEY (execution_id, seq)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'queue state',
    sql: `
      -- The durable queue flag (store.queue): one row, read by every process a few times a
      -- second. While paused no process starts a new attempt. by and reason say who and why.
      CREATE TABLE queue_state (
        one         INTEGER PRIMARY KEY CHECK (one = 1),
        paused      INTEGER NOT NULL,
        reason      TEXT,
        changed_by  TEXT,
        changed_at  TEXT
      ) STRICT;
      INSERT INTO queue_state (one, paused) VALUES (1, 0);
      -- Its history: the queue belongs to no run, so its changes are not in a run's log.
      CREATE TABLE queue_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        ts          TEXT NOT NULL,
        type        TEXT NOT NULL,
        reason      TEXT,
        changed_by  TEXT
      ) STRICT;
      -- No index by task status: every status change would rewrite its entries (about 12% of
      -- the store's CPU on a 10,000-task run). weft tasks list walks tasks_by_order from the
      -- newest run back and stops at its limit; the statuses people ask for are in recent runs.
    `,
  },
  {
    version: 8,
    name: 'schedules',
    sql: `
      -- Cron schedules (store.schedules): the definition as JSON, with the tick state in columns
      -- so that it only ever moves forward (UPDATE … WHERE last_tick_at < ?).
      CREATE TABLE schedules (
        id            TEXT PRIMARY KEY,
        created_at    TEXT NOT NULL,
        record        TEXT NOT NULL,
        last_tick_at  TEXT,
        next_tick_at  TEXT
      ) STRICT;
      CREATE INDEX schedules_by_created ON schedules (created_at, id);
      -- One row per claimed tick: the primary key is what makes a tick fire once across every
      -- process and restart. No foreign key: a tick may be claimed while its schedule is removed.
      CREATE TABLE schedule_ticks (
        schedule_id  TEXT NOT NULL,
        tick_at      TEXT NOT NULL,
        claimed_at   TEXT NOT NULL,
        owner        TEXT,
        run_id       TEXT,
        PRIMARY KEY (schedule_id, tick_at)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 9,
    name: 'task journal',
    sql: `
      -- A running run's task states, appended by its commits and folded into tasks in bulk (see
      -- task-journal.ts): appending dirties the last page of one table, where updating rows in
      -- place dirtied pages all over tasks in every commit. No index: it is only ever read whole.
      CREATE TABLE task_changes (
        id       INTEGER PRIMARY KEY,
        run_id   TEXT NOT NULL,
        task_id  TEXT NOT NULL,
        ord      INTEGER NOT NULL,
        status   TEXT NOT NULL,
        state    TEXT NOT NULL
      ) STRICT;
    `,
  },
]

/** The newest schema version this code knows. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The highest version recorded in the database, 0 for a new one. Only reads. */
export function schemaVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'weft_schema'").get()
  if (!table) return 0
  return db.prepare('SELECT coalesce(max(version), 0) FROM weft_schema').pluck().get() as number
}

/**
 * Brings the database to the newest known schema and returns its version.
 *
 * An up-to-date database is only read, so opening it never waits for another process's write
 * transaction. Pending migrations all run in one IMMEDIATE transaction: two processes opening a
 * new file at once do not both migrate (the second waits, then finds nothing to do), and a
 * failing migration leaves the previous schema untouched.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const known = migrations.length ? migrations[migrations.length - 1]!.version : 0
  const check = (current: number) => {
    if (current <= known) return
    throw new WeftError(
      'store_version',
      `the database ${db.location() ?? ':memory:'} has schema version ${current}, but this @weft/storage-sqlite knows versions up to ${known}`,
      {
        hint: 'a newer weft wrote this database: upgrade weft (and @weft/storage-sqlite) to open it',
        details: { databaseVersion: current, knownVersion: known },
      },
    )
  }
  const seen = schemaVersion(db)
  check(seen)
  if (seen === known) return seen

  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS weft_schema (
      version     INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      applied_at  TEXT NOT NULL
    ) STRICT`)
    // Read again under the write lock: another process may have migrated meanwhile.
    const current = schemaVersion(db)
    check(current)
    const record = db.prepare('INSERT INTO weft_schema (version, name, applied_at) VALUES (?, ?, ?)')
    for (const m of migrations) {
      if (m.version <= current) continue
      db.exec(m.sql)
      record.run(m.version, m.name, new Date().toISOString())
    }
    return schemaVersion(db)
  })
  return apply.immediate()
}
