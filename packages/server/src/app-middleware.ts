/**
 * What runs around every request before the API routes: error answers, the accounting of
 * requests in flight and HTTP metrics, the refusal while shutting down, the host check, CORS,
 * and authentication.
 */
import type { Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from './app-env.js'
import { bearerToken, type Principal } from './auth.js'
import { HttpError, toErrorAnswer } from './errors.js'
import type { HostCheck } from './host-check.js'
import type { InflightRequests } from './inflight.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import { errInfo } from './sse.js'

export interface MiddlewareDeps {
  logger: Logger
  metrics: ServerMetrics
  hosts: HostCheck
  inflight: InflightRequests
  corsOrigins: string[] | '*' | undefined
  /** Without it (no API keys) every request is let through. */
  authenticate: ((given: string | undefined) => Principal) | undefined
  isClosing(): boolean
}

export function installMiddleware(app: Hono<AppEnv>, deps: MiddlewareDeps): void {
  const { logger, metrics, hosts, inflight, corsOrigins, authenticate, isClosing } = deps

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
    inflight.begin()
    try {
      await next()
      if (isClosing()) {
        try {
          c.res.headers.set('Connection', 'close')
        } catch {
          // immutable headers: the connection is closed at the end anyway
        }
      }
    } finally {
      inflight.end()
      const route = c.get('route') ?? 'unmatched'
      const method = c.req.method
      metrics.httpRequests.inc({ method, route, status: String(c.res.status) })
      metrics.httpDuration.observe({ method, route }, (performance.now() - started) / 1000)
      logger.debug?.({ method, path: c.req.path, status: c.res.status }, 'request')
    }
  })

  // While shutting down: nothing new, except liveness and readiness (which says so).
  app.use('*', async (c, next) => {
    if (isClosing() && c.req.path !== '/healthz' && c.req.path !== '/readyz') {
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

  function respondError(c: Context, err: unknown): Response {
    const answer = toErrorAnswer(err)
    if (answer.internal) {
      logger.error({ err: errInfo(err), method: c.req.method, path: c.req.path }, 'request failed')
    }
    const headers: Record<string, string> = { ...(answer.headers ?? {}) }
    if (isClosing()) headers.Connection = 'close'
    return c.json(answer.body, answer.status as 400, headers)
  }
}
