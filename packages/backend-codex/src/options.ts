import { z } from 'zod'

export const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const

/** The task's `with` for the `codex` backend. Every field is optional. */
export const CodexOptionsSchema = z
  .object({
    /** `-m`: the model Codex uses. Default: the task's `model:`, else Codex's own default. */
    model: z.string().min(1).optional(),
    /** `-s`: where model-generated shell commands may write. Default: Codex's own (read-only). */
    sandbox: z.enum(SANDBOX_MODES).optional(),
    /**
     * An OpenAI Responses endpoint (e.g. `http://127.0.0.1:8080/v1`). Codex ignores
     * OPENAI_BASE_URL, so weft writes a provider into the run's `$CODEX_HOME/config.toml`.
     */
    baseUrl: z.string().url().optional(),
    /** The environment variable that holds the key for `baseUrl`. Default `OPENAI_API_KEY`. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    /**
     * The CODEX_HOME to use. Default: a fresh temporary one per attempt when `baseUrl` is set,
     * else the user's own (`$CODEX_HOME` or `~/.codex`, where `codex login` keeps its auth).
     */
    codexHome: z.string().min(1).optional(),
    /** More arguments for `codex exec`, placed before the prompt (e.g. `["-c", "model_reasoning_effort=\"low\""]`). */
    extraArgs: z.array(z.string()).optional(),
    /** Extra environment variables for the CLI (added to weft's own environment). */
    env: z.record(z.string(), z.string()).optional(),
    /** The directory Codex works in, relative to the task's working directory. */
    cwd: z.string().min(1).optional(),
    /** The `codex` executable. Default: `node_modules/.bin/codex`, else `codex` on PATH. */
    binary: z.string().min(1).optional(),
    /** Replay a recorded transcript through the real parser instead of running the CLI. */
    stub: z.boolean().optional(),
    /** Log every raw JSONL line of the CLI as a debug event. */
    logRaw: z.boolean().optional(),
  })
  .strict()

export type CodexOptions = z.infer<typeof CodexOptionsSchema>
export type CodexOptionsInput = z.input<typeof CodexOptionsSchema>
