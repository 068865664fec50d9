import type { Migration } from '../migrations.js'
import { ISO_NOW } from '../rows.js'

/** The statement of migration 2 that refuses a commit when the run's log moved on. */
const STRICT_CHECK = `IF p_expect IS NOT NULL AND p_expect <> v_last THEN`

/**
 * Events a worker appended since the owner's last commit (a claim, a completion: `log` events that
 * change no state) are not a conflict: the owner's commit is numbered after them. Any other event
 * in between was written by another owner, and the commit is refused as before.
 */
export const TOLERANT_CHECK = `IF p_expect IS NOT NULL AND p_expect <> v_last AND (p_expect > v_last OR EXISTS (
          SELECT 1 FROM {s}events ev WHERE ev.run_id = p_run_id AND ev.seq > p_expect AND ev.seq <= v_last
            AND ev.worker IS NULL)) THEN`

/** Migration 5's way of recording claims: in the run's log at once, the run rows locked. */
const RECORD_IN_RUN_LOG = `        PERFORM 1 FROM {s}runs r WHERE r.id = ANY (v_run) ORDER BY r.id FOR UPDATE;
        WITH c AS (SELECT * FROM unnest(v_run, v_task, v_attempt) WITH ORDINALITY AS c (run_id, task_id, attempt, n)),
          k AS (SELECT c.run_id, count(*) AS k FROM c GROUP BY c.run_id),
          r AS (UPDATE {s}runs SET last_seq = {s}runs.last_seq + k.k FROM k WHERE {s}runs.id = k.run_id
            RETURNING {s}runs.id, {s}runs.last_seq - k.k AS base)
        INSERT INTO {s}events (run_id, seq, ts, type, task_id, attempt, severity, data, worker)
        SELECT c.run_id, r.base + row_number() OVER (PARTITION BY c.run_id ORDER BY c.n), ${ISO_NOW}, 'log',
          c.task_id, c.attempt, 'info',
          json_build_object('message', 'attempt ' || c.attempt || ' of task ' || c.task_id || ' claimed by worker ' || p_worker,
            'fields', jsonb_build_object('code', 'task.claimed', 'worker', p_worker) || p_fields::jsonb)::text,
          p_worker
        FROM c JOIN r ON r.id = c.run_id;
`

/**
 * A claim in one statement (one round trip, its own transaction): refuse while the queue is
 * paused (queue_state, migration 3) or an operator paused or stopped this worker (workers.desired,
 * migration 6; read when called, so the later migration is no problem); pick queued attempts for
 * the worker's backends, priority then age, skipping rows other claims hold; take them with a
 * fresh lease token; append one `task.claimed` log event per claim to its run's log, the run rows
 * locked in id order as commits lock them, so the claim and the events that record it commit
 * together and the run's seqs stay gapless.
 */
export const claimFunction = (record: string, create = 'CREATE', settings = '', pick = '') => `
      ${create} FUNCTION {s}weft_claim(p_worker text, p_backends text[], p_limit int, p_ttl_ms float8,
        p_owner text, p_fields text)
      RETURNS TABLE (o_run_id text, o_task_id text, o_attempt int, o_backend text, o_request text,
        o_token text, o_owner text)
      LANGUAGE plpgsql${settings} AS $weft$
      DECLARE
        v_run text[]; v_task text[]; v_attempt int[]; v_backend text[]; v_request text[];
        v_token text[]; v_owner text[];
      BEGIN
        -- A claim lost in a server crash is only a claim that never happened (its events with it;
        -- the next synchronous commit flushes the log up to here): no need to wait for the flush.
        PERFORM set_config('synchronous_commit', 'off', true);
        IF EXISTS (SELECT 1 FROM {s}workers w WHERE w.name = p_worker AND w.desired <> 'run')
          OR EXISTS (SELECT 1 FROM {s}queue_state qs WHERE qs.paused) THEN
          RETURN;
        END IF;
        WITH picked AS (
            SELECT q.run_id, q.task_id, q.attempt FROM {s}task_queue q
            WHERE q.status = 'queued' AND q.backend = ANY (p_backends) AND (p_owner IS NULL OR q.owner = p_owner)${pick}
            ORDER BY q.priority, q.enqueued_at LIMIT p_limit FOR UPDATE SKIP LOCKED),
          claimed AS (
            UPDATE {s}task_queue q SET status = 'claimed', worker = p_worker, lease_token = gen_random_uuid(),
              lease_expires_at = now() + p_ttl_ms * interval '1 millisecond', claimed_at = now(),
              claims = q.claims + 1
            FROM picked WHERE q.run_id = picked.run_id AND q.task_id = picked.task_id AND q.attempt = picked.attempt
            RETURNING q.run_id, q.task_id, q.attempt, q.backend, q.request, q.lease_token::text AS token, q.owner)
        SELECT array_agg(c.run_id ORDER BY c.run_id, c.task_id), array_agg(c.task_id ORDER BY c.run_id, c.task_id),
          array_agg(c.attempt ORDER BY c.run_id, c.task_id), array_agg(c.backend ORDER BY c.run_id, c.task_id),
          array_agg(c.request ORDER BY c.run_id, c.task_id), array_agg(c.token ORDER BY c.run_id, c.task_id),
          array_agg(c.owner ORDER BY c.run_id, c.task_id)
          INTO v_run, v_task, v_attempt, v_backend, v_request, v_token, v_owner FROM claimed c;
        IF v_run IS NULL THEN
          RETURN;
        END IF;
${record}        RETURN QUERY SELECT * FROM unnest(v_run, v_task, v_attempt, v_backend, v_request, v_token, v_owner);
      END
      $weft$;`

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
/** Migration 2's `weft_commit`, replaced, with the check that accepts workers' events in between. */
export function tolerantCommit(commitMigration: Migration): string {
  if (!commitMigration.sql.includes(STRICT_CHECK) || !commitMigration.sql.includes('CREATE FUNCTION'))
    throw new Error('migration 2 no longer has the statements migrations 5 and 7 replace')
  return commitMigration.sql
    .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
    .replace(STRICT_CHECK, TOLERANT_CHECK)
}

export function taskQueueMigration(commitMigration: Migration): Migration {
  const commit = tolerantCommit(commitMigration)
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
      CREATE INDEX task_queue_results ON {s}task_queue (owner) WHERE status IN ('succeeded', 'failed', 'lost');

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

      ${claimFunction(RECORD_IN_RUN_LOG)}

      ${commit}
    `,
  }
}
