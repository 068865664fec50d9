import type { Migration } from '../migrations.js'

/** The statement of migration 2 that refuses a commit when the run's log moved on. */
const STRICT_CHECK = `IF p_expect IS NOT NULL AND p_expect <> v_last THEN`

/**
 * Events a worker appended since the owner's last commit (a claim, a completion: `log` events that
 * change no state) are not a conflict: the owner's commit is numbered after them. Any other event
 * in between was written by another owner, and the commit is refused as before.
 */
const TOLERANT_CHECK = `IF p_expect IS NOT NULL AND p_expect <> v_last AND (p_expect > v_last OR EXISTS (
          SELECT 1 FROM {s}events ev WHERE ev.run_id = p_run_id AND ev.seq > p_expect AND ev.seq <= v_last
            AND ev.worker IS NULL)) THEN`

/**
 * Migration 5: the shared task queue of `weft worker` processes.
 *
 * - `task_queue`: one row per dispatched attempt. The run's owner inserts it after committing the
 *   attempt's start; a worker claims it (`FOR UPDATE SKIP LOCKED`, priority then age) with a lease
 *   token and an expiry on the database clock, heartbeats it, and completes it with an UPDATE
 *   fenced by token, status and expiry; the owner takes the result (a DELETE … RETURNING) and
 *   records it through the run's reducer.
 * - `workers`: one row per worker name: status, heartbeat, capacity, backends and counts (what
 *   `weft agents` lists). A name whose holder died or stopped is taken over by the next process.
 * - `events.worker`: the name of the worker that appended an event (NULL for the run's owner), and
 *   `weft_commit` again, accepting those events between two commits of the owner.
 */
export function taskQueueMigration(commitMigration: Migration): Migration {
  if (!commitMigration.sql.includes(STRICT_CHECK) || !commitMigration.sql.includes('CREATE FUNCTION'))
    throw new Error('migration 2 no longer has the statements migration 5 replaces')
  const commit = commitMigration.sql
    .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
    .replace(STRICT_CHECK, TOLERANT_CHECK)
  return {
    version: 5,
    name: 'task queue',
    sql: `
      ALTER TABLE {s}events ADD COLUMN worker text;

      CREATE TABLE {s}task_queue (
        run_id            text COLLATE "C" NOT NULL,
        task_id           text COLLATE "C" NOT NULL,
        attempt           integer NOT NULL,
        backend           text COLLATE "C" NOT NULL,
        priority          integer NOT NULL,
        -- The run owner's lease name: it takes the results of the attempts it queued.
        owner             text NOT NULL,
        request           text NOT NULL,
        -- queued → claimed → succeeded | failed; lost (lease expired, handed back) or canceled.
        status            text COLLATE "C" NOT NULL DEFAULT 'queued',
        enqueued_at       timestamptz NOT NULL DEFAULT now(),
        worker            text COLLATE "C",
        lease_token       uuid,
        lease_expires_at  timestamptz,
        claimed_at        timestamptz,
        finished_at       timestamptz,
        claims            integer NOT NULL DEFAULT 0,
        result            text,
        PRIMARY KEY (run_id, task_id, attempt)
      );
      CREATE INDEX task_queue_ready ON {s}task_queue (priority, enqueued_at) WHERE status = 'queued';
      CREATE INDEX task_queue_leases ON {s}task_queue (lease_expires_at) WHERE status = 'claimed';
      CREATE INDEX task_queue_by_worker ON {s}task_queue (worker) WHERE status = 'claimed';

      CREATE TABLE {s}workers (
        name              text COLLATE "C" PRIMARY KEY,
        -- The process holding the name (host:pid:startTime:random, as run leases name it).
        owner             text NOT NULL,
        host              text NOT NULL,
        pid               integer NOT NULL,
        status            text COLLATE "C" NOT NULL,
        capacity          integer NOT NULL,
        backends          text[] NOT NULL,
        running           integer NOT NULL DEFAULT 0,
        completed         bigint NOT NULL DEFAULT 0,
        failed            bigint NOT NULL DEFAULT 0,
        rejected          bigint NOT NULL DEFAULT 0,
        started_at        timestamptz NOT NULL DEFAULT now(),
        heartbeat_at      timestamptz NOT NULL DEFAULT now(),
        expires_at        timestamptz NOT NULL
      );

      ${commit}
    `,
  }
}
