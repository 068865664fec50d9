import type { Migration } from './migrations.js'

/**
 * Migration 12: task rows keep room for two new versions of themselves on their page.
 *
 * A dispatched task's row is written three times within moments: inserted with the run (about
 * 250 bytes of state), updated when it is queued and started, and again with its result (about
 * 400 bytes). An update that finds room on the row's page is HOT (migration 8 left no index on a
 * column that changes): no new entry in `tasks_pkey` and `tasks_by_order`. With a fifth of each
 * page free (migration 8) most of a busy run's updates found none, since the commit that starts
 * hundreds of tasks updates every row of their pages at once, while none of the old versions can
 * be pruned yet: of 10,000 updates, 2,400 were HOT. With 60% free about 9 in 10 are, and PostgreSQL
 * spent 7 µs less per task on a run's commits (5,000 tasks created, started and finished: 71-77
 * instead of 65-68 µs per task, backend CPU from /proc/PID/schedstat, 3 runs each). The table
 * takes more pages for the same rows, a small price next to its rows' index entries.
 *
 * Existing pages keep their fill: the setting applies to pages written from now on.
 */
export const TASK_FILLFACTOR_MIGRATION: Migration = {
  version: 12,
  name: 'room on task pages for HOT updates',
  sql: `
    ALTER TABLE {s}tasks SET (fillfactor = 40);
  `,
}
