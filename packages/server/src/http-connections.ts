/** How the Node HTTP server that `listen()` creates treats its connections. */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { errorBody } from './errors.js'

/** How long an idle keep-alive connection stays open (longer than clients keep theirs). */
export const KEEP_ALIVE_MS = 65_000

/** Malformed HTTP (bad request line, headers too large): a JSON error, then the connection closes. */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
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
