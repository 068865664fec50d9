import { WEFT_ERROR_CODES, type WeftErrorCode } from '@weft/core/contracts'
import { z } from 'zod'

/** The 403 codes a server policy answers with (each names the rule that refused). */
export const POLICY_ERROR_CODES = [
  /** The `Host` header names neither a loopback address nor one of `allowedHosts` (DNS rebinding). */
  'host_not_allowed',
  /** A write from a browser page whose `Origin` is not this server's nor a CORS origin. */
  'origin_not_allowed',
  /** Policy `inlineWorkflows`: this server (or this key) only runs workflows from its workflows folder. */
  'inline_workflows_disabled',
  /** Policy `backends` (per key or server-wide) or `inlineBackends`: a task uses a backend the caller may not use. */
  'backend_not_allowed',
  /** Policy `shell.cwdRoot`: a shell task's `cwd` leaves the folder the server confines shell tasks to. */
  'cwd_not_allowed',
  /** An inline workflow runs a subworkflow by path (`uses: ./x.yaml`); only names from the folder are allowed. */
  'subworkflow_not_allowed',
] as const

/**
 * Error codes only the HTTP layer produces. Together with weft's own codes (`run_not_found`,
 * `run_not_paused`, …) they are the stable `error.code` of every non-2xx answer.
 */
export const HTTP_ERROR_CODES = [
  /** The body, query or path did not match the schema; `details.issues` lists each problem. */
  'validation_failed',
  /** The body is not JSON (or not the content type the route takes). */
  'malformed_body',
  'unauthorized',
  'forbidden',
  /** No such route. */
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  /** The run queue is full; retry after `Retry-After` seconds. */
  'queue_full',
  /** The server is shutting down or not ready. */
  'unavailable',
  /** `POST /runs` with an idempotency key already used for a different body. */
  'idempotency_mismatch',
  /** `POST /runs` with `workflowName` that the workflows folder does not have. */
  'workflow_not_found',
  /** A server policy refused the request: the codes are described in `POLICY_ERROR_CODES`. */
  ...POLICY_ERROR_CODES,
  /** Limit `maxWorkflowBytes`: the workflow document is larger than the server takes. */
  'workflow_too_large',
  /** Limit `maxTasksPerRun`: the run would have more tasks than the server takes. */
  'too_many_tasks',
] as const

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number]

export const API_ERROR_CODES = [...new Set([...WEFT_ERROR_CODES, ...HTTP_ERROR_CODES])] as const
export type ApiErrorCode = WeftErrorCode | HttpErrorCode
export const ApiErrorCodeSchema = z.enum(API_ERROR_CODES as unknown as [ApiErrorCode, ...ApiErrorCode[]])

/** Every error answer: `{ error: { code, message, details?, hint? } }`. Never a stack trace. */
export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: ApiErrorCodeSchema,
    message: z.string(),
    /** What to do about it. */
    hint: z.string().optional(),
    /** e.g. `{ issues: [...] }` for validation, `{ diagnostics: [...] }` for an invalid workflow. */
    details: z.unknown().optional(),
  }),
})
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>

/** The HTTP status of each code. Codes not listed answer 500. */
export const STATUS_OF_CODE: Record<ApiErrorCode, number> = {
  validation_failed: 400,
  malformed_body: 400,
  workflow_invalid: 400,
  input_invalid: 400,
  tasks_invalid: 400,
  backend_not_found: 400,
  resume_token_required: 400,
  resume_token_invalid: 400,
  config_invalid: 400,
  plugin_not_found: 400,
  plugin_invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  host_not_allowed: 403,
  origin_not_allowed: 403,
  inline_workflows_disabled: 403,
  backend_not_allowed: 403,
  cwd_not_allowed: 403,
  subworkflow_not_allowed: 403,
  not_found: 404,
  run_not_found: 404,
  task_not_found: 404,
  agent_not_found: 404,
  workflow_not_found: 404,
  method_not_allowed: 405,
  run_finished: 409,
  run_not_paused: 409,
  resume_token_used: 409,
  conflict: 409,
  idempotency_mismatch: 409,
  payload_too_large: 413,
  workflow_too_large: 413,
  too_many_tasks: 413,
  queue_full: 429,
  store_unsupported: 501,
  unavailable: 503,
  runtime_closed: 503,
  store_version: 500,
  internal: 500,
}

export function statusOfCode(code: string): number {
  return (STATUS_OF_CODE as Record<string, number>)[code] ?? 500
}
