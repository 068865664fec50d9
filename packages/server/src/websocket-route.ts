/**
 * `GET /api/v1/ws`: the upgrade to a WebSocket, whose client (`WsClient`) then carries the
 * subscriptions and control messages. Upgrades need the server's own listener (or an adaptor
 * server given `websocketServer`), which puts the `ws` server in the request's env.
 */
import { upgradeWebSocket } from '@hono/node-server'
import type { Runtime } from '@weft/core'
import type { WebSocket } from 'ws'
import type { DataflowService } from './dataflow-service.js'
import { HttpError } from './errors.js'
import type { Handler } from './handlers.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import type { ServerOptions } from './server-options.js'
import { errInfo } from './sse.js'
import { WsClient } from './ws.js'

export interface WebSocketRouteDeps {
  runtime: Runtime
  metrics: ServerMetrics
  logger: Logger
  dataflow: DataflowService
  /** The connected clients: `close()` says `bye` to each. */
  clients: Set<WsClient>
  options: Pick<ServerOptions, 'wsMaxQueuedMessages' | 'wsMaxBufferedBytes' | 'wsPingMs'>
  /** A client that connects while the server shuts down is told `bye` at once. */
  isClosing: () => boolean
}

export function createWebSocketHandler({
  runtime,
  metrics,
  logger,
  dataflow,
  clients,
  options,
  isClosing,
}: WebSocketRouteDeps): Handler {
  return async function websocketHandler({ c, principal, query }): Promise<Response> {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new HttpError('validation_failed', 'this route takes a WebSocket upgrade (Upgrade: websocket)', {
        hint: 'connect with a WebSocket client',
      })
    }
    if (!(c.env as { wss?: unknown } | undefined)?.wss) {
      throw new HttpError('unavailable', 'WebSockets need the server’s own listener', {
        hint: 'use listen(), or pass websocketServer to createAdaptorServer of @hono/node-server',
      })
    }
    let client: WsClient | undefined
    return upgradeWebSocket(
      c,
      {
        onOpen(_event, ws) {
          client = new WsClient(ws.raw as WebSocket, principal, {
            runtime,
            metrics,
            logger,
            maxQueuedMessages: options.wsMaxQueuedMessages ?? 1000,
            maxBufferedBytes: options.wsMaxBufferedBytes ?? 8 * 1024 * 1024,
            maxInvalidMessages: 20,
            pingMs: options.wsPingMs ?? 30_000,
            clients,
            dataflow,
            deltas: (query as { deltas?: string } | undefined)?.deltas === 'true',
          })
          if (isClosing()) client.bye('server shutting down')
        },
        onMessage(event) {
          client?.handle(event.data)
        },
        onClose() {
          client?.dispose()
        },
        onError(event) {
          logger.warn({ err: String((event as { error?: unknown }).error ?? 'error') }, 'WebSocket error')
          client?.dispose()
        },
      },
      { onError: (err) => logger.error({ err: errInfo(err) }, 'WebSocket handler failed') },
    )
  }
}
