import { z } from 'zod'

/**
 * A finding about a workflow, a config or a run: what is wrong, where, and how to fix it.
 * `path` is a dotted path inside the document (`tasks.summarize.needs[0]`); `file`, `line` and
 * `column` are set when the document came from a file.
 */
export const DiagnosticLevelSchema = z.enum(['error', 'warning', 'info'])
export type DiagnosticLevel = z.infer<typeof DiagnosticLevelSchema>

export const DiagnosticSchema = z.object({
  level: DiagnosticLevelSchema,
  code: z.string(),
  message: z.string(),
  path: z.string().optional(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  hint: z.string().optional(),
})
export type Diagnostic = z.infer<typeof DiagnosticSchema>

/**
 * `default`: report warnings, block only on errors.
 * `strict`: warnings are promoted to errors and block too.
 */
export const DiagnosticsModeSchema = z.enum(['default', 'strict'])
export type DiagnosticsMode = z.infer<typeof DiagnosticsModeSchema>
