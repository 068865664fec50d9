import type { Migration } from '../migrations.js'
import { RESULT_CHANNEL } from './queries.js'

/**
 * Migration 13: a worker's completions as a function, `weft_complete`, planned once per connection.
 *
 * A completion was one statement sent by the worker (complete-queries.ts). PostgreSQL plans a
 * prepared statement for its parameters (a custom plan) until a generic plan, planned once, is
 * estimated no dearer. It estimates the generic plan for ten completions (`unnest` of an array it
 * does not know) and each custom plan for the results actually sent: a worker with fewer than ten
 * slots (`weft worker` has four by default) never sends ten, so every completion was planned again,
 * a statement of five CTEs. In `weft_complete` the same statement is planned once, generic
 * (`plan_cache_mode`); the plan is the same: each row found by the primary key. PostgreSQL CPU
 * per task of a worker with four slots, completions and claims: 143 µs before, 110 with every plan
 * generic (4,000 tasks, backend schedstat); with ten slots the generic plan was chosen already.
 *
 * As before: each row is completed only while it is `claimed` with the given lease token and an
 * unexpired lease; the owners of the accepted rows are notified; the transaction does not wait for
 * the flush (a completion lost in a crash leaves the attempt claimed: its lease expires and it runs
 * again, never twice completed). Each row is found by its primary key: `status || ''` keeps the
 * planner from the partial indexes of claimed rows (task_queue_leases, _by_worker), whose bitmap
 * scan it preferred and which read every claimed row, and every dead entry a vacuum has not
 * removed yet, once per completion: the completions of a burst of short tasks slowed as the burst
 * went on. Returns the accepted rows and, on each, how many owners were notified.
 */
export const COMPLETE_FUNCTION_MIGRATION: Migration = {
  version: 13,
  name: 'completions planned once',
  sql: `
    CREATE FUNCTION {s}weft_complete(p_run text[], p_task text[], p_attempt int[], p_token uuid[],
      p_status text[], p_result text[])
    RETURNS TABLE (o_run_id text, o_task_id text, o_attempt int, o_notified bigint)
    LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $weft$
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      RETURN QUERY
      WITH k AS (
          SELECT * FROM unnest(p_run, p_task, p_attempt, p_token, p_status, p_result)
            AS k (run_id, task_id, attempt, token, status, result)),
        done AS (
          UPDATE {s}task_queue q SET status = k.status, result = k.result, finished_at = now(),
            lease_expires_at = NULL
          FROM k
          WHERE q.run_id = k.run_id AND q.task_id = k.task_id AND q.attempt = k.attempt
            AND q.lease_token = k.token AND q.status || '' = 'claimed' AND q.lease_expires_at > now()
          RETURNING q.run_id, q.task_id, q.attempt, q.owner),
        notified AS (SELECT pg_notify('${RESULT_CHANNEL}', o.owner) FROM (SELECT DISTINCT d.owner FROM done d) o)
      SELECT d.run_id, d.task_id, d.attempt, (SELECT count(*) FROM notified) FROM done d;
    END
    $weft$;
  `,
}
