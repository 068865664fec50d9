import { HttpError } from './errors.js'

/** The names of this machine that no DNS answer can give to someone else's page. */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]'])

interface HostName {
  name: string
  port?: number
}

/**
 * Checks the `Host` header against the names this server is known by: loopback names on the port
 * it listens on, plus `allowedHosts` (`name` for any port, `name:port` for one). This is what
 * stops DNS rebinding: a page of `evil.example` whose name is made to resolve to 127.0.0.1 talks
 * to the server as `Host: evil.example:PORT`, and is refused.
 */
export class HostCheck {
  private readonly allowed: HostName[]
  private port: number | undefined

  constructor(private readonly options: { allowedHosts: readonly string[]; enforce: boolean }) {
    this.allowed = options.allowedHosts.map((h) => {
      const parsed = parseHost(h.toLowerCase())
      if (!parsed) throw new TypeError(`allowedHosts: '${h}' is not a host name or host:port`)
      return parsed
    })
  }

  /** The port `listen()` bound: loopback names must carry it. Unknown when mounted elsewhere (any port). */
  listeningOn(port: number): void {
    this.port = port
  }

  check(header: string | undefined): void {
    // HTTP/1.0 clients may omit it; every browser sends one.
    if (!this.options.enforce || header === undefined) return
    if (this.allows(header)) return
    throw new HttpError(
      'host_not_allowed',
      `this server does not answer to the host '${header.slice(0, 200)}'`,
      {
        hint: 'use http://127.0.0.1:<port>, or add the name to the server’s allowedHosts (e.g. behind a reverse proxy)',
      },
    )
  }

  allows(header: string): boolean {
    const host = parseHost(header.trim().toLowerCase())
    if (!host) return false
    for (const a of this.allowed) {
      if (a.name === host.name && (a.port === undefined || a.port === host.port)) return true
    }
    if (!LOOPBACK_NAMES.has(host.name)) return false
    if (this.port === undefined) return true
    return host.port === this.port || (host.port === undefined && this.port === 80)
  }
}

/** `name`, `name:port`, `[v6]`, `[v6]:port`; undefined when it is none of them. */
export function parseHost(text: string): HostName | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?)(?::(\d{1,5}))?$/.exec(text)
  if (!m) return undefined
  const port = m[3] === undefined ? undefined : Number(m[3])
  if (port !== undefined && port > 65_535) return undefined
  return { name: m[1]!, ...(port !== undefined ? { port } : {}) }
}
