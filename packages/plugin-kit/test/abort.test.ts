import { BackendError } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { abortError, attemptEmitter, attemptKey, sleep, untilAborted } from '../src/index.js'

describe('abort errors', () => {
  it('say timeout for the task timeout and canceled (final) for the rest', () => {
    const timeout = new AbortController()
    timeout.abort({ kind: 'timeout', message: "task 'a' timed out after 5 ms" })
    const t = abortError(timeout.signal)
    expect(t).toBeInstanceOf(BackendError)
    expect([t.code, t.retryable, t.message]).toEqual(['timeout', true, "task 'a' timed out after 5 ms"])

    const runTimeout = new AbortController()
    runTimeout.abort({ kind: 'run_timeout', message: 'the run timed out' })
    expect(abortError(runTimeout.signal).code).toBe('canceled')

    // A reason without a message (not the runtime's) gets the backend's own words.
    const plain = new AbortController()
    plain.abort('ctrl-c')
    const c = abortError(plain.signal, 'the Codex run was canceled')
    expect([c.code, c.retryable, c.message]).toEqual(['canceled', false, 'the Codex run was canceled'])
  })

  it('sleep waits, and rejects with the abort error as soon as the signal aborts', async () => {
    const controller = new AbortController()
    await expect(sleep(1, controller.signal)).resolves.toBeUndefined()
    const waiting = sleep(60_000, controller.signal)
    controller.abort({ kind: 'cancel', message: 'stop' })
    await expect(waiting).rejects.toMatchObject({ code: 'canceled', message: 'stop' })
    await expect(untilAborted(controller.signal)).rejects.toMatchObject({ code: 'canceled' })
  })
})

describe('attempts', () => {
  it('key each attempt apart', () => {
    const a = attemptKey({ runId: 'r', taskId: 't', attempt: 1 })
    expect(a).not.toBe(attemptKey({ runId: 'r', taskId: 't', attempt: 2 }))
    expect(a).not.toBe(attemptKey({ runId: 'r', taskId: 't1', attempt: 1 }))
  })

  it('emit nothing after the abort, and survive a listener that throws', () => {
    const controller = new AbortController()
    const seen: string[] = []
    const emit = attemptEmitter({
      signal: controller.signal,
      emit: (e) => {
        if (e.type === 'log' && e.message === 'boom') throw new Error('listener broke')
        if (e.type === 'log') seen.push(e.message)
      },
    })
    emit({ type: 'log', message: 'one' })
    expect(() => emit({ type: 'log', message: 'boom' })).not.toThrow()
    controller.abort()
    emit({ type: 'log', message: 'late' })
    expect(seen).toEqual(['one'])
  })
})
