import type { Migration } from '../migrations.js'
import { ISO_NOW } from '../rows.js'
import { claimFunction, TOLERANT_CHECK, tolerantCommit } from './migration.js'

/**
 * Migration 7's way of recording claims: in the claim's own transaction, into `claim_events`, an
 * inbox that takes no lock on the run. Migration 5 appended them to the run's log at once, which
 * locked the run's row for every claim: with many workers on one run, every claim and every
 * commit of the run's owner waited on that one row (most of a busy queue's database time).
 */
const RECORD_IN_INBOX = `        INSERT INTO {s}claim_events (run_id, task_id, attempt, ts, data, worker)
        SELECT c.run_id, c.task_id, c.attempt, ${ISO_NOW},
          json_build_object('message', 'attempt ' || c.attempt || ' of task ' || c.task_id || ' claimed by worker ' || p_worker,
            'fields', jsonb_build_object('code', 'task.claimed', 'worker', p_worker) || p_fields::jsonb)::text,
          p_worker
        FROM unnest(v_run, v_task, v_attempt) AS c (run_id, task_id, attempt);
`

/**
 * The claim walks the ready index in its order (priority, then age) and stops after `limit` rows.
 * A queue's statistics are nearly always stale (it fills and drains between two ANALYZEs), and on
 * a table it believes small the planner reads every queued row and sorts them instead: 2.7 ms
 * instead of 0.07 ms per claim with 10,000 queued, measured with EXPLAIN ANALYZE.
 */
const WALK_THE_READY_INDEX = `
      SET enable_sort = off SET enable_bitmapscan = off`

/** In `weft_commit`, with the run's row locked: the run's waiting claim events go first. */
const FOLD_IN_COMMIT = `IF p_create_spec IS NULL THEN
          v_last := v_last + {s}weft_fold_claims(p_run_id, v_last);
        END IF;
        ${TOLERANT_CHECK}`

/**
 * Migration 7: claims recorded without the run's lock.
 *
 * - `claim_events`: a claim's `task.claimed` log event, committed with the claim.
 * - `weft_fold_claims(run, last)`: moves a run's waiting claim events into its log, numbered after
 *   `last` (the caller holds the run's row). Every `weft_commit` folds its run's first, so a
 *   claim's event always comes before the owner's events that follow it (the task's result).
 * - `weft_fold_all_claims()`: folds every run whose row nobody holds (a holder folds its own);
 *   the owner's take loop calls it, so a long task's claim shows in the log within a poll.
 * - `attempt_events`: a running attempt's backend events, streamed from its worker to its owner.
 * - `task_queue.suspended`: a paused run's attempts, suspended by the workers running them.
 *
 * The log stays gapless and written under the run's lock; only the moment a claim's event gets its
 * seq moves, to the next commit or fold of the run.
 */
export function claimInboxMigration(commitMigration: Migration): Migration {
  return {
    version: 7,
    name: 'claims without the run lock, streamed and suspended attempts',
    sql: `
      CREATE TABLE {s}claim_events (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id   text COLLATE "C" NOT NULL,
        task_id  text COLLATE "C" NOT NULL,
        attempt  integer NOT NULL,
        ts       text NOT NULL,
        data     text NOT NULL,
        worker   text NOT NULL
      );
      CREATE INDEX claim_events_by_run ON {s}claim_events (run_id, id);

      CREATE FUNCTION {s}weft_fold_claims(p_run_id text, p_last bigint) RETURNS int
      LANGUAGE plpgsql AS $weft$
      DECLARE
        v_n int;
      BEGIN
        WITH moved AS (DELETE FROM {s}claim_events c WHERE c.run_id = p_run_id RETURNING c.*),
          added AS (
            INSERT INTO {s}events (run_id, seq, ts, type, task_id, attempt, severity, data, worker)
            SELECT m.run_id, p_last + row_number() OVER (ORDER BY m.id), m.ts, 'log', m.task_id, m.attempt,
              'info', m.data, m.worker
            FROM moved m
            RETURNING 1)
        SELECT count(*) INTO v_n FROM added;
        IF v_n > 0 THEN
          UPDATE {s}runs SET last_seq = p_last + v_n WHERE id = p_run_id;
        END IF;
        RETURN v_n;
      END
      $weft$;

      CREATE FUNCTION {s}weft_fold_all_claims() RETURNS int
      LANGUAGE plpgsql AS $weft$
      DECLARE
        v_run text;
        v_last bigint;
        v_total int := 0;
      BEGIN
        FOR v_run IN SELECT DISTINCT c.run_id FROM {s}claim_events c ORDER BY 1 LOOP
          SELECT r.last_seq INTO v_last FROM {s}runs r WHERE r.id = v_run FOR UPDATE SKIP LOCKED;
          IF FOUND THEN
            v_total := v_total + {s}weft_fold_claims(v_run, v_last);
          END IF;
        END LOOP;
        RETURN v_total;
      END
      $weft$;

      -- What a backend reports while a worker runs it (messages, tool calls, usage, text deltas),
      -- streamed to the run's owner as it comes instead of with the result; the owner takes them
      -- (DELETE … RETURNING) in the statement that takes results, so it sees an attempt's events
      -- before its result.
      CREATE TABLE {s}attempt_events (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id      text COLLATE "C" NOT NULL,
        task_id     text COLLATE "C" NOT NULL,
        attempt     integer NOT NULL,
        owner       text NOT NULL,
        event       text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX attempt_events_by_owner ON {s}attempt_events (owner, id);
      CREATE INDEX attempt_events_by_run ON {s}attempt_events (run_id);

      -- The owner also takes canceled attempts: one it still waits for was canceled by a cancel
      -- of its own from before it took the run over again, and is lost (queue-executor.ts).
      DROP INDEX {s}task_queue_results;
      CREATE INDEX task_queue_results ON {s}task_queue (owner)
        WHERE status IN ('succeeded', 'failed', 'lost', 'canceled');

      -- The run's owner suspends an attempt when the run is paused (and lets it go on when it is
      -- resumed): the worker running it suspends it (SIGSTOP for CLI backends); a queued one is not
      -- claimed meanwhile.
      ALTER TABLE {s}task_queue ADD COLUMN suspended boolean NOT NULL DEFAULT false;

      ${claimFunction(RECORD_IN_INBOX, 'CREATE OR REPLACE', WALK_THE_READY_INDEX, ' AND NOT q.suspended')}

      ${inboxCommit(commitMigration)}
    `,
  }
}

/** Migration 7's `weft_commit` (`CREATE OR REPLACE`): migration 2's, tolerant, folding claims first. */
export function inboxCommit(commitMigration: Migration): string {
  const commit = tolerantCommit(commitMigration)
  if (!commit.includes(TOLERANT_CHECK))
    throw new Error('weft_commit no longer has the check migration 7 extends')
  return commit.replace(TOLERANT_CHECK, FOLD_IN_COMMIT)
}
