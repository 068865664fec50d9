import { describeBackend } from '@weft/testing'
import { expect } from 'vitest'
import { createShellBackend } from '../src/index.js'

describeBackend('shell', () => createShellBackend({ killGraceMs: 500 }), {
  succeed: {
    request: { options: { command: ['echo', '{"ok":true}'] } },
    expect: (result) => expect(result.output).toEqual({ ok: true }),
  },
  fail: { request: { options: { command: ['sh', '-c', 'echo nope >&2; exit 2'] } }, code: 'exit_code' },
  hang: { request: { options: { command: ['sleep', '30'] } } },
  emitsEvents: { request: { options: { command: ['sh', '-c', 'echo a warning >&2'] } } },
  stopWithinMs: 3000,
})
