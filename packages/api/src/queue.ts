import { z } from 'zod'

/** `GET /queue`: where the work stands, runtime-wide. */
export const QueueStatusSchema = z.object({
  /** Dispatch is stopped (`POST /queue/pause`): no new attempts start; submissions are accepted. */
  paused: z.boolean(),
  /** Why it was paused. */
  reason: z.string().optional(),
  /** Who paused or resumed it last (an API key's name, `cli:<user>`). */
  by: z.string().optional(),
  /** When it last changed. */
  changedAt: z.string().optional(),
  /**
   * The flag is kept in the store: every process and worker sharing it honours it, and it
   * survives restarts. False: it is this server's alone (a store without the queue flag).
   */
  durable: z.boolean().optional(),
  /** Runs this server is running or holding (not finished). */
  size: z.number().int().nonnegative(),
  /** More unfinished runs than this answer `POST /runs` with 429; null when unbounded. */
  maxSize: z.number().int().positive().nullable(),
  /** Runs in the store by status. */
  runs: z.object({
    pending: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    paused: z.number().int().nonnegative(),
    canceling: z.number().int().nonnegative(),
    completed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    canceled: z.number().int().nonnegative(),
  }),
  /** Tasks of this server's runs. */
  tasks: z.object({
    running: z.number().int().nonnegative(),
    /** Ready to run, waiting for a slot (or for the queue to resume). */
    queued: z.number().int().nonnegative(),
    /** The runtime-wide cap on running tasks. */
    capacity: z.number().int().positive(),
  }),
})
export type QueueStatus = z.infer<typeof QueueStatusSchema>

/** `POST /queue/pause` (the body is optional). */
export const PauseQueueRequestSchema = z.strictObject({ reason: z.string().min(1).max(1000).optional() })
export type PauseQueueRequest = z.input<typeof PauseQueueRequestSchema>

/** `GET /queue/history`: the changes of the durable flag, newest first. */
export const QueueHistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})
export const QueueHistorySchema = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      ts: z.string(),
      type: z.enum(['queue.paused', 'queue.resumed']),
      reason: z.string().optional(),
      by: z.string().optional(),
    }),
  ),
})
export type QueueHistory = z.infer<typeof QueueHistorySchema>
