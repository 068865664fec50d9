/**
 * Turning a request into a handler's input: the path parameters, the query and the JSON body,
 * each checked against the route's schema, and the body's size limit.
 */
import { API_PREFIX, type ApiRoute } from '@weft/api'
import type { Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from './app-env.js'
import { HttpError, validationError } from './errors.js'

const MAX_JSON_DEPTH = 64
const EMPTY_QUERY = z.strictObject({})

/**
 * Bodies over `maxBodyBytes` answer 413. The excess is still read (and dropped), up to a hard cap,
 * so that the connection stays usable for the client's next request; past the cap the answer
 * closes the connection instead.
 */
export function createBodyLimit(maxBodyBytes: number) {
  return async function limitBody(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
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
}

/** The path parameters or the query, checked against the route's schema (none: taken as they are). */
export function parse<T extends z.ZodType | undefined>(
  where: 'params' | 'query',
  schema: T,
  value: unknown,
): T extends z.ZodType ? z.output<T> : Record<string, string> {
  if (!schema) return value as never
  const r = schema.safeParse(value)
  if (!r.success) throw validationError(where, r.error)
  return r.data as never
}

/** The JSON body, checked against the route's schema; a route without one takes none (or `{}`). */
export async function readBody(c: Context<AppEnv>, route: ApiRoute): Promise<unknown> {
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
      throw new HttpError('validation_failed', `invalid body: nested deeper than ${MAX_JSON_DEPTH} levels`, {
        details: {
          issues: [{ path: ['body'], code: 'too_deep', message: `more than ${MAX_JSON_DEPTH} levels` }],
        },
      })
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

/** Routes of the API take only the query parameters they declare; the meta routes ignore them. */
export function queryOf(route: ApiRoute): z.ZodType | undefined {
  if (route.query) return route.query
  return route.path.startsWith(`${API_PREFIX}/`) ? EMPTY_QUERY : undefined
}

/** The query as the schemas take it: one value as a string, a repeated one as a list. */
export function queryObject(c: Context, route: ApiRoute): Record<string, string | string[]> {
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
