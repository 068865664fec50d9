import { envVarName, flag, numeric } from '@weft/plugin-kit'
import { z } from 'zod'

// Templates render to strings (`maxTokens: "${{ inputs.budget }}"` gives "2000"): `numeric` and
// `flag` accept the string spelling of numbers and booleans too.

/** A task's `with` for the Anthropic backend. Strict: a misspelt option is an error, not ignored. */
export const AnthropicOptionsSchema = z.strictObject({
  /** Overrides the task's `model:`. Default `claude-sonnet-4-5`. */
  model: z.string().min(1).optional(),
  /** The most tokens the answer may use (`max_tokens`). Default 4096. */
  maxTokens: numeric(z.number().int().positive()).optional(),
  /** The system prompt. */
  system: z.string().optional(),
  temperature: numeric(z.number().min(0).max(1)).optional(),
  /** Turns on extended thinking with this budget of tokens (at least 1024, less than maxTokens). */
  thinkingBudget: numeric(z.number().int().min(1024)).optional(),
  /** Default: `ANTHROPIC_BASE_URL`, else https://api.anthropic.com. */
  baseUrl: z.string().url().optional(),
  /** The environment variable that holds the key. Default `ANTHROPIC_API_KEY`. */
  apiKeyEnv: envVarName.optional(),
  /** Replay the recorded transcript instead of calling the API (demos and CI without a key). */
  stub: flag.optional(),
  /** Also report every raw SSE event as a debug log, for debugging the stream. */
  logRaw: flag.optional(),
})
export type AnthropicOptions = z.infer<typeof AnthropicOptionsSchema>
