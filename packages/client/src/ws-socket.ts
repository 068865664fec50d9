/** What the client needs of a WebSocket, and why one did not open. */
import { WeftApiError, WeftConnectionError } from './errors.js'

/**
 * A handler property: checked bivariantly (like a method), so that a socket whose handlers take
 * its own richer event types (`ws`, the DOM) still fits.
 */
type Handler<E> = { bivariant(event: E): void }['bivariant'] | null

/** What the client needs of a WebSocket: the browser's, Node 22's, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: Handler<never>
  onmessage: Handler<{ data: unknown }>
  onclose: Handler<{ code: number; reason: string }>
  onerror: Handler<{ error?: unknown; message?: string }>
}

/**
 * A WebSocket constructor. With an API key in Node the key goes in the `Authorization` header
 * (`new WebSocket(url, { headers })`, which `ws` and Node's own WebSocket accept); a browser
 * cannot set headers, so there it goes in `?key=` (see `wsAuth`).
 */
// biome-ignore lint/suspicious/noExplicitAny: the browser's, undici's and ws's overloads all fit
export type WebSocketConstructor = new (url: string, ...rest: any[]) => WebSocketLike

/** Why a socket closed before it opened: an auth close code, an HTTP refusal of the upgrade, or no server. */
export function openError(
  baseUrl: string,
  url: string,
  event: { code: number; reason: string },
  error: unknown,
): WeftApiError | WeftConnectionError {
  const text = `${(error as { message?: unknown } | undefined)?.message ?? ''} ${event.reason}`
  const status = /\b(401|403|404|429|503)\b/.exec(text)?.[1]
  if (event.code === 4001 || status === '401')
    return new WeftApiError({
      status: 401,
      code: 'unauthorized',
      message: `the weft server at ${baseUrl} refused the WebSocket: missing or unknown API key`,
    })
  if (event.code === 4003 || status === '403')
    return new WeftApiError({
      status: 403,
      code: 'forbidden',
      message: `the weft server at ${baseUrl} refused the WebSocket: the API key lacks the read scope`,
    })
  if (status) {
    return new WeftApiError({
      status: Number(status),
      code: status === '404' ? 'not_found' : status === '429' ? 'queue_full' : 'unavailable',
      message: `the weft server at ${baseUrl} refused the WebSocket upgrade of ${url} with HTTP ${status}`,
    })
  }
  const reason = (error as { code?: unknown; error?: { code?: unknown } } | undefined)?.code
  return new WeftConnectionError(
    baseUrl,
    typeof reason === 'string' ? reason : event.reason || `closed (${event.code})`,
    {
      cause: error,
    },
  )
}
