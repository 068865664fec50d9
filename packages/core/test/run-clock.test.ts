/**
 * Retry waits, task and run timeouts and the cancel grace run on the run's clock: with a manual
 * clock these tests move time by hand and never wait for it.
 */
import { describe, expect, it } from 'vitest'
import { createManualClock } from '../src/run/clock.js'
import { drain, runHarness } from './helpers/run-harness.js'
import { testBackend } from './helpers/test-backend.js'

// biome-ignore lint/suspicious/noExplicitAny: task specs of the tests, checked by the schema at start
const wf = (tasks: Record<string, any>, extra: Record<string, unknown> = {}) => ({
  workflow: { weft: 1 as const, name: 'clock', defaults: { backend: 'test' }, tasks, ...extra },
})

describe('timers on an injectable clock', () => {
  it('waits out each retry backoff on the clock, to the millisecond', async () => {
    const clock = createManualClock()
    const backend = testBackend()
    const h = runHarness({ backends: [backend], clock })
    const retry = { maxAttempts: 3, backoffMs: 10_000, factor: 2, jitter: 0 }
    const exec = await h.start(wf({ flaky: { with: { failTimes: 2 }, retry } }))
    await drain()
    expect(backend.calls).toHaveLength(1)
    const t = exec.tasks.get('flaky')!
    expect(t.status).toBe('retrying')
    expect(Date.parse(t.nextRetryAt!) - clock.now()).toBe(10_000)

    clock.advance(9_999)
    await drain()
    expect(backend.calls).toHaveLength(1)
    clock.advance(1)
    await drain()
    expect(backend.calls).toHaveLength(2)
    // The second backoff doubles.
    clock.advance(19_999)
    await drain()
    expect(backend.calls).toHaveLength(2)
    clock.advance(1)
    await drain()
    expect(backend.calls.map((c) => c.attempt)).toEqual([1, 2, 3])
    const done = await exec.settled()
    expect(done.status).toBe('succeeded')
    const retries = (await h.events(exec.id)).filter((e) => e.type === 'task.retry_scheduled')
    expect(retries.map((e) => (e.data as { delayMs: number }).delayMs)).toEqual([10_000, 20_000])
  })

  it("times a task out on the clock and retries it as a 'timeout' failure", async () => {
    const clock = createManualClock()
    const backend = testBackend()
    const h = runHarness({ backends: [backend], clock })
    const exec = await h.start(
      wf({
        slow: {
          with: { hang: true },
          timeoutMs: 60_000,
          retry: { maxAttempts: 2, backoffMs: 1000, jitter: 0 },
        },
      }),
    )
    await drain()
    clock.advance(59_999)
    await drain()
    expect(exec.tasks.get('slow')!.status).toBe('running')
    clock.advance(1)
    await drain()
    expect(exec.tasks.get('slow')).toMatchObject({ status: 'retrying', error: { code: 'timeout' } })
    clock.advance(1000)
    await drain()
    expect(exec.tasks.get('slow')).toMatchObject({ status: 'running', attempt: 2 })
    clock.advance(60_000)
    const done = await exec.settled()
    expect(done.status).toBe('failed')
    expect(exec.tasks.get('slow')).toMatchObject({ status: 'failed', attempt: 2, error: { code: 'timeout' } })
  })

  it('fails the run when its own timeout passes on the clock', async () => {
    const clock = createManualClock()
    const h = runHarness({ backends: [testBackend()], clock })
    const exec = await h.start(
      wf({ a: { with: { hang: true } }, b: { needs: ['a'] } }, { timeoutMs: 30_000 }),
    )
    await drain()
    clock.advance(29_999)
    await drain()
    expect(exec.summary.status).toBe('running')
    clock.advance(1)
    const done = await exec.settled()
    expect(done).toMatchObject({ status: 'failed', error: { code: 'run_timeout' } })
    expect(exec.tasks.get('b')!.status).toBe('canceled')
  })

  it('abandons a backend that ignores its abort after the cancel grace, on the clock', async () => {
    const clock = createManualClock()
    const h = runHarness({ backends: [testBackend()], clock, cancelGraceMs: 5_000 })
    const exec = await h.start(wf({ stubborn: { with: { hang: true, ignoreAbort: true } } }))
    await drain()
    void exec.cancel('stop it')
    await drain()
    expect(exec.tasks.get('stubborn')!.status).toBe('running')
    clock.advance(5_000)
    const done = await exec.settled()
    expect(done.status).toBe('canceled')
    const events = await h.events(exec.id)
    expect(events.some((e) => e.type === 'log' && JSON.stringify(e.data).includes('backend_abandoned'))).toBe(
      true,
    )
    expect(exec.tasks.get('stubborn')!.status).toBe('canceled')
  })
})
