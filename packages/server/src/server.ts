import { randomBytes } from 'node:crypto'
import { type Server as HttpServer, STATUS_CODES } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { createAdaptorServer, upgradeWebSocket, type WebSocketServerLike } from '@hono/node-server'
import { API_PREFIX, API_ROUTES, type ApiRoute, type Scope } from '@weft/api'
import type { Runtime } from '@weft/core'
import { createDataflow, type Dataflow, formatPrometheus } from '@weft/dataflow'
import { type Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import { type WebSocket, WebSocketServer } from 'ws'
import { z } from 'zod'
import { createAgentHandlers } from './agent-handlers.js'
import {
  ANONYMOUS_ADMIN,
  type ApiKey,
  bearerToken,
  createAuthenticator,
  type Principal,
  requireScope,
} from './auth.js'
import { createDataflowHandlers } from './dataflow-handlers.js'
import { DataflowService } from './dataflow-service.js'
import { errorBody, HttpError, toErrorAnswer, validationError } from './errors.js'
import { createHandlers, type Handler } from './handlers.js'
import { HostCheck } from './host-check.js'
import { createStderrLogger, type Logger } from './logger.js'
import { createServerMetrics, observeRuntime, type ServerMetrics } from './metrics.js'
import { PolicyGate, type ServerPolicy } from './policy.js'
import { createQueueHandlers } from './queue-handlers.js'
import { createRunExtraHandlers } from './run-extras.js'
import { createScheduleHandlers } from './schedules.js'
import { errInfo, type SseClient } from './sse.js'
import { RunStarter } from './start-run.js'
import { createStaticUi, type StaticUiOptions } from './static-ui.js'
import { createTaskHandlers } from './task-handlers.js'
import { WorkflowParser } from './workflow-parser.js'
import { WsClient } from './ws.js'

export interface ServerOptions {
  /** API keys. Without them every request is allowed, and `listen()` binds 127.0.0.1 only. */
  auth?: { keys: ApiKey[] }
  /** `POST /runs { workflowName }` loads `<dir>/<name>(.yaml|.yml|.json)`. */
  workflowsDir?: string
  /**
   * Host names (`name` or `name:port`) the server answers besides loopback ones (`127.0.0.1`,
   * `localhost`, `[::1]` with the port it listens on), e.g. the name a reverse proxy forwards.
   * Without API keys every other `Host` answers 403 `host_not_allowed` (DNS rebinding); with keys
   * the check applies once this list is given. `/healthz` and `/readyz` answer any Host.
   */
  allowedHosts?: string[]
  /** What remote callers may run: inline workflows, backends, the shell's cwd. See `ServerPolicy`. */
  policy?: ServerPolicy
  /** The workflow document in bytes; larger answers 413 `workflow_too_large`. Default 1 MiB. */
  maxWorkflowBytes?: number
  /** Tasks per run (a start, or a run after `POST /runs/{id}/tasks`); more answer 413 `too_many_tasks`. Default 2000. */
  maxTasksPerRun?: number
  /** Workflow texts at least this large are parsed on a worker thread. Default 32 KiB. */
  parseInWorkerFromBytes?: number
  /** More unfinished runs than this answer `POST /runs` with 429 `queue_full` and `Retry-After`. */
  maxQueuedRuns?: number
  /** The `Retry-After` of `queue_full`, in seconds. Default 5. */
  queueRetryAfterSeconds?: number
  /** Request bodies (and WebSocket messages) larger than this answer 413. Default 1 MiB. */
  maxBodyBytes?: number
  /** CORS for browsers on other origins (preflight, exposed headers). Off by default. */
  cors?: { origins: string[] | '*' }
  /** `GET /backends`: a healthcheck slower than this reports the backend unhealthy. Default 5000 ms. */
  backendHealthTimeoutMs?: number
  /** A comment on idle SSE streams this often. Default 15000 ms. */
  sseHeartbeatMs?: number
  /** Per WebSocket client: messages not yet handed to the socket before it is dropped (4008). Default 1000. */
  wsMaxQueuedMessages?: number
  /** Per WebSocket client: bytes buffered in the socket before it is dropped (4008). Default 8 MiB. */
  wsMaxBufferedBytes?: number
  /** Protocol pings to WebSocket clients; one that misses a ping is dropped. Default 30000 ms. */
  wsPingMs?: number
  /**
   * The web page at `/` (`uiAssetsDir()` of `@weft/ui`): its files, and `index.html` for every
   * other page path. The API routes keep priority. Off by default; `weft serve` turns it on.
   */
  ui?: StaticUiOptions
  /**
   * The dataflow host for `/api/v1/dataflow` (`createDataflow()` of `@weft/dataflow`, with your
   * components and plugins). Default: the built-in components, with `agent` nodes on the runtime's
   * backends.
   */
  dataflow?: Dataflow
  /** pino-compatible. Default: JSON lines on stderr. */
  logger?: Logger
  /** From `createServerMetrics()`; default a fresh one. */
  metrics?: ServerMetrics
  /** Reported by `/healthz` and the OpenAPI document. */
  version?: string
  /**
   * `listen()` lets `@hono/node-server` replace the global `Request` and `Response` with its
   * lightweight versions, which write a response without going through a web stream: 3.3× the
   * requests per second on `/healthz` and 1.9× on `GET /runs/{id}` (`pnpm bench --only server`).
   * The catch: in this process, `fetch()` results are no longer `instanceof Response`. Set false
   * if your code checks that. Default true (the adapter's own default).
   */
  fastResponses?: boolean
}

export interface ListenOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1. Without API keys, always 127.0.0.1. */
  host?: string
}

export interface WeftServer {
  /** The Hono app: mount it in your own (`app.route('/', weft.app)`). */
  readonly app: Hono
  /** The app as a fetch handler. */
  fetch(request: Request, env?: unknown): Promise<Response>
  readonly metrics: ServerMetrics
  /**
   * For your own Node server: pass it as `createAdaptorServer({ fetch: weft.fetch, websocket: {
   * server: weft.websocketServer } })` of `@hono/node-server` so `/api/v1/ws` upgrades.
   */
  readonly websocketServer: WebSocketServer
  /** Listens on `host:port`; resolves with the address (port 0 → the port picked). */
  listen(options?: ListenOptions): Promise<{ url: string; host: string; port: number }>
  /**
   * Stops accepting requests, ends SSE streams and WebSocket clients (with a `bye`), waits up to
   * `graceMs` (default 5000) for requests in flight, then closes every connection. It does not shut
   * the runtime down: call `runtime.shutdown()` after it.
   */
  close(options?: { graceMs?: number }): Promise<void>
}

interface Env {
  Variables: { principal: Principal; route: string }
}

const DEFAULT_MAX_BODY = 1024 * 1024
const DEFAULT_MAX_WORKFLOW_BYTES = 1024 * 1024
const DEFAULT_MAX_TASKS_PER_RUN = 2000
/** This package's version (src/ and dist/ both sit next to package.json). */
const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version
const MAX_JSON_DEPTH = 64
const EMPTY_QUERY = z.strictObject({})
/** Routes whose answer is a stream. */
const STREAMS = new Set(['streamRunEvents', 'exportEvents', 'websocket'])
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
  let inflight = 0
  let idleWaiters: (() => void)[] = []
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
  const handlers = {
    ...createDataflowHandlers(dataflow),
    ...createTaskHandlers({ runtime, starter }),
    ...createQueueHandlers({
      runtime,
      logger,
      ...(options.maxQueuedRuns !== undefined ? { maxQueuedRuns: options.maxQueuedRuns } : {}),
    }),
    ...createAgentHandlers(runtime),
    ...createScheduleHandlers({
      runtime,
      parser,
      policy,
      limits,
      ...(options.workflowsDir !== undefined ? { workflowsDir: options.workflowsDir } : {}),
    }),
    ...createRunExtraHandlers({
      runtime,
      parser,
      limits,
      ...(options.workflowsDir !== undefined ? { workflowsDir: options.workflowsDir } : {}),
    }),
    ...createHandlers({
      runtime,
      metrics,
      logger,
      starter,
      policy,
      version,
      ...(options.maxQueuedRuns !== undefined ? { maxQueuedRuns: options.maxQueuedRuns } : {}),
      sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
      healthTimeoutMs: options.backendHealthTimeoutMs ?? 5000,
      sseClients,
      track(work) {
        tracked.add(work)
        void work.finally(() => tracked.delete(work))
      },
      isClosing: () => closing,
    }),
  }
  handlers.websocket = websocketHandler
  // Prometheus: the live dataflow executions' per-node metrics after the runtime's.
  const runtimeMetrics = handlers.metrics!
  handlers.metrics = async (input) => {
    const res = await runtimeMetrics(input)
    const live = dataflow.executions()
    if (live.length === 0) return res
    const text = `${await res.text()}${formatPrometheus(live.map((e) => ({ id: e.id, graph: e.graph, state: e.state, metrics: e.metrics() })))}`
    return input.c.body(text, 200, { 'Content-Type': res.headers.get('content-type') ?? 'text/plain' })
  }
  assertHandlersMatchRoutes(handlers)

  const app = new Hono<Env>()

  app.onError((err, c) => respondError(c, err))
  app.notFound((c) =>
    respondError(
      c,
      new HttpError('not_found', `no route ${c.req.method} ${c.req.path}`, {
        hint: 'the routes are listed in /openapi.json',
      }),
    ),
  )

  // Accounting: requests in flight (close() waits for them) and the HTTP metrics.
  app.use('*', async (c, next) => {
    const started = performance.now()
    inflight++
    try {
      await next()
      if (closing) {
        try {
          c.res.headers.set('Connection', 'close')
        } catch {
          // immutable headers: the connection is closed at the end anyway
        }
      }
    } finally {
      inflight--
      if (inflight === 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const w of waiters) w()
      }
      const route = c.get('route') ?? 'unmatched'
      const method = c.req.method
      metrics.httpRequests.inc({ method, route, status: String(c.res.status) })
      metrics.httpDuration.observe({ method, route }, (performance.now() - started) / 1000)
      logger.debug?.({ method, path: c.req.path, status: c.res.status }, 'request')
    }
  })

  // While shutting down: nothing new, except liveness and readiness (which says so).
  app.use('*', async (c, next) => {
    if (closing && c.req.path !== '/healthz' && c.req.path !== '/readyz') {
      c.header('Connection', 'close')
      throw new HttpError('unavailable', 'the server is shutting down', {
        hint: 'retry against another instance',
      })
    }
    await next()
  })

  // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends
  // `Host: evil.example:PORT`. Only names this server is known by are answered.
  app.use('*', async (c, next) => {
    if (c.req.path !== '/healthz' && c.req.path !== '/readyz') hosts.check(c.req.header('host'))
    await next()
  })

  if (corsOrigins) {
    app.use(
      '*',
      cors({
        origin: corsOrigins === '*' ? '*' : [...corsOrigins],
        allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID'],
        exposeHeaders: ['Location', 'Retry-After', 'WWW-Authenticate'],
        maxAge: 600,
      }),
    )
  }

  // Authentication before routing: without a key, `/api/anything` answers 401, so the routes
  // that exist cannot be told from those that do not. Preflights (answered above) need no key.
  if (authenticate) {
    app.use('/api/*', async (c, next) => {
      if (c.req.method !== 'OPTIONS' || !corsOrigins) {
        authenticate(bearerToken(c.req.header('authorization')) ?? (c.req.query('key') || undefined))
      }
      await next()
    })
  }

  // Every route of the API table, with its scope, limits and schemas.
  const methodsByPath = new Map<string, string[]>()
  for (const route of API_ROUTES) {
    const path = honoPath(route.path)
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), route.method.toUpperCase()])
    const handler = handlers[route.operationId]!
    const chain = [
      async (c: Context<Env>, next: () => Promise<void>) => {
        c.set('route', route.path)
        if (c.req.raw.method === 'HEAD' && STREAMS.has(route.operationId)) {
          // HEAD would open a stream whose body nobody reads.
          throw new HttpError('method_not_allowed', 'HEAD is not allowed on a stream; use GET', {
            headers: { Allow: 'GET' },
          })
        }
        c.set('principal', authorize(c, route))
        if (route.method !== 'get' || route.operationId === 'websocket') checkOrigin(c)
        await next()
      },
      ...(route.method === 'post' ? [limitBody] : []),
      async (c: Context<Env>) => {
        const params = parse('params', route.params, c.req.param()) as Record<string, string>
        const query = parse('query', queryOf(route), queryObject(c, route))
        const body = route.method === 'post' ? await readBody(c, route) : undefined
        return handler({ c: c as unknown as Context, params, query, body, principal: c.get('principal') })
      },
    ] as const
    app.on(route.method.toUpperCase(), path, ...(chain as unknown as [never]))
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : [])])].join(', ')
    app.all(path, (c) => {
      c.set('route', path.replace(/:(\w+)/g, '{$1}'))
      throw new HttpError('method_not_allowed', `${c.req.method} is not allowed here; use ${allow}`, {
        headers: { Allow: allow },
      })
    })
  }

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

  function authorize(c: Context<Env>, route: ApiRoute): Principal {
    if (route.scope === 'public' || !authenticate) return ANONYMOUS_ADMIN
    let key = bearerToken(c.req.header('authorization'))
    // Browsers cannot set headers on a WebSocket or an EventSource: the key may come as `?key=`.
    if (!key && (route.operationId === 'websocket' || route.operationId === 'streamRunEvents'))
      key = c.req.query('key') || undefined
    const principal = authenticate(key)
    requireScope(principal, route.scope as Scope)
    return principal
  }

  /**
   * A browser page of another origin may send simple POSTs and open WebSockets without asking:
   * writes need no `Origin` (clients that are not browsers) with no cross-site `Sec-Fetch-Site`,
   * or an `Origin` that CORS allows or that is this server's own (its host is the request's
   * `Host`, which the host check has verified).
   */
  function checkOrigin(c: Context<Env>): void {
    const origin = c.req.header('origin')
    if (origin === undefined) {
      const site = c.req.header('sec-fetch-site')
      if (site === undefined || site === 'same-origin' || site === 'none') return
      throw new HttpError('origin_not_allowed', `a ${site} request from a browser page without an Origin`, {
        hint: 'add the page’s origin to the server’s CORS origins',
      })
    }
    if (corsOrigins === '*' || corsOrigins?.includes(origin)) return
    let host: string | undefined
    try {
      host = new URL(origin).host
    } catch {
      host = undefined
    }
    if (host !== undefined && host !== '' && host === c.req.header('host')?.toLowerCase()) return
    throw new HttpError('origin_not_allowed', `requests from the origin ${origin} are not allowed`, {
      hint: 'add the origin to the server’s CORS origins',
    })
  }

  function respondError(c: Context, err: unknown): Response {
    const answer = toErrorAnswer(err)
    if (answer.internal) {
      logger.error({ err: errInfo(err), method: c.req.method, path: c.req.path }, 'request failed')
    }
    const headers: Record<string, string> = { ...(answer.headers ?? {}) }
    if (closing) headers.Connection = 'close'
    return c.json(answer.body, answer.status as 400, headers)
  }

  async function websocketHandler({ c, principal, query }: Parameters<Handler>[0]): Promise<Response> {
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
            clients: wsClients,
            dataflow,
            deltas: (query as { deltas?: string } | undefined)?.deltas === 'true',
          })
          if (closing) client.bye('server shutting down')
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

  /**
   * Bodies over `maxBodyBytes` answer 413. The excess is still read (and dropped), up to a hard cap,
   * so that the connection stays usable for the client's next request; past the cap the answer
   * closes the connection instead.
   */
  async function limitBody(c: Context<Env>, next: () => Promise<void>): Promise<void> {
    const raw = c.req.raw
    if (!raw.body) return next()
    const declared = raw.headers.get('content-length')
    if (declared !== null && !raw.headers.has('transfer-encoding') && Number(declared) <= maxBodyBytes) {
      return next() // the HTTP parser holds the client to its Content-Length
    }
    const hardCap = Math.max(16 * maxBodyBytes, 16 * 1024 * 1024)
    const reader = raw.body.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    let drained = true
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size <= maxBodyBytes) chunks.push(value)
      else if (size > hardCap) {
        drained = false
        await reader.cancel().catch(() => {})
        break
      }
    }
    if (size > maxBodyBytes) {
      throw new HttpError('payload_too_large', `the body is larger than ${maxBodyBytes} bytes`, {
        ...(drained ? {} : { headers: { Connection: 'close' } }),
      })
    }
    c.req.raw = new Request(raw, { body: Buffer.concat(chunks) })
    return next()
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
        const idle =
          inflight === 0
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                idleWaiters.push(resolve)
              })
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

  // ── request parsing ─────────────────────────────────────────────────────────────────────────

  function parse<T extends z.ZodType | undefined>(
    where: 'params' | 'query',
    schema: T,
    value: unknown,
  ): T extends z.ZodType ? z.output<T> : Record<string, string> {
    if (!schema) return value as never
    const r = schema.safeParse(value)
    if (!r.success) throw validationError(where, r.error)
    return r.data as never
  }

  async function readBody(c: Context<Env>, route: ApiRoute): Promise<unknown> {
    const text = await c.req.text()
    let value: unknown
    if (text.trim() !== '') {
      const type = c.req.header('content-type') ?? ''
      if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
        throw new HttpError(
          'malformed_body',
          'the body must be JSON, sent with Content-Type: application/json',
          {
            hint: "e.g. curl -H 'Content-Type: application/json' -d '{…}'",
          },
        )
      }
      try {
        value = JSON.parse(text)
      } catch (err) {
        throw new HttpError('malformed_body', `the body is not valid JSON: ${(err as Error).message}`)
      }
      if (depthExceeds(value, MAX_JSON_DEPTH)) {
        throw new HttpError(
          'validation_failed',
          `invalid body: nested deeper than ${MAX_JSON_DEPTH} levels`,
          {
            details: {
              issues: [{ path: ['body'], code: 'too_deep', message: `more than ${MAX_JSON_DEPTH} levels` }],
            },
          },
        )
      }
    }
    if (!route.body) {
      const empty =
        value === undefined ||
        (typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length === 0)
      if (!empty) {
        throw new HttpError('validation_failed', 'this route takes no body', {
          details: { issues: [{ path: ['body'], code: 'unrecognized', message: 'no body expected' }] },
        })
      }
      return undefined
    }
    const r = route.body.safeParse(value === undefined ? {} : value)
    if (!r.success) throw validationError('body', r.error)
    return r.data
  }
}

/** `/api/v1/runs/{id}` → `/api/v1/runs/:id`. */
function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1')
}

/** Routes of the API take only the query parameters they declare; the meta routes ignore them. */
function queryOf(route: ApiRoute): z.ZodType | undefined {
  if (route.query) return route.query
  return route.path.startsWith(`${API_PREFIX}/`) ? EMPTY_QUERY : undefined
}

/** The query as the schemas take it: one value as a string, a repeated one as a list. */
function queryObject(c: Context, route: ApiRoute): Record<string, string | string[]> {
  const values = new Map<string, string[]>()
  for (const [k, v] of new URL(c.req.url).searchParams) {
    if (route.operationId === 'websocket' && k === 'key') continue
    values.set(k, [...(values.get(k) ?? []), v])
  }
  return Object.fromEntries([...values].map(([k, v]) => [k, v.length === 1 ? v[0]! : v]))
}

/** Without recursion: a hostile body nested 100 000 levels deep must not overflow the stack. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (d >= max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1])
  }
  return false
}

function assertHandlersMatchRoutes(handlers: Record<string, Handler>): void {
  const ops = new Set(API_ROUTES.map((r) => r.operationId))
  for (const op of ops)
    if (!handlers[op]) throw new Error(`@weft/server has no handler for the route '${op}'`)
  for (const op of Object.keys(handlers))
    if (!ops.has(op)) throw new Error(`@weft/server handles '${op}', which API_ROUTES does not list`)
}

/** How long an idle keep-alive connection stays open (longer than clients keep theirs). */
const KEEP_ALIVE_MS = 65_000

/** Malformed HTTP (bad request line, headers too large): a JSON error, then the connection closes. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const httpMessage = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || httpMessage?.headersSent) {
    socket.destroy()
    return
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ([431, 'payload_too_large', 'the request headers are too large'] as const)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ([408, 'malformed_body', 'the request took too long to arrive'] as const)
        : ([400, 'malformed_body', 'malformed HTTP request'] as const)
  const body = JSON.stringify(errorBody(code, message))
  // A lingering close: what the client is still sending (the rest of a huge request line) is read
  // and dropped until it closes. Closing with unread bytes makes the kernel send a reset, which
  // can reach the client before it has read this answer (it then sees ECONNRESET, not a 431).
  socket.on('error', () => {})
  socket.on('data', () => {})
  socket.resume()
  setTimeout(() => socket.destroy(), 5_000).unref()
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
