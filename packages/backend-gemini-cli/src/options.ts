import { z } from 'zod'

const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())

/** The approval modes of `gemini --approval-mode`. */
export const APPROVAL_MODES = ['default', 'auto_edit', 'yolo', 'plan'] as const

/** A task's `with` for the Gemini CLI backend. Strict: a misspelt option is an error, not ignored. */
export const GeminiCliOptionsSchema = z.strictObject({
  /** `-m`: overrides the task's `model:`. Default: the CLI's own choice. */
  model: z.string().min(1).optional(),
  /**
   * `--approval-mode`. In `default` mode, tools that need a confirmation are not offered to the
   * model at all in headless runs; `auto_edit` allows edits, `yolo` everything, `plan` is read-only.
   */
  approvalMode: z.enum(APPROVAL_MODES).optional(),
  /** More arguments, appended as they are (e.g. `["--include-directories", "../lib"]`). */
  extraArgs: z.array(z.string()).optional(),
  /** Extra environment variables for the CLI (on top of weft's own environment). */
  env: z.record(z.string(), z.string()).optional(),
  /** The directory the CLI runs in, relative to the task's working directory. */
  cwd: z.string().min(1).optional(),
  /** The `gemini` executable. Default: `node_modules/.bin/gemini`, else `gemini` on PATH. */
  binary: z.string().min(1).optional(),
  /** Replay a recorded transcript through the parser instead of running the CLI. */
  stub: flag.optional(),
  /** Also report every raw stdout line of the CLI as a debug log. */
  logRaw: flag.optional(),
})
export type GeminiCliOptions = z.infer<typeof GeminiCliOptionsSchema>
