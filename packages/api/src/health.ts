import { z } from 'zod'

/** `GET /healthz`: the process answers. */
export const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() })

/** `GET /readyz`: 200 when every check passes, 503 otherwise (starting, shutting down, store down). */
export const ReadinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })),
})
export type Readiness = z.infer<typeof ReadinessSchema>
