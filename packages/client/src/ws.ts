import {
  API_PREFIX,
  type ResumeRunRequest,
  statusOfCode,
  type WsClientMessage,
  type WsServerMessage,
  WsServerMessageSchema,
} from '@weft/api'
import { type RunSummary, RunSummarySchema, type WeftEvent } from '@weft/core/contracts'
import { WeftApiError, WeftConnectionError } from './errors.js'
import type { Transport } from './transport.js'
import { openError, type WebSocketConstructor, type WebSocketLike } from './ws-socket.js'

export type { WebSocketConstructor, WebSocketLike } from './ws-socket.js'

export interface SessionOptions {
  WebSocket: WebSocketConstructor
  /** `header` (Node) or `query` (browsers: `?key=`). */
  auth: 'header' | 'query'
  /** How long to wait for the socket to open, and for each answer. Default: the client's timeout. */
  timeoutMs: number
  signal?: AbortSignal
}

export interface SubscribeOptions {
  /** With a run id: the stored events after this seq come first, then live ones, without gap or duplicate. */
  after?: number
  /**
   * Also the live-only text deltas (`agent.delta`): shown as they come, never stored or replayed.
   * A delta's `seq` is the last stored event's, so resuming with `after` is unaffected.
   */
  deltas?: boolean
}

/** The dataflow messages a session receives (`subscribeDataflow`). */
export type DataflowWsMessage = Extract<WsServerMessage, { type: `dataflow.${string}` }>
type Listener<T> = (value: T) => void

interface Pending {
  resolve(message: WsServerMessage): void
  reject(err: unknown): void
  timer: ReturnType<typeof setTimeout>
}

const OPEN = 1

/**
 * A WebSocket session with the server (`/api/v1/ws`): subscriptions to live events of one run or
 * of all runs, and run control whose answers come back as promises matched by message id.
 */
export class WeftSession {
  /** Resolves when the socket has closed (by either side), with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>
  /** The server's `bye` reason, when it closed the session for a shutdown. */
  byeReason?: string

  private readonly pending = new Map<string, Pending>()
  private readonly eventListeners = new Set<Listener<WeftEvent>>()
  private readonly dataflowListeners = new Set<Listener<DataflowWsMessage>>()
  private readonly closeListeners = new Set<Listener<{ code: number; reason: string }>>()
  private nextId = 1
  private isClosed = false
  private resolveClosed!: (value: { code: number; reason: string }) => void

  private constructor(
    private readonly socket: WebSocketLike,
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
  }

  /** Opens a session; rejects when the socket cannot open (refused, 401, timeout). */
  static open(transport: Transport, options: SessionOptions): Promise<WeftSession> {
    const wsBase = transport.baseUrl.replace(/^http/, 'ws')
    const key = transport.apiKey
    const query = key && options.auth === 'query' ? `?key=${encodeURIComponent(key)}` : ''
    const url = `${wsBase}${API_PREFIX}/ws`
    const socket =
      key && options.auth === 'header'
        ? new options.WebSocket(url, { headers: transport.authHeaders() })
        : new options.WebSocket(`${url}${query}`)
    const session = new WeftSession(socket, transport.baseUrl, options.timeoutMs)
    return new Promise<WeftSession>((resolve, reject) => {
      let settled = false
      let lastError: unknown
      const fail = (err: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        try {
          socket.close()
        } catch {
          // not open yet
        }
        reject(err)
      }
      const onAbort = () => fail(options.signal?.reason)
      if (options.signal?.aborted) return fail(options.signal.reason)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      const timer =
        options.timeoutMs > 0
          ? setTimeout(
              () =>
                fail(
                  new WeftConnectionError(transport.baseUrl, 'timeout', {
                    message: `the WebSocket to ${url} did not open within ${options.timeoutMs} ms`,
                  }),
                ),
              options.timeoutMs,
            )
          : undefined
      socket.onopen = () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        resolve(session)
      }
      socket.onerror = (event) => {
        lastError = event.error ?? event
      }
      socket.onmessage = (event) => session.receive(event.data)
      socket.onclose = (event) => {
        session.finish(event.code, event.reason)
        if (!settled) fail(openError(transport.baseUrl, url, event, lastError))
      }
    })
  }

  /** Live events of one run, or of every run without `runId`. Resolves on the server's ack. */
  async subscribe(runId?: string, options: SubscribeOptions = {}): Promise<void> {
    await this.request({
      type: 'subscribe',
      ...(runId !== undefined ? { runId } : {}),
      ...(options.after !== undefined ? { after: options.after } : {}),
      ...(options.deltas !== undefined ? { deltas: options.deltas } : {}),
    })
  }

  async unsubscribe(runId?: string): Promise<void> {
    await this.request({ type: 'unsubscribe', ...(runId !== undefined ? { runId } : {}) })
  }

  /** Cancels a run; resolves with its summary after the request (when the server sends it). */
  async cancel(runId: string, options: { reason?: string } = {}): Promise<RunSummary | undefined> {
    return runOf(await this.request({ type: 'cancel', runId, ...options }))
  }

  async pause(runId: string): Promise<RunSummary | undefined> {
    return runOf(await this.request({ type: 'pause', runId }))
  }

  /** Resumes a paused run, answers an approval (`token`, `input`) or raises its budget. */
  async resume(runId: string, options: ResumeRunRequest = {}): Promise<RunSummary | undefined> {
    return runOf(await this.request({ type: 'resume', runId, ...options } as WsClientMessage))
  }

  /** Round trip to the server; resolves with the time it took in ms. */
  async ping(): Promise<number> {
    const start = Date.now()
    await this.request({ type: 'ping' })
    return Date.now() - start
  }

  /** Calls `listener` with every event of the subscriptions; returns the function that stops it. */
  /**
   * A dataflow execution's live messages: its events, its metrics every second and, with
   * `portEmits`, its hops in coalesced batches. Resolves on the server's ack.
   */
  async subscribeDataflow(executionId: string, options: { portEmits?: boolean } = {}): Promise<void> {
    await this.request({ type: 'dataflow.subscribe', executionId, portEmits: options.portEmits ?? false })
  }

  async unsubscribeDataflow(executionId: string): Promise<void> {
    await this.request({ type: 'dataflow.unsubscribe', executionId })
  }

  /** `dataflow.event`, `dataflow.metrics` and `dataflow.port_emit` messages of subscribed executions. */
  onDataflow(listener: Listener<DataflowWsMessage>): () => void {
    this.dataflowListeners.add(listener)
    return () => this.dataflowListeners.delete(listener)
  }

  onEvent(listener: Listener<WeftEvent>): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  onClose(listener: Listener<{ code: number; reason: string }>): () => void {
    this.closeListeners.add(listener)
    return () => this.closeListeners.delete(listener)
  }

  /**
   * The events of the subscriptions from now on, as an async iterable (buffered while the loop
   * body runs). Ends when the session closes, or when the loop breaks.
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<WeftEvent> {
    const buffer: WeftEvent[] = []
    let wake: (() => void) | undefined
    let done = this.isClosed
    const stopEvents = this.onEvent((e) => {
      buffer.push(e)
      wake?.()
    })
    const stop = () => {
      done = true
      stopEvents()
      stopClose()
      options.signal?.removeEventListener('abort', stop)
      wake?.()
    }
    const stopClose = this.onClose(stop)
    options.signal?.addEventListener('abort', stop, { once: true })
    if (options.signal?.aborted) stop()
    const iterator: AsyncIterableIterator<WeftEvent> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          if (buffer.length > 0) return { value: buffer.shift()!, done: false }
          if (done) return { value: undefined, done: true }
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          wake = undefined
        }
      },
      return: async () => {
        stop()
        buffer.length = 0
        return { value: undefined, done: true }
      },
    }
    return iterator
  }

  /** Closes the session (1000, normal closure) and waits until the socket has closed. */
  async close(): Promise<void> {
    if (!this.isClosed) {
      try {
        this.socket.close(1000, 'client closed')
      } catch {
        this.finish(1000, 'client closed')
      }
    }
    await this.closed
  }

  private request(message: WsClientMessage): Promise<WsServerMessage> {
    if (this.isClosed || this.socket.readyState !== OPEN) {
      return Promise.reject(
        new WeftConnectionError(this.url, 'closed', {
          message: `the WebSocket session with ${this.url} is closed${this.byeReason ? ` (${this.byeReason})` : ''}`,
        }),
      )
    }
    const id = String(this.nextId++)
    return new Promise<WsServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(
          new WeftConnectionError(this.url, 'timeout', {
            message: `no answer to '${message.type}' from the weft server at ${this.url} within ${this.timeoutMs} ms`,
          }),
        )
      }, this.timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.socket.send(JSON.stringify({ ...message, id }))
    })
  }

  private receive(data: unknown): void {
    const text =
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? new TextDecoder().decode(data)
          : ArrayBuffer.isView(data)
            ? new TextDecoder().decode(data as Uint8Array)
            : undefined
    if (text === undefined) return
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return
    }
    const parsed = WsServerMessageSchema.safeParse(json)
    if (!parsed.success) return
    const message = parsed.data
    switch (message.type) {
      case 'event':
        for (const l of [...this.eventListeners]) l(message.event as WeftEvent)
        return
      case 'bye':
        this.byeReason = message.reason
        return
      case 'dataflow.event':
      case 'dataflow.metrics':
      case 'dataflow.port_emit':
        for (const l of [...this.dataflowListeners]) l(message)
        return
      default: {
        const id = message.id === undefined ? undefined : String(message.id)
        const pending = id === undefined ? undefined : this.pending.get(id)
        if (!pending || id === undefined) return
        this.pending.delete(id)
        clearTimeout(pending.timer)
        if (message.type === 'error') {
          const e = message.error
          pending.reject(
            new WeftApiError({
              status: statusOfCode(e.code),
              code: e.code,
              message: e.message,
              ...(e.hint !== undefined ? { hint: e.hint } : {}),
              ...(e.details !== undefined ? { details: e.details } : {}),
            }),
          )
        } else pending.resolve(message)
      }
    }
  }

  private finish(code: number, reason: string): void {
    if (this.isClosed) return
    this.isClosed = true
    const err = new WeftConnectionError(this.url, 'closed', {
      message: `the WebSocket session with ${this.url} closed (${code}${reason ? ` ${reason}` : ''}) before the answer came`,
    })
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    this.pending.clear()
    for (const l of [...this.closeListeners]) l({ code, reason })
    this.resolveClosed({ code, reason })
  }
}

function runOf(message: WsServerMessage): RunSummary | undefined {
  if (message.type !== 'ack' || message.run === undefined) return undefined
  const parsed = RunSummarySchema.safeParse(message.run)
  return parsed.success ? parsed.data : undefined
}
