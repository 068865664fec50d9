import { SSE_END_EVENT, SSE_HEARTBEAT_COMMENT } from '@weft/api'
import type { Runtime, WeftEvent } from '@weft/core'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'

/** An open SSE stream, so that the server can end it on shutdown. */
export interface SseClient {
  /** Ends the stream (the client may reconnect with `Last-Event-ID`, e.g. to another server). */
  end(): void
  /** Settles when the stream has been written to the end. */
  done: Promise<void>
}

export interface SseDeps {
  runtime: Runtime
  metrics: ServerMetrics
  logger: Logger
  heartbeatMs: number
  clients: Set<SseClient>
}

/** A client that takes no byte for this long is let go (its undelivered events would pile up here). */
const WRITE_TIMEOUT_MS = 60_000

const TERMINAL: Record<string, string> = {
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.canceled': 'canceled',
}

/**
 * One SSE message per event (`event: <type>`, `id: <seq>`, `data: <event JSON>`), starting after
 * `after`: the stored events first, then live ones, with no gap and no duplicate (the runtime's
 * follow reads the store up to where live delivery takes over). After the run's terminal event an
 * `end` event closes the stream; a run that has already finished is replayed and ended. Comments
 * keep idle connections open. Writes wait for the client (backpressure); a client that goes away
 * stops the reader.
 */
export function streamRunEvents(
  c: Context,
  deps: SseDeps,
  runId: string,
  after: number,
  /** Also the live-only text deltas (a page showing text as it streams). */
  deltas = false,
): Response {
  c.header('X-Accel-Buffering', 'no')
  return streamSSE(c, async (stream) => {
    const controller = new AbortController()
    let shuttingDown = false
    // Done once the response is written out, not only once the last chunk is queued.
    const outgoing = (
      c.env as
        | { outgoing?: NodeJS.WritableStream & { writableFinished?: boolean; destroyed?: boolean } }
        | undefined
    )?.outgoing
    const written = outgoing
      ? new Promise<void>((resolve) => {
          if (outgoing.writableFinished || outgoing.destroyed) return resolve()
          outgoing.once('finish', () => resolve())
          outgoing.once('close', () => resolve())
        })
      : Promise.resolve()
    let resolveDone!: () => void
    const client: SseClient = {
      end() {
        shuttingDown = true
        controller.abort()
      },
      done: new Promise<void>((r) => {
        resolveDone = r
      }).then(() => written),
    }
    deps.clients.add(client)
    deps.metrics.sseClients.inc()
    const abort = () => controller.abort()
    stream.onAbort(abort)
    c.req.raw.signal.addEventListener('abort', abort)

    let beating = false
    const heartbeat = setInterval(() => {
      if (beating || controller.signal.aborted) return
      beating = true
      void stream.write(`${SSE_HEARTBEAT_COMMENT}\n\n`).finally(() => {
        beating = false
      })
    }, deps.heartbeatMs)
    heartbeat.unref?.()

    let last: WeftEvent | undefined
    let stalled = false
    try {
      // Headers and a first byte go out at once, so the client knows the stream is open.
      await stream.write(': stream open\n\n')
      for await (const e of deps.runtime.events(runId, {
        after,
        follow: true,
        signal: controller.signal,
        ...(deltas ? { deltas: true } : {}),
      })) {
        if (controller.signal.aborted) break
        const wrote = await within(
          stream.writeSSE({ event: e.type, id: String(e.seq), data: JSON.stringify(e) }),
          WRITE_TIMEOUT_MS,
        )
        if (!wrote) {
          stalled = true
          deps.logger.warn({ runId, seq: e.seq }, 'SSE client stopped reading; stream dropped')
          controller.abort()
          break
        }
        last = e
      }
      if (!controller.signal.aborted) {
        const run = last && TERMINAL[last.type] ? undefined : await deps.runtime.get(runId)
        await stream.writeSSE({
          event: SSE_END_EVENT,
          data: JSON.stringify({
            runId,
            status: last && TERMINAL[last.type] ? TERMINAL[last.type] : run?.status,
            lastSeq: last?.seq ?? run?.lastSeq ?? after,
          }),
        })
      } else if (shuttingDown) {
        await stream.write(': server shutting down; reconnect with Last-Event-ID\n\n')
      }
    } catch (err) {
      if (!controller.signal.aborted) {
        deps.logger.error({ err: errInfo(err), runId }, 'SSE stream failed')
        await stream.write(': error; reconnect with Last-Event-ID\n\n')
      }
    } finally {
      if (stalled) {
        stream.abort()
        ;(c.env as { outgoing?: { destroy?(): void } } | undefined)?.outgoing?.destroy?.()
      }
      clearInterval(heartbeat)
      c.req.raw.signal.removeEventListener('abort', abort)
      deps.clients.delete(client)
      deps.metrics.sseClients.dec()
      resolveDone()
    }
  })
}

/** Whether `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
    timer.unref?.()
  })
  try {
    return await Promise.race([work.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export function errInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      ...((err as { code?: unknown }).code !== undefined ? { code: (err as { code?: unknown }).code } : {}),
    }
  }
  return { value: String(err) }
}
