import { API_ROUTES, type ApiRoute, routePath } from '@weft/api'
import type { z } from 'zod'
import { errorFromResponse, networkReason, WeftApiError, WeftConnectionError } from './errors.js'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined | null

export interface RequestOptions {
  params?: Record<string, string>
  query?: Record<string, QueryValue>
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Overrides the client's `timeoutMs` for this request. For streams it bounds the wait for headers. */
  timeoutMs?: number
  /** Statuses that are an answer, not an error (e.g. 503 of `/readyz`). 2xx always are. */
  accept?: number[]
}

export interface TransportOptions {
  baseUrl: string
  apiKey?: string
  fetch?: FetchLike
  timeoutMs?: number
  headers?: Record<string, string>
}

const ROUTES = new Map<string, ApiRoute>(API_ROUTES.map((r) => [r.operationId, r]))

/** The route of an operation of the API (the same table the server mounts). */
export function routeOf(operationId: string): ApiRoute {
  const route = ROUTES.get(operationId)
  if (!route) throw new Error(`@weft/api has no operation '${operationId}'`)
  return route
}

/**
 * HTTP with weft's conventions: the API key as a bearer token, JSON bodies, a timeout, errors as
 * `WeftApiError` (an answer) or `WeftConnectionError` (no answer), bodies checked with the API's
 * zod schemas.
 */
export class Transport {
  readonly baseUrl: string
  readonly apiKey: string | undefined
  readonly timeoutMs: number
  private readonly fetchImpl: FetchLike
  private readonly headers: Record<string, string>

  constructor(options: TransportOptions) {
    let base: URL
    try {
      base = new URL(options.baseUrl)
    } catch {
      throw new TypeError(`'${options.baseUrl}' is not a URL (expected e.g. http://127.0.0.1:8787)`)
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`'${options.baseUrl}' is not an http:// or https:// URL`)
    }
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`
    this.apiKey = options.apiKey || undefined
    this.timeoutMs = options.timeoutMs ?? 30_000
    const f = options.fetch ?? globalThis.fetch
    if (typeof f !== 'function') throw new TypeError('no fetch: pass `fetch` in the client options')
    // A bare `fetch` must be called with the global as `this` in browsers.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.headers = options.headers ?? {}
  }

  /** The absolute URL of a path (`/api/v1/runs`) with a query (lists comma separated). */
  url(path: string, query: Record<string, QueryValue> = {}): string {
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null) continue
      if (Array.isArray(value)) {
        if (value.length > 0) search.set(key, value.join(','))
      } else search.set(key, String(value))
    }
    const qs = search.toString()
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`
  }

  authHeaders(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}
  }

  /**
   * Sends the request of an operation and returns the response once its headers are in; a status
   * that is neither 2xx nor accepted is thrown as `WeftApiError`. The caller reads the body.
   */
  async send(operationId: string, options: RequestOptions = {}): Promise<Response> {
    const route = routeOf(operationId)
    const path = routePath(route.path, options.params)
    const request = `${route.method.toUpperCase()} ${path}`
    const url = this.url(path, options.query)
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.headers,
      ...this.authHeaders(),
      ...options.headers,
    }
    const init: RequestInit = { method: route.method.toUpperCase(), headers }
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(options.body)
    }
    const deadline = this.deadline(options)
    init.signal = deadline.signal
    let response: Response
    try {
      response = await this.fetchImpl(url, init)
    } catch (err) {
      deadline.clear()
      throw deadline.translate(err, request)
    }
    // The timeout ends with the headers; the caller's signal still stops the body (streams).
    deadline.clearTimer()
    if (response.ok || options.accept?.includes(response.status)) return response
    const text = await response.text().catch(() => '')
    throw errorFromResponse(response.status, response.statusText, text, request)
  }

  /** Sends and parses the JSON answer with `schema`; the timeout covers the whole body. */
  async json<S extends z.ZodType>(
    operationId: string,
    schema: S,
    options: RequestOptions = {},
  ): Promise<{ data: z.output<S>; response: Response }> {
    const route = routeOf(operationId)
    const request = `${route.method.toUpperCase()} ${routePath(route.path, options.params)}`
    const deadline = this.deadline(options)
    let response: Response
    let text: string
    try {
      response = await this.send(operationId, { ...options, signal: deadline.signal, timeoutMs: 0 })
      text = await response.text()
    } catch (err) {
      if (err instanceof WeftApiError || err instanceof WeftConnectionError) throw err
      throw deadline.translate(err, request)
    } finally {
      deadline.clear()
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw invalidResponse(response.status, request, this.baseUrl, 'the body is not JSON')
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : ''
      throw invalidResponse(response.status, request, this.baseUrl, `${issue?.message ?? 'invalid'}${where}`)
    }
    return { data: parsed.data, response }
  }

  /**
   * A signal that aborts on the caller's signal or after the timeout (0 = none), and turns the
   * error a fetch then throws into the one the caller should see.
   */
  deadline(options: { signal?: AbortSignal; timeoutMs?: number }) {
    const ms = options.timeoutMs ?? this.timeoutMs
    const controller = new AbortController()
    let timedOut = false
    const outer = options.signal
    const onAbort = () => controller.abort(outer?.reason)
    if (outer?.aborted) controller.abort(outer.reason)
    else outer?.addEventListener('abort', onAbort, { once: true })
    const timer =
      ms > 0
        ? setTimeout(() => {
            timedOut = true
            controller.abort(new Error('timeout'))
          }, ms)
        : undefined
    return {
      signal: controller.signal,
      clearTimer: () => {
        if (timer !== undefined) clearTimeout(timer)
      },
      clear: () => {
        if (timer !== undefined) clearTimeout(timer)
        outer?.removeEventListener('abort', onAbort)
      },
      translate: (err: unknown, request: string): unknown => {
        if (outer?.aborted) return outer.reason ?? err
        if (timedOut) {
          return new WeftConnectionError(this.baseUrl, 'timeout', {
            request,
            cause: err,
            message: `no answer from the weft server at ${this.baseUrl} within ${ms} ms (${request})`,
          })
        }
        if (err instanceof WeftApiError || err instanceof WeftConnectionError) return err
        return new WeftConnectionError(this.baseUrl, networkReason(err), { request, cause: err })
      },
    }
  }
}

function invalidResponse(status: number, request: string, baseUrl: string, what: string): WeftApiError {
  return new WeftApiError({
    status,
    code: 'invalid_response',
    message: `${request} on ${baseUrl} answered with a body this client does not understand: ${what}`,
    hint: 'is this a weft server, of a version that matches this client?',
    request,
  })
}
