import { describe, expect, it } from 'vitest'
import {
  ABORT_REASON_KINDS,
  type AbortReason,
  abortReasonOf,
  BackendError,
  EVENT_TYPES,
  hasRunEnded,
  isAbortReason,
  isRunEndEvent,
  isTerminalRunStatus,
  RUN_END_EVENT_TYPES,
  RUN_STATUSES,
  runStatusOfEndEvent,
} from '../src/index.js'

describe('abort reasons', () => {
  it('reads the reason the runtime aborted a signal with', () => {
    const controller = new AbortController()
    expect(abortReasonOf(controller.signal)).toBeUndefined()
    const reason: AbortReason = { kind: 'timeout', message: "task 'a' timed out after 50 ms" }
    controller.abort(reason)
    expect(abortReasonOf(controller.signal)).toBe(reason)
  })

  it('counts an abort without a weft reason as a cancel that keeps its message', () => {
    const plain = new AbortController()
    plain.abort()
    expect(abortReasonOf(plain.signal)).toEqual({ kind: 'cancel', message: 'This operation was aborted' })
    const text = new AbortController()
    text.abort('user pressed ctrl-c')
    expect(abortReasonOf(text.signal)).toEqual({ kind: 'cancel', message: 'user pressed ctrl-c' })
  })

  it('knows every kind and nothing else', () => {
    for (const kind of ABORT_REASON_KINDS) expect(isAbortReason({ kind, message: '' })).toBe(true)
    expect(isAbortReason({ kind: 'later', message: '' })).toBe(false)
    expect(isAbortReason(null)).toBe(false)
  })
})

describe('the end of a run', () => {
  it('is exactly the three run-end events, each naming a terminal status', () => {
    const ends = EVENT_TYPES.filter((type) => isRunEndEvent({ type }))
    expect(ends.sort()).toEqual(['run.canceled', 'run.failed', 'run.succeeded'])
    expect([...RUN_END_EVENT_TYPES].sort()).toEqual(ends)
    for (const type of ends) expect(isTerminalRunStatus(runStatusOfEndEvent(type)!)).toBe(true)
    expect(runStatusOfEndEvent('run.paused')).toBeUndefined()
  })

  it('agrees with the terminal run statuses', () => {
    const ended = RUN_STATUSES.filter((status) => hasRunEnded({ status }))
    expect(ended).toEqual(['succeeded', 'failed', 'canceled'])
  })
})

describe('backend errors', () => {
  it('retries by default only what waiting can fix', () => {
    expect(new BackendError('rate_limit', 'slow down').retryable).toBe(true)
    expect(new BackendError('auth', 'bad key').retryable).toBe(false)
    expect(new BackendError('timeout', 'late', { retryable: false }).retryable).toBe(false)
  })
})
