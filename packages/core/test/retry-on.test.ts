import { describe, expect, it } from 'vitest'
import { type BackendInfo, resolveRetryPolicy, validateWorkflow } from '../src/index.js'

const backends = new Map<string, BackendInfo>([
  ['shell', { id: 'shell', errorCodes: ['exit_code', 'failed', 'not_installed'] }],
  ['mock', { id: 'mock', errorCodes: ['failed', 'server_error'] }],
  ['custom', { id: 'custom' }],
])

function warnings(tasks: Record<string, unknown>, defaults: Record<string, unknown> = {}) {
  const r = validateWorkflow(
    { weft: 1, name: 'r', defaults: { backend: 'shell', ...defaults }, tasks },
    { backends },
  )
  expect(r.diagnostics.filter((d) => d.level === 'error')).toEqual([])
  return r.diagnostics.map((d) => ({ code: d.code, path: d.path, message: d.message }))
}

describe('retry.on', () => {
  it('resolves like every other field; setting it without maxAttempts means 3 attempts', () => {
    expect(resolveRetryPolicy(undefined, { on: ['exit_code'] })).toMatchObject({
      on: ['exit_code'],
      maxAttempts: 3,
    })
    expect(resolveRetryPolicy({ maxAttempts: 5 }, { on: [75] })).toMatchObject({ on: [75], maxAttempts: 5 })
    expect(resolveRetryPolicy({ on: ['exit_code'] }, { maxAttempts: 2 })).toMatchObject({ maxAttempts: 2 })
    // Without `on` nothing changes: one attempt unless a layer says otherwise.
    expect(resolveRetryPolicy({ backoffMs: 5 }).maxAttempts).toBe(1)
    expect(resolveRetryPolicy().on).toBeUndefined()
  })

  it('is checked by the schema: known error codes or exit codes 1-255', () => {
    const bad = validateWorkflow(
      { weft: 1, name: 'r', tasks: { a: { backend: 'shell', retry: { on: ['exit-code', 0] } } } },
      { backends },
    )
    expect(bad.diagnostics.map((d) => d.path)).toEqual(['tasks.a.retry.on[0]', 'tasks.a.retry.on[1]'])
    expect(bad.diagnostics[0]!.hint).toContain('exit_code')
  })

  it('warns when a retry policy can never apply', () => {
    expect(
      warnings({
        ok: { retry: { on: ['exit_code', 3] } },
        off: { retry: { maxAttempts: 1 } }, // turning retries off for one task is fine
        one: { retry: { on: ['exit_code'], maxAttempts: 1 } },
        tuned: { retry: { maxAttempts: 1, backoffMs: 500 } },
        gate: { approval: { message: 'ok?' }, retry: { maxAttempts: 3 } },
        model: { backend: 'mock', retry: { on: ['exit_code', 75, 'timeout', 'server_error'] } },
        unknown: { backend: 'custom', retry: { on: ['exit_code'] } }, // a backend that does not say: no guess
      }),
    ).toEqual([
      {
        code: 'retry_never_applies',
        path: 'tasks.one.retry.maxAttempts',
        message: "task 'one' has maxAttempts: 1, so its retry policy never applies",
      },
      {
        code: 'retry_never_applies',
        path: 'tasks.tuned.retry.maxAttempts',
        message: "task 'tuned' has maxAttempts: 1, so its retry policy never applies",
      },
      {
        code: 'retry_never_applies',
        path: 'tasks.gate.retry',
        message: "task 'gate' is an approval gate: it runs nothing, so its retry never applies",
      },
      {
        code: 'retry_never_applies',
        path: 'tasks.model.retry.on',
        message: "task 'model' retries on 'exit_code', exit code 75, which backend 'mock' never reports",
      },
    ])
  })

  it('points at defaults.retry when the policy comes from there', () => {
    expect(warnings({ a: { backend: 'mock' }, b: {} }, { retry: { on: ['exit_code'] } })).toEqual([
      {
        code: 'retry_never_applies',
        path: 'defaults.retry.on',
        message: "task 'a' retries on 'exit_code', which backend 'mock' never reports",
      },
    ])
  })
})
