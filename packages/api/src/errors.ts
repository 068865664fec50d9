import { WEFT_ERROR_CODES, type WeftErrorCode } from '@weft/core/contracts'
import { z } from 'zod'

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
  not_found: 404,
  run_not_found: 404,
  task_not_found: 404,
  workflow_not_found: 404,
  method_not_allowed: 405,
  run_finished: 409,
  run_not_paused: 409,
  resume_token_used: 409,
  conflict: 409,
  idempotency_mismatch: 409,
  payload_too_large: 413,
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
