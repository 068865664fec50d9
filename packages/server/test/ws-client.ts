import { WsServerMessageSchema } from '@weft/api'
import type { WeftEvent } from '@weft/core'
import { WebSocket } from 'ws'
import type { Loose } from './helpers.js'

/** A raw `ws` client of `/api/v1/ws` that records every message, each checked against the protocol. */
export class WsClient {
  readonly messages: Loose[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private notify: (() => void) | undefined

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data))
      WsServerMessageSchema.parse(m)
      this.messages.push(m)
      this.notify?.()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.notify?.()
        resolve({ code, reason: String(reason) })
      })
    })
  }

  /** Connects to the server at `baseUrl` (http://…), with `query` (`?deltas=true`) on the socket's URL. */
  static async open(baseUrl: string, query = ''): Promise<WsClient> {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/api/v1/ws${query}`)
    const client = new WsClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return client
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** The first message (from the start) that matches. */
  async wait(pred: (m: Loose) => boolean, what: string): Promise<Loose> {
    const deadline = Date.now() + 30_000
    for (;;) {
      const m = this.messages.find(pred)
      if (m) return m
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before ${what}`)
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200)
        this.notify = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
  }

  /** Sends a request and waits for its answer (the message with its id that is not an event). */
  async request(message: { id: string | number } & Record<string, unknown>): Promise<Loose> {
    this.send(message)
    return this.wait((m) => m.id === message.id && m.type !== 'event', `the answer to ${message.id}`)
  }

  /** The events received so far, of one run or of all. */
  events(runId?: string): WeftEvent[] {
    return this.messages
      .filter((m) => m.type === 'event' && (runId === undefined || m.event.runId === runId))
      .map((m) => m.event)
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve()
      this.ws.once('close', () => resolve())
      this.ws.close()
    })
  }
}
