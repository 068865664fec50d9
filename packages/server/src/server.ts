import { randomBytes } from 'node:crypto'
import type { Server as HttpServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { createAdaptorServer, type WebSocketServerLike } from '@hono/node-server'
import type { Runtime } from '@weft/core'
import { createDataflow } from '@weft/dataflow'
import { type Context, Hono } from 'hono'
import { WebSocketServer } from 'ws'
import { registerApiRoutes } from './api-routes.js'
import type { AppEnv } from './app-env.js'
import { installMiddleware } from './app-middleware.js'
import { createAuthenticator } from './auth.js'
import { DataflowService } from './dataflow-service.js'
import { createHandlerTable } from './handler-table.js'
import { HostCheck } from './host-check.js'
import { KEEP_ALIVE_MS, onClientError } from './http-connections.js'
import { InflightRequests } from './inflight.js'
import { createStderrLogger } from './logger.js'
import { createServerMetrics, observeRuntime } from './metrics.js'
import { PolicyGate } from './policy.js'
import type { ServerOptions, WeftServer } from './server-options.js'
import type { SseClient } from './sse.js'
import { RunStarter } from './start-run.js'
import { createStaticUi } from './static-ui.js'
import { WorkflowParser } from './workflow-parser.js'
import type { WsClient } from './ws.js'

export type { ListenOptions, ServerOptions, WeftServer } from './server-options.js'

const DEFAULT_MAX_BODY = 1024 * 1024
const DEFAULT_MAX_WORKFLOW_BYTES = 1024 * 1024
const DEFAULT_MAX_TASKS_PER_RUN = 2000
/** This package's version (src/ and dist/ both sit next to package.json). */
const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i

/** The HTTP, SSE and WebSocket surface of a weft runtime. */
export function createServer(runtime: Runtime, options: ServerOptions = {}): WeftServer {
  const logger = options.logger ?? createStderrLogger()
  const metrics = options.metrics ?? createServerMetrics()
  const authenticate = options.auth ? createAuthenticator(options.auth.keys) : undefined
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  const version = options.version ?? PACKAGE_VERSION
  const owner = `weft-server:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const corsOrigins = options.cors?.origins
  if (corsOrigins === '*' && !authenticate) {
    throw new TypeError(
      "cors origins '*' without API keys would let every web page start runs on this server: list the origins, or configure keys",
    )
  }
  const hosts = new HostCheck({
    allowedHosts: options.allowedHosts ?? [],
    enforce: !authenticate || options.allowedHosts !== undefined,
  })
  const parser = new WorkflowParser({
    logger,
    ...(options.parseInWorkerFromBytes !== undefined
      ? { inlineBelowBytes: options.parseInWorkerFromBytes }
      : {}),
  })
  const policy = new PolicyGate(options.policy ?? {}, authenticate !== undefined)

  let closing = false
  const inflight = new InflightRequests()
  const tracked = new Set<Promise<unknown>>()
  const sseClients = new Set<SseClient>()
  const wsClients = new Set<WsClient>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes })
  const unobserve = observeRuntime(metrics, runtime)
  // The runtime's own lifecycle in the log. It usually stops after the server closes, so the
  // listener stays until `runtime.stopped` (then leaves).
  const unlisten = runtime.onLifecycle((e) => {
    logger.info({ event: e.type, owner: e.owner, ...e.data }, e.type)
    if (e.type === 'runtime.stopped') queueMicrotask(() => unlisten())
  })

  const limits = {
    maxWorkflowBytes: options.maxWorkflowBytes ?? DEFAULT_MAX_WORKFLOW_BYTES,
    maxTasksPerRun: options.maxTasksPerRun ?? DEFAULT_MAX_TASKS_PER_RUN,
  }
  const starter = new RunStarter(runtime, {
    ...(options.workflowsDir !== undefined ? { workflowsDir: options.workflowsDir } : {}),
    ...(options.maxQueuedRuns !== undefined ? { maxQueuedRuns: options.maxQueuedRuns } : {}),
    retryAfterSeconds: options.queueRetryAfterSeconds ?? 5,
    owner,
    parser,
    policy,
    limits,
  })
  const dataflow = new DataflowService(
    runtime,
    options.dataflow ?? createDataflow({ backends: [...runtime.backends.values()] }),
    limits.maxWorkflowBytes,
  )
  const handlers = createHandlerTable({
    runtime,
    options,
    metrics,
    logger,
    version,
    starter,
    parser,
    policy,
    limits,
    dataflow,
    sseClients,
    wsClients,
    track(work) {
      tracked.add(work)
      void work.finally(() => tracked.delete(work))
    },
    isClosing: () => closing,
  })

  // Hono runs what is added in order: the middleware, then the API routes, then the page.
  const app = new Hono<AppEnv>()
  installMiddleware(app, {
    logger,
    metrics,
    hosts,
    inflight,
    corsOrigins,
    authenticate,
    isClosing: () => closing,
  })
  registerApiRoutes(app, { handlers, authenticate, corsOrigins, maxBodyBytes })

  if (options.ui) {
    // After every API route: only paths the API does not know reach the page (GET and HEAD).
    const serveUi = createStaticUi(options.ui)
    app.get('*', async (c, next) => {
      const answer = await serveUi(c as unknown as Context, c.req.path)
      if (!answer) return next()
      c.set('route', 'ui')
      return answer
    })
  }

  let httpServer: HttpServer | undefined
  let stopping: Promise<void> | undefined

  const weft: WeftServer = {
    app: app as unknown as Hono,
    metrics,
    websocketServer: wss,
    fetch: async (request, env) => app.fetch(request, env as never),

    async listen(opts = {}) {
      if (httpServer) throw new Error('the server is already listening')
      if (closing) throw new Error('the server is closed')
      let host = opts.host ?? '127.0.0.1'
      if (!authenticate) {
        if (!LOOPBACK.test(host)) {
          logger.warn({ requested: host }, `no API keys: not listening on ${host}, only on 127.0.0.1`)
          host = '127.0.0.1'
        }
        logger.info(
          { host },
          'no API keys configured: listening on 127.0.0.1 only (configure auth.keys to listen elsewhere)',
        )
      }
      const server = createAdaptorServer({
        fetch: (request, env) => app.fetch(request, env as never),
        overrideGlobalObjects: options.fastResponses ?? true,
        websocket: { server: wss as unknown as WebSocketServerLike },
      }) as HttpServer
      server.on('clientError', onClientError)
      // An idle keep-alive connection is closed by the client first: clients pool connections for
      // a few seconds (undici 4 s, browsers longer), and a server that closes at the same moment as
      // a client reuses the connection makes that request fail with ECONNRESET (Node's 5 s default
      // met undici's 4 s whenever the event loop was busy for a second or two).
      server.keepAliveTimeout = KEEP_ALIVE_MS
      server.headersTimeout = KEEP_ALIVE_MS + 1_000
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(opts.port ?? 8080, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      httpServer = server
      const addr = server.address() as AddressInfo
      hosts.listeningOn(addr.port)
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      const url = `http://${shown}:${addr.port}`
      logger.info({ url, auth: authenticate ? 'api-keys' : 'none' }, 'weft server listening')
      return { url, host: addr.address, port: addr.port }
    },

    close(opts = {}) {
      stopping ??= (async () => {
        const graceMs = opts.graceMs ?? 5000
        const deadline = Date.now() + graceMs
        closing = true
        const server = httpServer
        const closed = server
          ? new Promise<void>((resolve) => server.close(() => resolve()))
          : Promise.resolve()
        server?.closeIdleConnections()
        // Streams end now (SSE: a last comment; WebSocket: `bye` and 1001); requests in flight finish.
        const streams = [...sseClients].map((s) => s.done)
        for (const s of [...sseClients]) s.end()
        for (const w of [...wsClients]) w.bye('server shutting down')
        // Dataflow executions live in this server: they are stopped (and kept in the store).
        await dataflow.stopAll()
        const idle = inflight.idle()
        const left = () => Math.max(0, deadline - Date.now())
        await Promise.race([
          Promise.all([idle, ...streams, ...tracked]),
          sleep(left(), undefined, { ref: false }),
        ])
        // Connections close as their last response is written (they answered `Connection: close`).
        const sweep = setInterval(() => server?.closeIdleConnections(), 25)
        await Promise.race([closed, sleep(Math.max(left(), 250), undefined, { ref: false })])
        clearInterval(sweep)
        for (const ws of wss.clients) ws.terminate()
        server?.closeAllConnections()
        await Promise.race([closed, sleep(1000, undefined, { ref: false })])
        wss.close()
        parser.close()
        unobserve()
        logger.info({}, 'weft server closed')
      })()
      return stopping
    },
  }
  return weft
}
