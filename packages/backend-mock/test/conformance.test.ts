import { describeBackend } from '@weft/testing'
import { expect } from 'vitest'
import { createMockBackend } from '../src/index.js'

describeBackend('mock', () => createMockBackend(), {
  succeed: {
    request: {
      prompt: 'Say hello',
      options: { output: { greeting: 'hello' }, usage: { inputTokens: 3, outputTokens: 2 } },
    },
    expect: (result) => {
      expect(result.output).toEqual({ greeting: 'hello' })
      expect(result.usage).toMatchObject({ inputTokens: 3, outputTokens: 2 })
    },
  },
  fail: { request: { prompt: 'boom', options: { error: 'scripted failure' } }, code: 'failed' },
  hang: { request: { prompt: 'wait', options: { hang: true } } },
  emitsEvents: {
    request: {
      prompt: 'use a tool',
      options: {
        events: [
          { message: 'thinking' },
          { tool: 'grep', input: { pattern: 'x' }, output: ['a.ts'] },
          { log: 'done' },
        ],
        stream: true,
      },
    },
  },
  settleMs: 50,
  stopWithinMs: 1000,
})
