import { z } from 'zod'

const count = () => z.number().int().nonnegative()

/** Tokens and cost of some backend calls (one model's, or all of them). */
export const UsageTotalsSchema = z.object({
  inputTokens: count(),
  outputTokens: count(),
  cacheReadTokens: count(),
  cacheWriteTokens: count(),
  reasoningTokens: count(),
  costUsd: z.number().nonnegative(),
})
export type UsageTotals = z.infer<typeof UsageTotalsSchema>

/**
 * `GET /api/v1/metrics`: the server's figures as JSON, for dashboards and scripts that do not
 * scrape Prometheus. Counts of ended tasks, durations, events and usage are since this server
 * started; run counts come from the store. The same figures are in `/metrics` (Prometheus) and,
 * with `@weft/otel`, in OpenTelemetry metrics.
 */
export const MetricsSummarySchema = z.object({
  /** When this server's metrics started (ISO), and the seconds since. */
  startedAt: z.string(),
  uptimeSeconds: z.number().nonnegative(),
  /** Runs in the store by status, and the unfinished runs this server runs. */
  runs: z.object({ byStatus: z.record(z.string(), count()), active: count() }),
  /** Tasks that ended since the server started, by status; and the tasks running now. */
  tasks: z.object({
    byStatus: z.object({ succeeded: count(), failed: count(), canceled: count(), skipped: count() }),
    running: count(),
  }),
  /** Durations of the last `window` tasks that succeeded or failed (null before the first). */
  taskDuration: z.object({
    count: count(),
    window: count(),
    averageMs: z.number().nonnegative().nullable(),
    p95Ms: z.number().nonnegative().nullable(),
  }),
  /** Ready tasks waiting for a slot (`depth`), the runtime-wide cap, and whether dispatch is paused. */
  queue: z.object({ depth: count(), capacity: count(), paused: z.boolean() }),
  /** Events committed since the server started, and per second over the last `windowSeconds`. */
  events: z.object({ total: count(), perSecond: z.number().nonnegative(), windowSeconds: count() }),
  /** Tokens and cost since the server started, by model (`unknown` when a backend names none). */
  usage: z.object({ byModel: z.record(z.string(), UsageTotalsSchema), total: UsageTotalsSchema }),
})
export type MetricsSummary = z.infer<typeof MetricsSummarySchema>
