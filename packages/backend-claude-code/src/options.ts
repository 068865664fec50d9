import { z } from 'zod'

/**
 * Templates render to strings (`maxTurns: "${{ inputs.turns }}"` gives "5"), so numbers and
 * booleans accept their string spelling too.
 */
const numeric = (schema: z.ZodNumber) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    schema,
  )
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())
const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String)

/** The values of `--permission-mode` that claude 2.1.197 accepts. */
export const PERMISSION_MODES = [
  'acceptEdits',
  'auto',
  'bypassPermissions',
  'default',
  'dontAsk',
  'plan',
] as const

/** A task's `with` for the Claude Code backend. Strict: a misspelt option is an error, not ignored. */
export const ClaudeCodeOptionsSchema = z.strictObject({
  /** `--model`; overrides the task's `model:`. Default: the CLI's own default. */
  model: z.string().min(1).optional(),
  /** `--max-turns`: the run fails with `max_turns` when the agent needs more. */
  maxTurns: numeric(z.number().int().positive()).optional(),
  /** `--allowedTools`, e.g. `["Read", "Bash(git log:*)"]`. */
  allowedTools: z.array(z.string().min(1)).optional(),
  /**
   * `--permission-mode`. Headless runs cannot answer a prompt: tools that would ask are refused.
   * `bypassPermissions` runs every tool (as root the CLI refuses it unless `IS_SANDBOX=1`).
   */
  permissionMode: z.enum(PERMISSION_MODES).optional(),
  /** `--append-system-prompt`. */
  appendSystemPrompt: z.string().optional(),
  /** `--max-budget-usd`: the run fails with `budget` when it would spend more. */
  maxBudgetUsd: numeric(z.number().positive()).optional(),
  /** Further arguments, passed as they are after weft's own. */
  extraArgs: z.array(scalarText).optional(),
  /** Environment variables, merged over the environment of the weft process. */
  env: z.record(z.string(), scalarText).optional(),
  /** Working directory, relative to the task's working directory. Default: the task's. */
  cwd: z.string().min(1).optional(),
  /** The `claude` executable. Default: `node_modules/.bin/claude`, else `claude` on PATH. */
  binary: z.string().min(1).optional(),
  /** `--include-partial-messages`: also report text deltas while the model writes. */
  includePartialMessages: flag.optional(),
  /** Replay a recorded transcript instead of running the CLI (demos and CI without it). */
  stub: flag.optional(),
  /** Report every raw stdout line of the CLI as a debug log event. */
  logRaw: flag.optional(),
})
export type ClaudeCodeOptions = z.infer<typeof ClaudeCodeOptionsSchema>
export type ClaudeCodeOptionsInput = z.input<typeof ClaudeCodeOptionsSchema>
