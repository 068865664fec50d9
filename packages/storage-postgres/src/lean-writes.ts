import type { Migration } from './migrations.js'

/**
 * Migration 8: fewer index entries per event and per task change, for runs of many short tasks
 * (a run owner dispatching to `weft worker` processes writes about six events and three task
 * states per task, each row with every index of its table).
 *
 * - `events_by_severity` holds only the events that are not `info`. Cross-run queries by severity
 *   look for the rare ones (warnings, errors, debug output); a query for `info` alone is most of
 *   the log anyway and reads `events_by_ts` with a filter, as a query for several severities
 *   already did (one ordered index scan cannot serve `= ANY`).
 * - `tasks_claimable` and `tasks_by_lease_expiry` go: migration 1's workers claimed from `tasks`,
 *   the workers of migration 5 claim from `task_queue`, and nothing reads them since. They made
 *   each status change write new entries into every index of `tasks` (a status change changed an
 *   indexed column, the partial index's predicate), where now the columns of the remaining indexes
 *   (run, task, order) do not change and the row is updated in place (HOT) when its page has room:
 *   new pages keep a fifth free for that.
 */
export const LEAN_WRITES_MIGRATION: Migration = {
  version: 8,
  name: 'lean event and task indexes',
  sql: `
    DROP INDEX {s}events_by_severity;
    CREATE INDEX events_by_severity ON {s}events (severity, ts, run_id, seq) WHERE severity <> 'info';

    DROP INDEX {s}tasks_claimable;
    DROP INDEX {s}tasks_by_lease_expiry;
    ALTER TABLE {s}tasks SET (fillfactor = 80);
  `,
}
