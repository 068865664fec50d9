import type { TaskStatus } from './task.js'

/** Tasks across runs (`TaskStore.query`): every given filter must match. */
export interface TaskQuery {
  /** Any of these statuses. */
  statuses?: TaskStatus[]
  /** The backend the task runs on (`TaskState.backend`). */
  backend?: string
  /**
   * The agent (a `weft worker`, by name) that claimed the task. Stores shared with workers know
   * it (Postgres: from the claim events in the run's log); in others no task has one.
   */
  agent?: string
  /** Only this run's tasks. */
  runId?: string
  /** At most this many (default 100). */
  limit?: number
}

/** The default `limit` of a task query. */
export const DEFAULT_TASK_QUERY_LIMIT = 100
