/**
 * What the backend conformance suite demands of whatever a backend hands back: results that are
 * plain JSON, events that match `BackendEvent`, errors that are `BackendError`s, and silence once
 * `execute` settled. Kept apart from `describeBackend` so the rules of the contract read as one
 * list, not between the tests that apply them.
 */
import {
  BACKEND_ERROR_CODES,
  type BackendEvent,
  isBackendError,
  type Json,
  type TaskResult,
  USAGE_FIELDS,
} from '@weft/core'
import { expect } from 'vitest'
import { delay } from './helpers.js'

/** The counts of `TaskResult.usage` and of `usage` events; each must be a non-negative number. */
const USAGE_COUNTS = USAGE_FIELDS
const LOG_LEVELS = ['debug', 'info', 'warn', 'error']

export function expectValidResult(result: TaskResult): void {
  expect(result, 'execute() must resolve to an object').toBeTypeOf('object')
  expect(result).not.toBeNull()
  if (result.output !== undefined) expectJson(result.output, 'result.output')
  if (result.text !== undefined) expect(typeof result.text, 'result.text').toBe('string')
  if (result.sessionId !== undefined) expect(typeof result.sessionId, 'result.sessionId').toBe('string')
  if (result.usage !== undefined) expectUsage(result.usage, 'result.usage')
  if (result.artifacts !== undefined) {
    expect(Array.isArray(result.artifacts), 'result.artifacts').toBe(true)
    for (const a of result.artifacts) expect(typeof a.name, 'artifact name').toBe('string')
  }
}

function expectUsage(usage: Record<string, unknown>, label: string): void {
  for (const key of USAGE_COUNTS) {
    const v = usage[key]
    if (v === undefined) continue
    expect(
      typeof v === 'number' && Number.isFinite(v) && v >= 0,
      `${label}.${key} must be a non-negative number, got ${String(v)}`,
    ).toBe(true)
  }
  if (usage.model !== undefined) expect(typeof usage.model, `${label}.model`).toBe('string')
}

/** JSON values survive a round trip unchanged: no undefined, functions, NaN, Dates or classes. */
export function expectJson(value: unknown, label: string): void {
  expect(isJson(value), `${label} must be a JSON value, got ${describeValue(value)}`).toBe(true)
}

function isJson(value: unknown): value is Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every(isJson)
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    return (proto === Object.prototype || proto === null) && Object.values(value as object).every(isJson)
  }
  return false
}

function describeValue(value: unknown): string {
  try {
    return `${typeof value} ${String(value)}`
  } catch {
    return typeof value
  }
}

/** Why an event does not match `BackendEvent`, or undefined when it does. */
export function backendEventProblem(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return 'an event must be an object'
  const e = event as Record<string, unknown>
  const str = (k: string) => typeof e[k] === 'string'
  const optStr = (k: string) => e[k] === undefined || typeof e[k] === 'string'
  switch (e.type) {
    case 'message':
      if (!str('text')) return 'message.text must be a string'
      if (e.role !== undefined && !['assistant', 'user', 'system'].includes(e.role as string))
        return `message.role '${String(e.role)}' is not assistant|user|system`
      return undefined
    case 'delta':
      return str('text') ? undefined : 'delta.text must be a string'
    case 'tool_start':
    case 'tool_end':
      if (!str('toolId') || !str('name')) return `${e.type} needs string toolId and name`
      if (e.type === 'tool_start' && e.input !== undefined && !isJson(e.input))
        return 'tool_start.input must be JSON'
      if (e.type === 'tool_end' && e.output !== undefined && !isJson(e.output))
        return 'tool_end.output must be JSON'
      if (e.type === 'tool_end' && !optStr('error')) return 'tool_end.error must be a string'
      return undefined
    case 'usage':
      for (const key of USAGE_COUNTS) {
        const v = e[key]
        if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
          return `usage.${key} must be a non-negative number`
      }
      return optStr('model') ? undefined : 'usage.model must be a string'
    case 'session':
      return str('sessionId') && (e.sessionId as string).length > 0
        ? undefined
        : 'session.sessionId must be a non-empty string'
    case 'process':
      if (!Number.isInteger(e.pid) || !Number.isInteger(e.pgid)) return 'process needs integer pid and pgid'
      return optStr('startTime') ? undefined : 'process.startTime must be a string'
    case 'log':
      if (!str('message')) return 'log.message must be a string'
      if (e.level !== undefined && !LOG_LEVELS.includes(e.level as string))
        return `log.level '${String(e.level)}' is not debug|info|warn|error`
      if (e.stream !== undefined && e.stream !== 'stdout' && e.stream !== 'stderr')
        return `log.stream '${String(e.stream)}' is not stdout|stderr`
      return undefined
    default:
      return `unknown event type '${String(e.type)}'`
  }
}

export function expectValidEvents(events: BackendEvent[]): void {
  events.forEach((event, i) => {
    expect(backendEventProblem(event), `event #${i} ${JSON.stringify(event)}`).toBeUndefined()
  })
  // A tool call that ends must have started.
  const started = new Set(
    events.filter((e) => e.type === 'tool_start').map((e) => (e as { toolId: string }).toolId),
  )
  for (const e of events)
    if (e.type === 'tool_end')
      expect(started.has(e.toolId), `tool_end ${e.toolId} without tool_start`).toBe(true)
}

/** Events after `execute` settled are dropped by the runtime; a backend should not send them. */
export async function expectQuietAfterSettle(events: BackendEvent[]): Promise<void> {
  const count = events.length
  await delay(50)
  expect(events.slice(count), 'events emitted after execute() settled').toEqual([])
}

export function expectBackendError(error: unknown): void {
  expect(
    isBackendError(error),
    `expected a BackendError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  ).toBe(true)
  const e = error as { code: string; retryable: unknown; message: string }
  expect(BACKEND_ERROR_CODES as readonly string[], `code '${e.code}'`).toContain(e.code)
  expect(typeof e.retryable, 'retryable').toBe('boolean')
  expect(e.message.length, 'a BackendError needs a message').toBeGreaterThan(0)
}
