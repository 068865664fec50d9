import type { TaskRequest } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { envVarName, flag, numeric, parseOptions, promptOf, tail } from '../src/index.js'

const Schema = z.strictObject({
  maxTokens: numeric(z.number().int().positive()).optional(),
  stub: flag.optional(),
  apiKeyEnv: envVarName.optional(),
})

describe('options', () => {
  it('take the string spelling that templates render to', () => {
    expect(parseOptions(Schema, 'x', { maxTokens: '2000', stub: 'true' })).toEqual({
      maxTokens: 2000,
      stub: true,
    })
    expect(parseOptions(Schema, 'x', undefined)).toEqual({})
  })

  it('name every bad field under `with` in one bad_options error', () => {
    let error: unknown
    try {
      parseOptions(Schema, 'openai', { maxTokens: '-1', apiKeyEnv: 'sk-123', typo: 1 })
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: 'bad_options', retryable: false })
    const message = (error as Error).message
    expect(message).toMatch(/^bad options for backend 'openai': /)
    expect(message).toContain('with.maxTokens: ')
    expect(message).toContain('with.apiKeyEnv: must be an environment variable name')
    expect(message).toMatch(/with: .*typo/)
  })
})

describe('prompts', () => {
  const request = (partial: Partial<TaskRequest>): TaskRequest => ({
    runId: 'r',
    taskId: 'ask',
    attempt: 1,
    options: {},
    upstream: {},
    ...partial,
  })

  it('are the prompt, else the input as JSON, else the context', () => {
    expect(promptOf(request({ prompt: 'hi', input: { a: 1 } }))).toBe('hi')
    expect(promptOf(request({ prompt: '', input: { a: 1 } }))).toBe('{"a":1}')
    expect(promptOf(request({ context: { text: 'upstream said so', tokens: 4 } }))).toBe('upstream said so')
  })

  it('are a bad_options error when there is nothing to send', () => {
    expect(() => promptOf(request({}))).toThrow(/task 'ask' has no prompt or input to send/)
  })
})

describe('output tails', () => {
  it('keep the last lines, cut to a length, without skipped lines', () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n')
    expect(tail(text, { maxLines: 2 })).toBe('line 28\nline 29')
    expect(tail(text, { maxLines: 2, maxChars: 5 })).toBe('…ne 29')
    expect(tail('Warning: noise\nreal error\n', { skip: /^Warning:/ })).toBe('real error')
  })
})
