import {
  scopeAllows,
  WS_CLOSE_CODES,
  type WsClientMessage,
  WsClientMessageSchema,
  type WsServerMessage,
} from '@weft/api'
import { EPHEMERAL_EVENT_TYPES, type Runtime } from '@weft/core'
import type { WebSocket } from 'ws'
import type { Principal } from './auth.js'
import { cancelRun, getRun, pauseRun, resumeRun } from './controls.js'
import type { DataflowService } from './dataflow-service.js'
import { DataflowWsSubscriptions } from './dataflow-ws.js'
import { toErrorAnswer } from './errors.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import { errInfo } from './sse.js'

export interface WsDeps {
  runtime: Runtime
  metrics: ServerMetrics
  logger: Logger
  /** Messages waiting in the socket's buffer, per client, before it is dropped as too slow. */
  maxQueuedMessages: number
  /** Bytes buffered in the socket, per client, before it is dropped as too slow. */
  maxBufferedBytes: number
  /** Invalid messages a client may send before it is closed with 1008. */
  maxInvalidMessages: number
  /** Protocol pings; a client that did not answer the previous one is dropped. */
  pingMs: number
  clients: Set<WsClient>
  /** Dataflow executions (`dataflow.subscribe`). */
  dataflow?: DataflowService
  /** The socket's `?deltas=true`: run subscriptions include the live text deltas unless they say otherwise. */
  deltas?: boolean
}

const OPEN = 1

/**
 * One WebSocket client: its subscriptions (one run with replay, or every run of this server) and
 * its control messages. Every message is answered (`ack`, `pong` or `error`, echoing `id`). Sends
 * are bounded: a client that reads too slowly is closed with 4008 instead of growing memory.
 */
export class WsClient {
  private readonly runs = new Map<string, AbortController>()
  private unsubscribeAll: (() => void) | undefined
  private allDeltas = false
  private dataflow: DataflowWsSubscriptions | undefined
  private backlog = 0
  private invalid = 0
  private closed = false
  private alive = true
  private readonly pinger: NodeJS.Timeout

  constructor(
    private readonly ws: WebSocket,
    private readonly principal: Principal,
    private readonly deps: WsDeps,
  ) {
    deps.clients.add(this)
    deps.metrics.wsClients.inc()
    ws.on('pong', () => {
      this.alive = true
    })
    this.pinger = setInterval(() => {
      if (!this.alive) {
        this.deps.logger.warn(
          { key: this.principal.name },
          'WebSocket client stopped answering pings; dropped',
        )
        this.ws.terminate()
        return
      }
      this.alive = false
      try {
        this.ws.ping()
      } catch {
        // closing
      }
    }, deps.pingMs)
    this.pinger.unref?.()
  }

  /** A text frame from the client. */
  handle(data: unknown): void {
    if (this.closed) return
    if (typeof data !== 'string') {
      this.reject(undefined, 'send JSON text frames, not binary ones')
      return
    }
    let raw: unknown
    try {
      raw = JSON.parse(data)
    } catch {
      this.reject(undefined, 'the message is not valid JSON')
      return
    }
    const parsed = WsClientMessageSchema.safeParse(raw)
    if (!parsed.success) {
      const id = idOf(raw)
      const issue = parsed.error.issues[0]
      this.reject(
        id,
        `invalid message: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'}`,
        {
          issues: parsed.error.issues.map((i) => ({
            path: i.path.map(String),
            code: i.code,
            message: i.message,
          })),
        },
      )
      return
    }
    void this.dispatch(parsed.data).catch((err) => this.fail(parsed.data.id, err))
  }

  private async dispatch(m: WsClientMessage): Promise<void> {
    const runtime = this.deps.runtime
    switch (m.type) {
      case 'ping':
        this.send({ type: 'pong', ...(m.id !== undefined ? { id: m.id } : {}) })
        return
      case 'subscribe':
        if (m.runId === undefined) {
          this.subscribeAll(m.deltas ?? this.deps.deltas ?? false)
          this.ack(m.id)
        } else {
          const run = await getRun(runtime, m.runId)
          this.subscribeRun(m.runId, m.after ?? run.lastSeq, m.id, m.deltas ?? this.deps.deltas ?? false)
        }
        return
      case 'unsubscribe':
        if (m.runId === undefined) this.unsubscribeEverything()
        else {
          this.runs.get(m.runId)?.abort()
          this.runs.delete(m.runId)
        }
        this.ack(m.id)
        return
      case 'dataflow.subscribe':
        if (!this.deps.dataflow) throw new Error('this server runs no dataflow executions')
        this.dataflow ??= new DataflowWsSubscriptions(this.deps.dataflow, (msg) => this.send(msg))
        this.dataflow.subscribe(m.executionId, m.portEmits)
        this.ack(m.id)
        return
      case 'dataflow.unsubscribe':
        this.dataflow?.unsubscribe(m.executionId)
        this.ack(m.id)
        return
      case 'cancel':
      case 'pause':
      case 'resume': {
        if (!scopeAllows(this.principal.scopes, 'write')) {
          this.send({
            type: 'error',
            ...(m.id !== undefined ? { id: m.id } : {}),
            error: { code: 'forbidden', message: `the key '${this.principal.name}' lacks the 'write' scope` },
          })
          return
        }
        const run =
          m.type === 'cancel'
            ? await cancelRun(runtime, m.runId, m.reason)
            : m.type === 'pause'
              ? await pauseRun(runtime, m.runId)
              : await resumeRun(
                  runtime,
                  m.runId,
                  { token: m.token, input: m.input, reject: m.reject, budget: m.budget },
                  this.principal.name,
                )
        this.ack(m.id, run)
        return
      }
    }
  }

  /** Every run's live events; the text deltas only when asked for (they are most of the traffic). */
  private subscribeAll(deltas: boolean): void {
    this.allDeltas = deltas
    if (this.unsubscribeAll) return
    this.unsubscribeAll = this.deps.runtime.subscribe((event) => {
      if (!this.allDeltas && EPHEMERAL_EVENT_TYPES.has(event.type)) return
      this.send({ type: 'event', event })
    })
  }

  /**
   * The stored events after `after`, then live ones, without gap or duplicate; ends with the run.
   * With `deltas`, the live text deltas come in between (as with SSE's `?deltas=true`): they are
   * not stored and carry the seq of the last stored event, so `after` resumes exactly as without.
   */
  private subscribeRun(runId: string, after: number, id: WsClientMessage['id'], deltas: boolean): void {
    this.runs.get(runId)?.abort()
    const controller = new AbortController()
    this.runs.set(runId, controller)
    this.ack(id)
    void (async () => {
      try {
        for await (const event of this.deps.runtime.events(runId, {
          after,
          follow: true,
          signal: controller.signal,
          ...(deltas ? { deltas: true } : {}),
        })) {
          if (controller.signal.aborted || !this.send({ type: 'event', event })) break
        }
      } catch (err) {
        if (!controller.signal.aborted && !this.closed) this.fail(id, err)
      } finally {
        if (this.runs.get(runId) === controller) this.runs.delete(runId)
      }
    })()
  }

  private ack(id: WsClientMessage['id'], run?: unknown): void {
    this.send({ type: 'ack', ...(id !== undefined ? { id } : {}), ...(run !== undefined ? { run } : {}) })
  }

  private fail(id: WsClientMessage['id'], err: unknown): void {
    const answer = toErrorAnswer(err)
    if (answer.internal) this.deps.logger.error({ err: errInfo(err) }, 'WebSocket message failed')
    this.send({ type: 'error', ...(id !== undefined ? { id } : {}), error: answer.body.error })
  }

  private reject(id: WsClientMessage['id'], message: string, details?: unknown): void {
    this.invalid++
    this.send({
      type: 'error',
      ...(id !== undefined ? { id } : {}),
      error: { code: 'validation_failed', message, ...(details !== undefined ? { details } : {}) },
    })
    if (this.invalid >= this.deps.maxInvalidMessages) {
      this.close(WS_CLOSE_CODES.policyViolation, 'too many invalid messages')
    }
  }

  /**
   * Queues a message; false when the client is gone or was just dropped as too slow. The backlog
   * counts the messages sent while the socket still held unsent data: while the client keeps up,
   * each message goes straight to the kernel and the backlog stays at 0, whatever the burst.
   */
  send(message: WsServerMessage): boolean {
    if (this.closed || this.ws.readyState !== OPEN) return false
    const buffered = this.ws.bufferedAmount
    this.backlog = buffered === 0 ? 0 : this.backlog + 1
    if (this.backlog > this.deps.maxQueuedMessages || buffered > this.deps.maxBufferedBytes) {
      this.deps.logger.warn(
        { key: this.principal.name, queuedMessages: this.backlog, bufferedBytes: buffered },
        'WebSocket client reads too slowly; dropped',
      )
      this.close(WS_CLOSE_CODES.tooSlow, 'too slow: the send queue is full')
      return false
    }
    this.ws.send(JSON.stringify(message))
    return true
  }

  /** Ends this client: subscriptions stop, the socket closes with `code`. */
  close(code: number, reason: string): void {
    if (this.closed) return
    this.dispose()
    try {
      this.ws.close(code, reason)
    } catch {
      this.ws.terminate()
    }
  }

  /** Shutdown: a `bye` message, then close with 1001. */
  bye(reason: string): void {
    if (this.closed) return
    if (this.ws.readyState === OPEN) {
      try {
        this.ws.send(JSON.stringify({ type: 'bye', reason } satisfies WsServerMessage))
      } catch {
        // closing anyway
      }
    }
    this.close(WS_CLOSE_CODES.goingAway, reason)
  }

  /** Stops sending for good (the socket closed, or is closing). Idempotent. */
  dispose(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.pinger)
    this.unsubscribeEverything()
    this.deps.clients.delete(this)
    this.deps.metrics.wsClients.dec()
  }

  /** Hard stop after the grace period. */
  terminate(): void {
    this.dispose()
    this.ws.terminate()
  }

  private unsubscribeEverything(): void {
    this.dataflow?.dispose()
    this.unsubscribeAll?.()
    this.unsubscribeAll = undefined
    for (const c of this.runs.values()) c.abort()
    this.runs.clear()
  }
}

function idOf(raw: unknown): WsClientMessage['id'] {
  const id = (raw as { id?: unknown } | null)?.id
  if (typeof id === 'number' && Number.isFinite(id)) return id
  if (typeof id === 'string' && id.length <= 128) return id
  return undefined
}
