import { WeftError } from '@weft/core'
import { AGENTS_MIGRATION } from './agents/migration.js'
import type { Db, Queryable } from './db.js'
import { jsonCommitMigration } from './json-commit.js'
import { LEAN_WRITES_MIGRATION } from './lean-writes.js'
import { qualify } from './location.js'
import { newRunTasksMigration } from './new-run-tasks.js'
import { CLAIM_BATCHES_MIGRATION } from './queue/claim-batches.js'
import { claimInboxMigration } from './queue/claim-inbox.js'
import { taskQueueMigration } from './queue/migration.js'
import { QUEUE_FLAG_MIGRATION } from './queue-flag.js'
import { SCHEDULES_MIGRATION } from './schedules.js'
import { TASK_FILLFACTOR_MIGRATION } from './task-fillfactor.js'

export interface Migration {
  /** 1, 2, 3, … in order, never reused: the number a database records once it is applied. */
  version: number
  name: string
  /** SQL with `{s}` where the schema goes (`"weft".`): one store's tables in its own schema. */
  sql: string
}

/**
 * The schema, as an append-only list. A released migration is never edited: a change to the
 * schema is a new entry, so every database reaches the same schema by the same steps.
 *
 * Text that is compared or sorted (ids, names, tags, ISO timestamps) is `COLLATE "C"`: byte
 * order, as in the other stores, and the same on every server whatever its locale; with a
 * language collation `run_B` could sort before `run_a` on one server and after it on another.
 * JSON is kept as text, written and read as it is: `jsonb` would reparse every value on write
 * and normalise it (key order, duplicate keys), and weft never queries inside it.
 */
export const MIGRATIONS: readonly Migration[] = withTaskQueue([
  {
    version: 1,
    name: 'initial',
    sql: `
      -- One row per run. name/status/created_at are copies of summary fields, kept as columns so
      -- that lists filter and sort on indexes. summary is NULL until the first commit that
      -- carries one; its lastSeq is last_seq (set on read), so a commit of events alone writes
      -- one integer instead of the whole summary again.
      CREATE TABLE {s}runs (
        id          text COLLATE "C" PRIMARY KEY,
        name        text COLLATE "C",
        status      text COLLATE "C",
        created_at  text COLLATE "C",
        updated_at  text,
        summary     text,
        last_seq    bigint NOT NULL DEFAULT 0
      );
      CREATE INDEX runs_by_status ON {s}runs (status, id);
      CREATE INDEX runs_by_name ON {s}runs (name, id);
      CREATE INDEX runs_by_created_at ON {s}runs (created_at);
      CREATE INDEX runs_by_status_created_at ON {s}runs (status, created_at);

      -- The spec (the whole workflow) apart from the run row, which every commit updates.
      CREATE TABLE {s}run_specs (
        run_id  text COLLATE "C" PRIMARY KEY REFERENCES {s}runs (id) ON DELETE CASCADE,
        spec    text NOT NULL
      );

      CREATE TABLE {s}run_tags (
        run_id  text COLLATE "C" NOT NULL REFERENCES {s}runs (id) ON DELETE CASCADE,
        tag     text COLLATE "C" NOT NULL,
        PRIMARY KEY (run_id, tag)
      );
      CREATE INDEX run_tags_by_tag ON {s}run_tags (tag, run_id);

      -- Task states. status, attempt and priority are copies of the state's fields, and
      -- lease_owner / lease_expires_at are for workers on other machines: a worker claims a
      -- queued task (SELECT … FOR UPDATE SKIP LOCKED on tasks_claimable) and commits the claim in
      -- the same transaction as the run's events, so queue and log never disagree. added breaks
      -- ties of equal ord by first insertion, as the other stores list them.
      CREATE TABLE {s}tasks (
        run_id            text COLLATE "C" NOT NULL REFERENCES {s}runs (id) ON DELETE CASCADE,
        task_id           text COLLATE "C" NOT NULL,
        ord               integer NOT NULL,
        added             bigint GENERATED ALWAYS AS IDENTITY,
        status            text COLLATE "C" NOT NULL,
        attempt           integer NOT NULL DEFAULT 0,
        priority          integer NOT NULL DEFAULT 50,
        lease_owner       text,
        lease_expires_at  timestamptz,
        state             text NOT NULL,
        PRIMARY KEY (run_id, task_id)
      );
      CREATE INDEX tasks_by_order ON {s}tasks (run_id, ord, added);
      CREATE INDEX tasks_claimable ON {s}tasks (priority, run_id, ord) WHERE status = 'queued';
      CREATE INDEX tasks_by_lease_expiry ON {s}tasks (lease_expires_at) WHERE lease_owner IS NOT NULL;

      -- The log. No foreign key to runs: a commit holds its run's row lock (FOR UPDATE) while it
      -- appends, and runs.delete removes events explicitly, so the per-row check of a foreign key
      -- would only slow down the largest writes weft makes. Cross-run queries order by
      -- (ts, run_id, seq): the indexes end with those columns so that ORDER BY … LIMIT reads in
      -- index order and stops early.
      CREATE TABLE {s}events (
        run_id    text COLLATE "C" NOT NULL,
        seq       bigint NOT NULL,
        ts        text COLLATE "C" NOT NULL,
        type      text COLLATE "C" NOT NULL,
        task_id   text COLLATE "C",
        attempt   integer,
        severity  text COLLATE "C" NOT NULL,
        data      text NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE INDEX events_by_task ON {s}events (run_id, task_id, seq);
      CREATE INDEX events_by_type ON {s}events (type, ts, run_id, seq);
      CREATE INDEX events_by_severity ON {s}events (severity, ts, run_id, seq);
      CREATE INDEX events_by_ts ON {s}events (ts, run_id, seq);

      -- Signal ids come from one counter row, incremented in the inserting statement: its row
      -- lock makes ids commit in order, so a reader that saw id n never later finds a smaller
      -- id appear (a sequence hands out ids that may commit out of order). The counter never
      -- goes back when signals are deleted.
      CREATE TABLE {s}signal_counter (
        one      boolean PRIMARY KEY DEFAULT true CHECK (one),
        last_id  bigint NOT NULL
      );
      INSERT INTO {s}signal_counter (one, last_id) VALUES (true, 0);
      CREATE TABLE {s}signals (
        id          bigint PRIMARY KEY,
        run_id      text COLLATE "C" NOT NULL,
        kind        text NOT NULL,
        data        text,
        created_at  text NOT NULL
      );
      CREATE INDEX signals_by_run ON {s}signals (run_id, id);

      -- Who runs a run, decided on the database's clock (now()), never a process's own: the
      -- processes sharing the database are on several machines. No foreign key: a lease may be
      -- taken before the run row exists; runs.delete removes it.
      CREATE TABLE {s}run_leases (
        run_id      text COLLATE "C" PRIMARY KEY,
        owner       text NOT NULL,
        expires_at  timestamptz NOT NULL
      );

      CREATE TABLE {s}artifacts (
        run_id        text COLLATE "C" NOT NULL REFERENCES {s}runs (id) ON DELETE CASCADE,
        name          text COLLATE "C" NOT NULL,
        task_id       text,
        content_type  text,
        size          bigint NOT NULL,
        created_at    text NOT NULL,
        data          bytea NOT NULL,
        PRIMARY KEY (run_id, name)
      );

      -- Key-value memory by scope: 'run:<run-id>' or 'agent:<name>'. No foreign key: agent
      -- scopes belong to no run; runs.delete removes a run's scope.
      CREATE TABLE {s}memory (
        scope       text COLLATE "C" NOT NULL,
        key         text COLLATE "C" NOT NULL,
        value       text NOT NULL,
        updated_at  text NOT NULL,
        PRIMARY KEY (scope, key)
      );

      -- Request keys that start one run: claimed by an owner until expires_at (database clock),
      -- then completed with run_id (owner and expires_at cleared).
      CREATE TABLE {s}idempotency_keys (
        key         text COLLATE "C" PRIMARY KEY,
        body_hash   text NOT NULL,
        owner       text,
        expires_at  timestamptz,
        run_id      text COLLATE "C"
      );
      CREATE INDEX idempotency_keys_by_run ON {s}idempotency_keys (run_id) WHERE run_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'commit in one round trip',
    sql: `
      -- The one write path as one function, called as one statement: a commit costs one round trip
      -- to the server instead of one per step (begin, lock, events, tasks, summary, commit), which
      -- is most of its time when the database is on another machine. The steps are those of
      -- commit.ts: lock the run row (or create it), check expect_last_seq, append the events
      -- numbered from last_seq, upsert tasks, apply memory, replace spec, summary and tags. It
      -- returns the last seq before the commit; the caller numbers its events from it.
      -- Refusals raise WF409 (conflict) and WF404 (run not found), mapped to WeftErrors.
      CREATE FUNCTION {s}weft_commit(
        p_run_id text, p_create_spec text, p_spec text, p_expect bigint,
        p_has_run boolean, p_name text, p_status text, p_created_at text, p_updated_at text,
        p_summary text, p_tags text[],
        e_ts text[], e_type text[], e_task text[], e_attempt int[], e_severity text[], e_data text[],
        t_id text[], t_ord int[], t_status text[], t_attempt int[], t_priority int[], t_state text[],
        m_del_scope text[], m_del_key text[], m_scope text[], m_key text[], m_value text[], m_at text
      ) RETURNS bigint LANGUAGE plpgsql AS $weft$
      DECLARE
        v_last bigint;
        v_tags text[];
        v_count int := coalesce(cardinality(e_ts), 0);
      BEGIN
        IF p_create_spec IS NOT NULL THEN
          INSERT INTO {s}runs (id, last_seq) VALUES (p_run_id, 0) ON CONFLICT (id) DO NOTHING;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'run % already exists', p_run_id USING ERRCODE = 'WF409';
          END IF;
          INSERT INTO {s}run_specs (run_id, spec) VALUES (p_run_id, p_create_spec);
          v_last := 0;
          v_tags := '{}';
        ELSE
          SELECT r.last_seq, ARRAY(SELECT t.tag FROM {s}run_tags t WHERE t.run_id = p_run_id)
            INTO v_last, v_tags FROM {s}runs r WHERE r.id = p_run_id FOR UPDATE;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'run % does not exist', p_run_id USING ERRCODE = 'WF404';
          END IF;
        END IF;
        IF p_expect IS NOT NULL AND p_expect <> v_last THEN
          RAISE EXCEPTION 'run % changed (last seq %, expected %)', p_run_id, v_last, p_expect
            USING ERRCODE = 'WF409';
        END IF;

        IF v_count > 0 THEN
          INSERT INTO {s}events (run_id, seq, ts, type, task_id, attempt, severity, data)
            SELECT p_run_id, v_last + e.n, e.ts, e.type, e.task_id, e.attempt, e.severity, e.data
            FROM unnest(e_ts, e_type, e_task, e_attempt, e_severity, e_data)
              WITH ORDINALITY AS e (ts, type, task_id, attempt, severity, data, n);
        END IF;
        IF p_spec IS NOT NULL THEN
          UPDATE {s}run_specs SET spec = p_spec WHERE run_id = p_run_id;
        END IF;
        IF cardinality(t_id) > 0 THEN
          INSERT INTO {s}tasks AS x (run_id, task_id, ord, status, attempt, priority, state)
            SELECT p_run_id, t.task_id, t.ord, t.status, t.attempt, t.priority, t.state
            FROM unnest(t_id, t_ord, t_status, t_attempt, t_priority, t_state) WITH ORDINALITY
              AS t (task_id, ord, status, attempt, priority, state, n)
            ORDER BY t.n
          ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status,
            attempt = excluded.attempt, priority = excluded.priority, state = excluded.state;
        END IF;
        IF cardinality(m_del_scope) > 0 THEN
          DELETE FROM {s}memory m USING unnest(m_del_scope, m_del_key) AS d (scope, key)
            WHERE m.scope = d.scope AND m.key = d.key;
        END IF;
        IF cardinality(m_scope) > 0 THEN
          INSERT INTO {s}memory AS x (scope, key, value, updated_at)
            SELECT m.scope, m.key, m.value, m_at FROM unnest(m_scope, m_key, m_value) AS m (scope, key, value)
          ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
        END IF;

        IF p_has_run THEN
          UPDATE {s}runs SET name = p_name, status = p_status, created_at = p_created_at,
            updated_at = p_updated_at, summary = p_summary, last_seq = v_last + v_count
            WHERE id = p_run_id;
          -- Tags only when they change, compared as sets.
          IF NOT (v_tags @> p_tags AND p_tags @> v_tags) THEN
            DELETE FROM {s}run_tags WHERE run_id = p_run_id;
            INSERT INTO {s}run_tags (run_id, tag) SELECT DISTINCT p_run_id, t FROM unnest(p_tags) AS t;
          END IF;
        ELSIF v_count > 0 THEN
          UPDATE {s}runs SET last_seq = v_last + v_count WHERE id = p_run_id;
        END IF;
        RETURN v_last;
      END
      $weft$;
    `,
  },
  SCHEDULES_MIGRATION,
  QUEUE_FLAG_MIGRATION,
  AGENTS_MIGRATION,
  LEAN_WRITES_MIGRATION,
  CLAIM_BATCHES_MIGRATION,
  TASK_FILLFACTOR_MIGRATION,
])

/** The list with the migrations built on migration 2's `weft_commit` (5, 7, 10 and 11) in their places. */
function withTaskQueue(list: Migration[]): Migration[] {
  const commit = list.find((m) => m.version === 2)!
  return [
    ...list,
    taskQueueMigration(commit),
    claimInboxMigration(commit),
    newRunTasksMigration(commit),
    jsonCommitMigration(commit),
  ].sort((a, b) => a.version - b.version)
}

/** The newest schema version this code knows. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The highest version recorded in the schema, 0 when weft has not created it yet. Only reads. */
export async function schemaVersion(db: Pick<Queryable, 'query'>, schema: string): Promise<number> {
  const table = `${qualify(schema)}weft_schema`
  const [[exists]] = (await db.query<[string | null]>('SELECT to_regclass($1)::text', [table])) as [
    [string | null],
  ]
  if (!exists) return 0
  const [[version]] = (await db.query<[number]>(`SELECT coalesce(max(version), 0)::int FROM ${table}`)) as [
    [number],
  ]
  return version
}

/**
 * Brings the schema to the newest known version and returns it.
 *
 * An up-to-date schema is only read, so starting a process takes no lock. Otherwise every
 * pending migration runs in one transaction that first takes a transaction-scoped advisory lock
 * on the schema's name: processes that start at the same moment against an empty database queue
 * on it, the first migrates, the others then find the version current and go on. A failing
 * migration rolls back whole (PostgreSQL's DDL is transactional), leaving the previous schema.
 * A schema that a newer weft wrote is refused with `store_version` before anything is touched.
 */
export async function migrate(
  db: Db['raw'],
  schema: string,
  display: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  const known = migrations.length ? migrations[migrations.length - 1]!.version : 0
  const check = (current: number) => {
    if (current <= known) return
    throw new WeftError(
      'store_version',
      `the PostgreSQL schema "${schema}" of ${display} has version ${current}, but this @weft/storage-postgres knows versions up to ${known}`,
      {
        hint: 'a newer weft wrote this database: upgrade weft (and @weft/storage-postgres) to open it, or use another schema (?schema=NAME)',
        details: { databaseVersion: current, knownVersion: known, schema },
      },
    )
  }
  const seen = await schemaVersion(db, schema)
  check(seen)
  if (seen === known) return seen

  const s = qualify(schema)
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`weft.migrate:${schema}`])
    // IF NOT EXISTS: the schema may exist, empty or made by an administrator for weft.
    await q.script(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
    await q.script(`CREATE TABLE IF NOT EXISTS ${s}weft_schema (
      version     integer PRIMARY KEY,
      name        text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`)
    // Read again under the lock: another process may have migrated meanwhile.
    const current = await schemaVersion(q, schema)
    check(current)
    for (const m of migrations) {
      if (m.version <= current) continue
      await q.script(m.sql.replaceAll('{s}', s))
      await q.execute(`INSERT INTO ${s}weft_schema (version, name) VALUES ($1, $2)`, [m.version, m.name])
    }
    return schemaVersion(q, schema)
  })
}
