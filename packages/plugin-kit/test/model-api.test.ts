import type { BackendEvent } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { beginModelAttempt, modelApiSettings, replayStub } from '../src/index.js'
import { attempt } from './attempt.js'

const defaults = { baseUrlEnv: 'X_BASE_URL', baseUrl: 'https://api.example.com/v1', keyEnv: 'X_API_KEY' }

describe('modelApiSettings', () => {
  it('takes the base URL from the task, the option, the variable, then the default, without a trailing slash', () => {
    const env = { X_BASE_URL: 'http://127.0.0.1:9/v1/' }
    expect(modelApiSettings({ env: {} }, defaults).baseUrlOf({})).toBe('https://api.example.com/v1')
    expect(modelApiSettings({ env }, defaults).baseUrlOf({})).toBe('http://127.0.0.1:9/v1')
    const withOption = modelApiSettings({ env, baseUrl: 'http://option//' }, defaults)
    expect(withOption.baseUrlOf({})).toBe('http://option')
    expect(withOption.baseUrlOf({ baseUrl: 'http://task/' })).toBe('http://task')
  })

  it('finds the key and says where it came from; stub mode from the option, the task or WEFT_STUB', () => {
    const env = { X_API_KEY: 'default', OTHER: 'other', WEFT_STUB: '1' }
    const settings = modelApiSettings({ env }, defaults)
    expect(settings.keyOf({})).toEqual({ key: 'default', source: 'X_API_KEY' })
    expect(settings.keyOf({ apiKeyEnv: 'OTHER' })).toEqual({ key: 'other', source: 'OTHER' })
    expect(modelApiSettings({ env: {}, apiKey: 'k' }, defaults).keyOf({})).toEqual({
      key: 'k',
      source: 'the apiKey option',
    })
    expect(settings.stubOf({})).toBe(true)
    expect(modelApiSettings({ env: {} }, defaults).stubOf({})).toBe(false)
    expect(modelApiSettings({ env: {} }, defaults).stubOf({ stub: true })).toBe(true)
    expect(modelApiSettings({ env, stub: false }, defaults).stubOf({ stub: true })).toBe(false)
  })
})

describe('replayStub', () => {
  it('logs stub mode and replays the transcript event by event', () => {
    const events: BackendEvent[] = []
    const data: string[] = []
    replayStub(
      (e) => events.push(e),
      'data: one\n\ndata: two\n\n',
      (e) => data.push(e.data),
    )
    expect(events).toEqual([
      { type: 'log', level: 'info', message: 'stub mode: replaying a recorded transcript, no API call' },
    ])
    expect(data).toEqual(['one', 'two'])
  })
})

describe('beginModelAttempt', () => {
  const schema = z.object({ stub: z.boolean().optional(), logRaw: z.boolean().optional() }).strict()
  const setup = (stub: boolean) => ({
    id: 'm',
    schema,
    canceled: 'the request was canceled',
    settings: modelApiSettings({ env: {}, stub }, defaults),
    transcript: 'data: one\n\n',
    stream: (emit: (e: BackendEvent) => void, logRaw: boolean) => {
      const seen: string[] = []
      return { seen, logRaw, emit, onEvent: (e: { data: string }) => seen.push(e.data) }
    },
  })

  it('parses `with`, makes the stream over the attempt, and replays the transcript in stub mode', () => {
    const a = attempt({ logRaw: true })
    const live = beginModelAttempt(a.request, a.ctx, setup(false))
    expect(live).toMatchObject({ options: { logRaw: true }, stubbed: false })
    expect(live.stream).toMatchObject({ logRaw: true, seen: [] })
    const b = attempt({})
    const stubbed = beginModelAttempt(b.request, b.ctx, setup(true))
    expect(stubbed.stubbed).toBe(true)
    expect(stubbed.stream.seen).toEqual(['one'])
    expect(b.events).toHaveLength(1)
  })

  it('refuses bad options and an aborted signal', () => {
    const bad = attempt({ nope: 1 })
    expect(() => beginModelAttempt(bad.request, bad.ctx, setup(false))).toThrow(
      expect.objectContaining({ code: 'bad_options' }),
    )
    const controller = new AbortController()
    controller.abort()
    const aborted = attempt({}, controller.signal)
    expect(() => beginModelAttempt(aborted.request, aborted.ctx, setup(false))).toThrow(
      expect.objectContaining({ code: 'canceled', retryable: false }),
    )
  })
})
