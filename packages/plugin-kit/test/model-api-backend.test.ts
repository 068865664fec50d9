import { BackendError, type BackendEvent } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createModelApiBackend, type EventSourceMessage, modelApiSettings } from '../src/index.js'
import { attempt } from './attempt.js'

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

/** A backend over `fetch` whose stream parser joins the events' data into the output. */
function echoBackend(fetch: typeof globalThis.fetch, stub: boolean) {
  const settings = modelApiSettings(
    { env: {}, stub, fetch },
    { baseUrlEnv: 'X_BASE_URL', baseUrl: 'http://x', keyEnv: 'X_KEY' },
  )
  return createModelApiBackend({
    id: 'echo',
    label: 'Echo',
    api: 'Echo API',
    schema: z.strictObject({ stub: z.boolean().optional(), logRaw: z.boolean().optional() }),
    settings,
    canceled: 'the request was canceled',
    transcript: 'data: recorded\n\n',
    stream: (_emit: (event: BackendEvent) => void) => {
      const data: string[] = []
      return {
        onEvent: (e: EventSourceMessage) => data.push(e.data),
        result: () => ({ output: data.join(' ') }),
      }
    },
    call: (request) => ({
      url: `${settings.baseUrlOf({})}/echo`,
      headers: { 'x-key': 'k' },
      body: { prompt: request.prompt },
      errorFromResponse: async (response) => new BackendError('failed', `status ${response.status}`),
    }),
    health: async () => ({ ok: true, details: 'live' }),
  })
}

describe('createModelApiBackend', () => {
  it('POSTs the backend’s request with the trace headers and returns what the stream parsed', async () => {
    const sent: { url: string; init: RequestInit }[] = []
    const fetch = (async (url: string, init: RequestInit) => {
      sent.push({ url, init })
      return new Response('data: one\n\ndata: two\n\n', { headers: { 'content-type': 'text/event-stream' } })
    }) as typeof globalThis.fetch
    const backend = echoBackend(fetch, false)
    const a = attempt({})
    const result = await backend.execute({ ...a.request, prompt: 'hi', trace: { traceparent } }, a.ctx)
    expect(result).toEqual({ output: 'one two' })
    expect(sent[0]?.url).toBe('http://x/echo')
    expect(sent[0]?.init.headers).toMatchObject({ 'x-key': 'k', traceparent })
    expect(JSON.parse(String(sent[0]?.init.body))).toEqual({ prompt: 'hi' })
    expect(await backend.healthcheck?.()).toEqual({ ok: true, details: 'live' })
  })

  it('replays the transcript in stub mode without a request, and its healthcheck says so', async () => {
    const fetch = (async () => {
      throw new Error('no request in stub mode')
    }) as typeof globalThis.fetch
    const backend = echoBackend(fetch, true)
    const a = attempt({})
    expect(await backend.execute(a.request, a.ctx)).toEqual({ output: 'recorded' })
    expect(await backend.healthcheck?.()).toMatchObject({
      ok: true,
      details: expect.stringContaining('stub mode'),
    })
  })
})
