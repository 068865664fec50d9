/**
 * The API table's routes on the Hono app: each with its scope, origin check, body limit and
 * schemas, then its handler; a method a path does not take answers 405 with `Allow`.
 */
import { API_ROUTES, type ApiRoute, type Scope } from '@weft/api'
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app-env.js'
import { ANONYMOUS_ADMIN, bearerToken, type Principal, requireScope } from './auth.js'
import { HttpError } from './errors.js'
import type { Handler } from './handlers.js'
import { createBodyLimit, parse, queryObject, queryOf, readBody } from './request-parsing.js'

/** Routes whose answer is a stream. */
const STREAMS = new Set(['streamRunEvents', 'exportEvents', 'websocket'])

export interface ApiRouteDeps {
  /** One per `operationId` of `API_ROUTES`. */
  handlers: Record<string, Handler>
  /** Without it (no API keys) every request is the anonymous admin. */
  authenticate: ((given: string | undefined) => Principal) | undefined
  corsOrigins: string[] | '*' | undefined
  maxBodyBytes: number
}

export function registerApiRoutes(
  app: Hono<AppEnv>,
  { handlers, authenticate, corsOrigins, maxBodyBytes }: ApiRouteDeps,
): void {
  const limitBody = createBodyLimit(maxBodyBytes)
  // Every route of the API table, with its scope, limits and schemas.
  const methodsByPath = new Map<string, string[]>()
  for (const route of API_ROUTES) {
    const path = honoPath(route.path)
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), route.method.toUpperCase()])
    const handler = handlers[route.operationId]!
    const chain = [
      async (c: Context<AppEnv>, next: () => Promise<void>) => {
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
      async (c: Context<AppEnv>) => {
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

  function authorize(c: Context<AppEnv>, route: ApiRoute): Principal {
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
  function checkOrigin(c: Context<AppEnv>): void {
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
}

/** `/api/v1/runs/{id}` → `/api/v1/runs/:id`. */
function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1')
}
