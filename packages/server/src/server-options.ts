import type { Dataflow } from '@weft/dataflow'
import type { Hono } from 'hono'
import type { WebSocketServer } from 'ws'
import type { ApiKey } from './auth.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import type { ServerPolicy } from './policy.js'
import type { StaticUiOptions } from './static-ui.js'

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
