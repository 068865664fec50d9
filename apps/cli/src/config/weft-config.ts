import {
  BudgetSpecSchema,
  DiagnosticsModeSchema,
  JsonSchema,
  ModelInfoSchema,
  RetryPolicySchema,
} from '@weft/core'
import { ServerConfigSchema } from '@weft/server/config'
import { z } from 'zod'
import { WorkersConfigSchema } from '../supervisor/config.js'

/**
 * `weft.config.{json,yaml,yml,js,mjs}`: which plugins to load and how the runtime behaves. It is
 * the apps' file (the `weft` command and `weft-server`), not the runtime's: an embedder passes the
 * same settings to `createRuntime` in code. The `server:` section is the server's own schema.
 */
export const WeftConfigSchema = z.strictObject({
  /** Package names of plugins (backends, stores) to load. */
  plugins: z.array(z.string().min(1)).default([]),
  /** Default store location, e.g. `.weft/weft.db` or `sqlite:/var/lib/weft.db`. */
  store: z.string().optional(),
  maxParallelism: z.number().int().min(1).optional(),
  diagnostics: DiagnosticsModeSchema.optional(),
  retryDefaults: RetryPolicySchema.optional(),
  /** A budget for every run (workflows and `--budget-*` flags override it field by field). */
  budget: BudgetSpecSchema.optional(),
  /** Models to add to the price catalog, or to override (same id): priced without code. */
  models: z.array(ModelInfoSchema).default([]),
  agents: z
    .record(
      z.string(),
      z.strictObject({
        backend: z.string(),
        model: z.string().optional(),
        with: z.record(z.string(), JsonSchema).optional(),
      }),
    )
    .default({}),
  /**
   * Traces: `otlp` exports OpenTelemetry spans and metrics (`@weft/otel`; `true` takes the standard
   * `OTEL_*` variables, which also switch it on alone); `jsonl` appends every event to a file.
   */
  tracing: z
    .strictObject({
      otlp: z
        .union([
          z.literal(true),
          z.strictObject({
            endpoint: z.url().optional(),
            serviceName: z.string().min(1).optional(),
            headers: z.record(z.string(), z.string()).optional(),
            metrics: z.boolean().optional(),
            metricIntervalMs: z.number().int().positive().optional(),
          }),
        ])
        .optional(),
      jsonl: z.string().min(1).optional(),
    })
    .optional(),
  /** `weft serve` / `weft-server`: flags and `WEFT_*` environment variables win over these. */
  server: ServerConfigSchema.optional(),
  /** `weft agents up`: how many workers, their limits and flags (flags win). */
  workers: WorkersConfigSchema.optional(),
})
export type WeftConfig = z.infer<typeof WeftConfigSchema>
