import type { Migration } from '../migrations.js'
import { ISO_NOW } from '../rows.js'

/**
 * Migration 9: a claim is one statement and one inbox row per run, not five statements and a row
 * per attempt.
 *
 * A worker of short tasks claims a few attempts at a time, every few milliseconds, and PostgreSQL's
 * share of a claim was mostly fixed costs: `weft_claim` ran five statements (each set up and torn
 * down by the executor), wrote one `claim_events` row per attempt (with two index entries), and
 * the fold deleted each row again. Now:
 *
 * - `claim_batches` holds what one claim took of one run: the attempts' task ids, attempt numbers
 *   and log event data as arrays, with the claim's time and worker. The fold expands them into
 *   the run's log in the same order as before (claim by claim, and by task id within a claim), one
 *   `task.claimed` event per attempt. Rows left in `claim_events` move over, one batch each.
 * - `weft_claim` does the refusal check (a paused queue or worker), the pick, the update and the
 *   inbox row in one statement; it returns the same rows in the same order.
 * - `task_queue_by_worker` goes: a claim wrote an entry in it for every attempt, and only the
 *   heartbeat and the suspension check of a worker read it, every few seconds, for the worker's
 *   own running attempts (among the claimed rows, which `task_queue_leases` lists).
 */
export const CLAIM_BATCHES_MIGRATION: Migration = {
  version: 9,
  name: 'claims in one statement, one inbox row per run',
  sql: `
    CREATE TABLE {s}claim_batches (
      id        bigint GENERATED ALWAYS AS IDENTITY,
      run_id    text COLLATE "C" NOT NULL,
      task_ids  text[] NOT NULL,
      attempts  integer[] NOT NULL,
      data      text[] NOT NULL,
      ts        text NOT NULL,
      worker    text NOT NULL
    );
    CREATE INDEX claim_batches_by_run ON {s}claim_batches (run_id, id);

    LOCK TABLE {s}claim_events IN ACCESS EXCLUSIVE MODE;
    INSERT INTO {s}claim_batches (run_id, task_ids, attempts, data, ts, worker)
      SELECT c.run_id, ARRAY[c.task_id], ARRAY[c.attempt], ARRAY[c.data], c.ts, c.worker
      FROM {s}claim_events c ORDER BY c.id;

    CREATE OR REPLACE FUNCTION {s}weft_fold_claims(p_run_id text, p_last bigint) RETURNS int
    LANGUAGE plpgsql AS $weft$
    DECLARE
      v_n int;
    BEGIN
      WITH moved AS (DELETE FROM {s}claim_batches c WHERE c.run_id = p_run_id RETURNING c.*),
        added AS (
          INSERT INTO {s}events (run_id, seq, ts, type, task_id, attempt, severity, data, worker)
          SELECT m.run_id, p_last + row_number() OVER (ORDER BY m.id, e.n), m.ts, 'log', e.task_id,
            e.attempt, 'info', e.data, m.worker
          FROM moved m, unnest(m.task_ids, m.attempts, m.data) WITH ORDINALITY AS e (task_id, attempt, data, n)
          RETURNING 1)
      SELECT count(*) INTO v_n FROM added;
      IF v_n > 0 THEN
        UPDATE {s}runs SET last_seq = p_last + v_n WHERE id = p_run_id;
      END IF;
      RETURN v_n;
    END
    $weft$;

    CREATE OR REPLACE FUNCTION {s}weft_fold_all_claims() RETURNS int
    LANGUAGE plpgsql AS $weft$
    DECLARE
      v_run text;
      v_last bigint;
      v_total int := 0;
    BEGIN
      FOR v_run IN SELECT DISTINCT c.run_id FROM {s}claim_batches c ORDER BY 1 LOOP
        SELECT r.last_seq INTO v_last FROM {s}runs r WHERE r.id = v_run FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
          v_total := v_total + {s}weft_fold_claims(v_run, v_last);
        END IF;
      END LOOP;
      RETURN v_total;
    END
    $weft$;

    DROP TABLE {s}claim_events;

    -- As migration 7's: refused while the queue or this worker is paused (the two checks are
    -- evaluated once, before the pick); queued attempts for the worker's backends, priority then
    -- age, skipping rows other claims hold; a fresh lease token each; one inbox row per run. The
    -- settings make it walk the ready index (see migration 7); the sorts left (of the claimed rows,
    -- a few) then cost billions to the planner, which is no reason to compile the statement (JIT:
    -- two seconds a claim). synchronous_commit is off for the claim's transaction: a claim lost in
    -- a server crash is a claim that never happened.
    CREATE OR REPLACE FUNCTION {s}weft_claim(p_worker text, p_backends text[], p_limit int, p_ttl_ms float8,
      p_owner text, p_fields text)
    RETURNS TABLE (o_run_id text, o_task_id text, o_attempt int, o_backend text, o_request text,
      o_token text, o_owner text)
    LANGUAGE plpgsql
      SET enable_sort = off SET enable_bitmapscan = off SET jit = off AS $weft$
    BEGIN
      RETURN QUERY
      WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)),
        picked AS (
          SELECT q.run_id, q.task_id, q.attempt FROM {s}task_queue q
          WHERE q.status = 'queued' AND q.backend = ANY (p_backends) AND (p_owner IS NULL OR q.owner = p_owner)
            AND NOT q.suspended
            AND NOT EXISTS (SELECT 1 FROM {s}workers w WHERE w.name = p_worker AND w.desired <> 'run')
            AND NOT EXISTS (SELECT 1 FROM {s}queue_state qs WHERE qs.paused)
          ORDER BY q.priority, q.enqueued_at LIMIT p_limit FOR UPDATE SKIP LOCKED),
        claimed AS (
          UPDATE {s}task_queue q SET status = 'claimed', worker = p_worker, lease_token = gen_random_uuid(),
            lease_expires_at = now() + p_ttl_ms * interval '1 millisecond', claimed_at = now(),
            claims = q.claims + 1
          FROM picked WHERE q.run_id = picked.run_id AND q.task_id = picked.task_id AND q.attempt = picked.attempt
          RETURNING q.run_id, q.task_id, q.attempt, q.backend, q.request, q.lease_token::text AS token, q.owner),
        logged AS (
          INSERT INTO {s}claim_batches (run_id, task_ids, attempts, data, ts, worker)
          SELECT c.run_id, array_agg(c.task_id ORDER BY c.task_id), array_agg(c.attempt ORDER BY c.task_id),
            array_agg(json_build_object('message', 'attempt ' || c.attempt || ' of task ' || c.task_id
                || ' claimed by worker ' || p_worker,
              'fields', jsonb_build_object('code', 'task.claimed', 'worker', p_worker) || p_fields::jsonb)::text
              ORDER BY c.task_id),
            ${ISO_NOW}, p_worker
          FROM claimed c, cfg GROUP BY c.run_id
          RETURNING 1)
      SELECT c.run_id, c.task_id, c.attempt, c.backend, c.request, c.token, c.owner
      FROM claimed c ORDER BY c.run_id, c.task_id;
    END
    $weft$;

    DROP INDEX {s}task_queue_by_worker;
  `,
}
