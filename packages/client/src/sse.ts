import { ApiErrorBodySchema, SSE_END_EVENT } from '@weft/api'
import { EPHEMERAL_EVENT_TYPES, type WeftEvent, WeftEventSchema } from '@weft/core/contracts'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { WeftApiError, WeftConnectionError } from './errors.js'
import { routeOf, type Transport } from './transport.js'

export interface StreamOptions {
  /** Only events with a greater seq (default 0: the whole log, then live events). */
  after?: number
  /** Stops the stream: the iteration ends quietly. */
  signal?: AbortSignal
  /** First wait before a reconnect (default 250 ms, or the server's `retry:`); doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number
  /** Default 5000 ms. */
  maxRetryDelayMs?: number
  /** Reconnects in a row without receiving anything before the stream fails (default 10). */
  maxRetries?: number
  /** A connection with no bytes (not even a heartbeat) for this long is dropped and reopened. Default 60 s. */
  idleTimeoutMs?: number
  /** Also the live-only text deltas (`agent.delta`): shown as they come, never stored or replayed. */
  deltas?: boolean
  /** Called before each reconnect, e.g. to log it. */
  onReconnect?: (info: { attempt: number; lastSeq: number; delayMs: number; error: unknown }) => void
}

/** Reads the stored events of a run after `after` up to (excluding) `before`, to fill a gap. */
export type GapFiller = (after: number, before: number) => AsyncIterable<WeftEvent>

class IdleTimeout extends Error {}

/**
 * A run's events over SSE (`GET /runs/{id}/events/stream`) as an async iterable, in seq order,
 * without gap or duplicate: after a dropped connection it reconnects with `Last-Event-ID` (the
 * last seq it yielded) after a backoff, skips what it already yielded, and fills any gap it sees
 * from the paged events API. Ends after the run's terminal event (the server's `end` event).
 */
export async function* streamRunEvents(
  transport: Transport,
  runId: string,
  options: StreamOptions,
  fillGap: GapFiller,
): AsyncGenerator<WeftEvent, void, undefined> {
  const signal = options.signal
  const maxRetries = options.maxRetries ?? 10
  const maxDelay = options.maxRetryDelayMs ?? 5000
  const idleMs = options.idleTimeoutMs ?? 60_000
  let baseDelay = options.retryDelayMs ?? 250
  let last = options.after ?? 0
  let failures = 0
  let first = true
  const route = routeOf('streamRunEvents')

  while (!signal?.aborted) {
    const controller = new AbortController()
    const onAbort = () => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    let received = false
    let error: unknown
    try {
      const response = await transport.send('streamRunEvents', {
        params: { id: runId },
        // The first request says where to start; a reconnect says it with Last-Event-ID only.
        query: {
          ...(first && last > 0 ? { after: last } : {}),
          ...(options.deltas ? { deltas: 'true' } : {}),
        },
        headers: {
          accept: 'text/event-stream',
          'cache-control': 'no-cache',
          ...(!first ? { 'last-event-id': String(last) } : {}),
        },
        signal: controller.signal,
      })
      first = false
      const type = response.headers.get('content-type') ?? ''
      if (!type.includes('text/event-stream') || !response.body) {
        await response.body?.cancel().catch(() => undefined)
        throw new WeftApiError({
          status: response.status,
          code: 'invalid_response',
          message: `${route.method.toUpperCase()} ${route.path} answered ${type || 'no content type'}, not an event stream`,
        })
      }

      const pending: EventSourceMessage[] = []
      const parser = createParser({
        onEvent: (m) => void pending.push(m),
        onRetry: (ms) => {
          if (options.retryDelayMs === undefined && ms > 0) baseDelay = ms
        },
      })
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      try {
        for (;;) {
          const chunk = await readWithin(reader, idleMs)
          if (chunk.done) break
          received = true
          failures = 0
          parser.feed(decoder.decode(chunk.value, { stream: true }))
          while (pending.length > 0) {
            const message = pending.shift()!
            if (message.event === SSE_END_EVENT) return
            const event = toEvent(message)
            if (!event) continue
            if (EPHEMERAL_EVENT_TYPES.has(event.type)) {
              yield event
              continue
            }
            if (event.seq <= last) continue
            if (event.seq > last + 1) {
              for await (const missed of fillGap(last, event.seq)) {
                if (missed.seq <= last || missed.seq >= event.seq) continue
                yield missed
                last = missed.seq
              }
            }
            yield event
            last = event.seq
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined)
      }
      // The server closed the stream without `end` (a restart, a proxy's timeout): reconnect.
      error = new WeftConnectionError(transport.baseUrl, 'the event stream ended before the run did')
    } catch (err) {
      if (signal?.aborted) return
      if (err instanceof IdleTimeout) {
        error = new WeftConnectionError(transport.baseUrl, `no data for ${idleMs} ms`)
      } else if (err instanceof WeftApiError && !retryable(err)) {
        throw err
      } else {
        error = err instanceof WeftApiError || err instanceof WeftConnectionError ? err : wrap(transport, err)
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      controller.abort()
    }

    if (!received) failures++
    if (failures > maxRetries) throw error
    const delayMs = backoff(baseDelay, maxDelay, Math.max(1, failures))
    options.onReconnect?.({ attempt: failures, lastSeq: last, delayMs, error })
    if (!(await sleep(delayMs, signal))) return
  }
}

function toEvent(message: EventSourceMessage): WeftEvent | undefined {
  let json: unknown
  try {
    json = JSON.parse(message.data)
  } catch {
    return undefined
  }
  const parsed = WeftEventSchema.safeParse(json)
  if (parsed.success) return parsed.data as WeftEvent
  if (message.event === 'error') {
    const body = ApiErrorBodySchema.safeParse(json)
    if (body.success) {
      const e = body.data.error
      throw new WeftApiError({
        status: 500,
        code: e.code,
        message: e.message,
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
        ...(e.details !== undefined ? { details: e.details } : {}),
      })
    }
  }
  return undefined
}

/** Server-side trouble is worth another try; a wrong request (404, 401, 400) is not. */
function retryable(err: WeftApiError): boolean {
  return err.status >= 500 || err.status === 429 || err.status === 408
}

function wrap(transport: Transport, err: unknown): WeftConnectionError {
  const reason = err instanceof Error ? err.message || err.name : String(err)
  return new WeftConnectionError(
    transport.baseUrl,
    /terminated|closed|reset/i.test(reason) ? 'ECONNRESET' : reason,
    {
      cause: err,
    },
  )
}

function backoff(base: number, max: number, attempt: number): number {
  const exp = Math.min(max, base * 2 ** (attempt - 1))
  // ±20 % so that many clients of a restarted server do not come back at the same instant.
  return Math.round(exp * (0.8 + Math.random() * 0.4))
}

/** Resolves true after `ms`, false as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve(value)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(true), ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new IdleTimeout()), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
