import { envVarName, flag, numeric } from '@weft/plugin-kit'
import { z } from 'zod'

// Templates render to strings (`maxTokens: "${{ inputs.budget }}"` gives "2000"): `numeric` and
// `flag` accept the string spelling of numbers and booleans too.

/** A task's `with` for the OpenAI-compatible backend. Strict: a misspelt option is an error. */
export const OpenAIOptionsSchema = z.strictObject({
  /** Overrides the task's `model:`. Default `gpt-4o-mini`. */
  model: z.string().min(1).optional(),
  /**
   * The most tokens the answer may use. Sent as `max_completion_tokens` to api.openai.com (its
   * reasoning models refuse `max_tokens`) and as `max_tokens` elsewhere (what local servers know).
   */
  maxTokens: numeric(z.number().int().positive()).optional(),
  /** The system prompt. */
  system: z.string().optional(),
  temperature: numeric(z.number().min(0).max(2)).optional(),
  /** `reasoning_effort` for reasoning models. */
  reasoningEffort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
  /** Default: `OPENAI_BASE_URL`, else https://api.openai.com/v1 (e.g. http://localhost:11434/v1 for Ollama). */
  baseUrl: z.string().url().optional(),
  /** The environment variable that holds the key. Default `OPENAI_API_KEY`. */
  apiKeyEnv: envVarName.optional(),
  /** Replay the recorded transcript instead of calling the endpoint (demos and CI). */
  stub: flag.optional(),
  /** Also report every raw SSE line as a debug log, for debugging the stream. */
  logRaw: flag.optional(),
})
export type OpenAIOptions = z.infer<typeof OpenAIOptionsSchema>
