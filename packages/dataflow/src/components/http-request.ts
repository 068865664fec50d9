import { setTimeout as sleep } from 'node:timers/promises'
import { defineComponent } from '@weft/spec'
import { z } from 'zod'

const HttpRequestOptions = z.strictObject({
  /** The URL; without it each message must be `{ url, … }`. */
  url: z.string().url().optional(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Send the message as the JSON body (default for POST, PUT and PATCH). */
  sendBody: z.boolean().optional(),
  /** Per attempt. */
  timeoutMs: z.number().int().positive().max(600_000).default(10_000),
  /** Attempts after the first, on network errors, timeouts, 429 and 5xx. */
  retries: z.number().int().nonnegative().max(10).default(0),
  retryDelayMs: z.number().int().nonnegative().max(60_000).default(200),
  responseType: z.enum(['auto', 'json', 'text']).default('auto'),
})
type Options = z.infer<typeof HttpRequestOptions>

class RetryableHttpError extends Error {}

/** Makes one HTTP request per message and emits `{ status, headers, body }` on `out`; failures throw (the node's `onError` decides). */
export const httpRequestComponent = defineComponent<Options>({
  id: 'http-request',
  label: 'HTTP request',
  description: 'One HTTP request per message, with a timeout per attempt and retries with backoff',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out', type: 'object' }],
  optionsSchema: HttpRequestOptions,
  async process(ctx, _port, value) {
    const o = ctx.options
    const fromMessage =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {}
    const url = o.url ?? (typeof fromMessage.url === 'string' ? fromMessage.url : undefined)
    if (!url) throw new Error('http-request has no url: set `with.url` or send messages like { "url": "…" }')
    const sendBody = o.sendBody ?? (o.method === 'POST' || o.method === 'PUT' || o.method === 'PATCH')
    let lastError: Error | undefined
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      if (attempt > 0) await sleep(o.retryDelayMs * 2 ** (attempt - 1), undefined, { signal: ctx.signal })
      try {
        const response = await fetch(url, {
          method: o.method,
          headers: { ...(sendBody ? { 'content-type': 'application/json' } : {}), ...o.headers },
          ...(sendBody ? { body: JSON.stringify(value) } : {}),
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(o.timeoutMs)]),
        })
        const text = await response.text()
        if (response.status === 429 || response.status >= 500)
          throw new RetryableHttpError(`${o.method} ${url} answered ${response.status}`)
        if (response.status >= 400)
          throw new Error(`${o.method} ${url} answered ${response.status}: ${text.slice(0, 200)}`)
        const isJson =
          o.responseType === 'json' ||
          (o.responseType === 'auto' && /json/.test(response.headers.get('content-type') ?? ''))
        const body = isJson && text !== '' ? JSON.parse(text) : text
        await ctx.emit('out', {
          status: response.status,
          headers: Object.fromEntries(response.headers),
          body,
        })
        return
      } catch (err) {
        if (ctx.signal.aborted) throw err
        const e = err as Error
        const timedOut = e.name === 'TimeoutError'
        lastError = timedOut ? new Error(`${o.method} ${url} timed out after ${o.timeoutMs} ms`) : e
        const retryable = timedOut || err instanceof RetryableHttpError || e.name === 'TypeError'
        if (!retryable) throw lastError
      }
    }
    throw new Error(
      `${lastError?.message ?? 'request failed'} (after ${o.retries + 1} attempt${o.retries ? 's' : ''})`,
    )
  },
})
