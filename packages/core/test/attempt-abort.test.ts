/**
 * An attempt's abort tells `onAbort` listeners without an AbortController, and a signal made
 * later is aborted with the same reason.
 */
import { describe, expect, it } from 'vitest'
import type { AbortReason } from '../src/index.js'
import { AttemptAbort } from '../src/run/attempt-abort.js'

describe('AttemptAbort', () => {
  it('calls each listener once with the first reason, and later ones in a microtask', async () => {
    const abort = new AttemptAbort()
    const heard: AbortReason[] = []
    abort.onAbort((r) => heard.push(r))
    abort.abort({ kind: 'cancel', message: 'first' })
    abort.abort({ kind: 'timeout', message: 'second' })
    expect(heard).toEqual([{ kind: 'cancel', message: 'first' }])
    let late: AbortReason | undefined
    abort.onAbort((r) => {
      late = r
    })
    expect(late).toBeUndefined()
    await Promise.resolve()
    expect(late).toEqual({ kind: 'cancel', message: 'first' })
    expect(abort.signal.aborted).toBe(true)
    expect(abort.signal.reason).toEqual({ kind: 'cancel', message: 'first' })
  })
})
