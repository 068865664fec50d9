import { flag, numeric } from '@weft/plugin-kit'
import { JsonSchema } from '@weft/spec'
import { z } from 'zod'

// Templates render to strings (`delayMs: "${{ inputs.delay }}"` gives "250"): `numeric` and `flag`
// accept the string spelling of numbers and booleans too.
const count = numeric(z.number().int().nonnegative())

export const MockUsageSchema = z.strictObject({
  inputTokens: count.optional(),
  outputTokens: count.optional(),
  cacheReadTokens: count.optional(),
  cacheWriteTokens: count.optional(),
  reasoningTokens: count.optional(),
  costUsd: z
    .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().nonnegative())
    .optional(),
  model: z.string().optional(),
})
export type MockUsage = z.infer<typeof MockUsageSchema>

const LEVELS = ['debug', 'info', 'warn', 'error'] as const

/**
 * A scripted event. Each kind is a strict object with one distinguishing key, so a typo such as
 * `{ mesage: "hi" }` is an error instead of an event that silently never happens.
 * `delayMs` on any event waits before emitting it, to script a task that takes a while.
 */
export const MockEventSchema = z.union([
  z.strictObject({
    message: z.string(),
    role: z.enum(['assistant', 'user', 'system']).optional(),
    delayMs: count.optional(),
  }),
  z.strictObject({ delta: z.string(), delayMs: count.optional() }),
  z.strictObject({
    tool: z.string().min(1),
    id: z.string().min(1).optional(),
    input: JsonSchema.optional(),
    output: JsonSchema.optional(),
    error: z.string().optional(),
    delayMs: count.optional(),
  }),
  z.strictObject({
    log: z.string(),
    level: z.enum(LEVELS).optional(),
    stream: z.enum(['stdout', 'stderr']).optional(),
    delayMs: count.optional(),
  }),
  z.strictObject({ session: z.string().min(1), delayMs: count.optional() }),
])
export type MockEvent = z.infer<typeof MockEventSchema>

/**
 * The mock backend's options (a task's `with`). Loose on purpose: a run may override every
 * task's backend with `mock` for a dry run, and the other backends' options (`command`, `model`
 * settings, ...) must not make that run invalid.
 */
export const MockOptionsSchema = z.looseObject({
  /** The task's output, any JSON. Default: `mock: <the first 60 characters of the prompt>`. */
  output: JsonSchema.optional(),
  /** Wait this long before finishing (abortable). */
  delayMs: count.optional(),
  /** Attempts 1..N fail with a retryable `server_error`; attempt N+1 succeeds. */
  failTimes: count.optional(),
  /** Every attempt fails with a non-retryable `failed` error with this message. */
  error: z.string().min(1).optional(),
  /** Never finish: wait until the task is canceled or times out. */
  hang: flag.optional(),
  /** Token usage to report. Default: an estimate from the prompt and output lengths. */
  usage: MockUsageSchema.optional(),
  /** Memory to write when the task succeeds: `{ run: { key: value }, agent: { key: value } }` (null deletes). */
  memory: z
    .strictObject({
      run: z.record(z.string(), JsonSchema).optional(),
      agent: z.record(z.string(), JsonSchema).optional(),
    })
    .optional(),
  /** Events to emit while running, in order. */
  events: z.array(MockEventSchema).optional(),
  /** Emit the output text as a few `delta` events before finishing. */
  stream: flag.optional(),
})
export type MockOptions = z.infer<typeof MockOptionsSchema>
