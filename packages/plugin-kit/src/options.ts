import { BackendError } from '@weft/spec'
import { z } from 'zod'

/**
 * Parses a task's `with` by the backend's schema. The runtime parses `with` already (and reports
 * errors at validation time with the task's path); this covers callers that use a backend directly.
 * Every issue is named by its path under `with`, so the message says what to fix.
 */
export function parseOptions<S extends z.ZodType>(schema: S, backendId: string, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {})
  if (parsed.success) return parsed.data
  throw new BackendError(
    'bad_options',
    `bad options for backend '${backendId}': ${describeIssues(parsed.error)}`,
    {
      retryable: false,
    },
  )
}

/** `with.maxTokens: Too small: expected number to be >0; with.stub: …` */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `with${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`)
    .join('; ')
}

/**
 * A number option that also takes its string spelling: templates render to strings
 * (`maxTokens: "${{ inputs.budget }}"` gives "2000").
 */
export function numeric<S extends z.ZodNumber>(schema: S) {
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    schema,
  )
}

/** A boolean option that also takes "true" and "false", for the same reason as `numeric`. */
export const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())

/** The name of an environment variable (`apiKeyEnv: MY_KEY`), never a value that looks like a key. */
export const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
