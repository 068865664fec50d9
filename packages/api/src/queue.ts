import { z } from 'zod'

/** `GET /queue`: where the work stands, runtime-wide. */
export const QueueStatusSchema = z.object({
  /** Dispatch is stopped (`POST /queue/pause`): no new attempts start; submissions are accepted. */
  paused: z.boolean(),
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
