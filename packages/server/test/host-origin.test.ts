import { createMockBackend } from '@weft/backend-mock'
import { createRuntime } from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createServer } from '../src/index.js'
import { type Harness, rawRequest, startHarness, workflows } from './helpers.js'

interface Raw {
  status: number
  code?: string
  body: string
}

/** One HTTP/1.1 request with exactly these headers (Host included). */
async function raw(
  url: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<Raw> {
  const { port } = new URL(url)
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json)
  const { status, text } = await rawRequest(
    `http://127.0.0.1:${port}${path}`,
    {
      method: opts.method ?? (body ? 'POST' : 'GET'),
      headers: {
        ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        ...opts.headers,
      },
      setHost: false,
    },
    body,
  )
  let code: string | undefined
  try {
    code = JSON.parse(text)?.error?.code
  } catch {
    code = undefined
  }
  return { status, ...(code ? { code } : {}), body: text }
}

/** What a rebinding attack posts: an inline workflow (mock here; shell in the real attack). */
const attack = { workflow: workflows.quick('rebound') }

let h: Harness
let port: number
beforeAll(async () => {
  h = await startHarness({ memory: true, server: { allowedHosts: ['weft.internal', 'proxy.example:8443'] } })
  port = Number(new URL(h.url).port)
})
afterAll(async () => {
  await h?.close()
})

async function runCount(): Promise<number> {
  return (await h.runtime.list({ limit: 100 })).items.length
}

describe('without API keys: the Host header', () => {
  it('refuses a forged Host on a write, and nothing starts', async () => {
    const before = await runCount()
    const r = await raw(h.url, '/api/v1/runs', {
      json: attack,
      headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
    })
    expect(r).toMatchObject({ status: 403, code: 'host_not_allowed' })
    // Even with no Origin at all (the check does not depend on it).
    const bare = await raw(h.url, '/api/v1/runs', { json: attack, headers: { host: `evil.example:${port}` } })
    expect(bare).toMatchObject({ status: 403, code: 'host_not_allowed' })
    expect(await runCount()).toBe(before)
  })

  it('refuses a forged Host on reads too (a rebound page must not read runs)', async () => {
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `localhost:${port + 1}`, // loopback, but not this server's port
      `0.0.0.0:${port}`,
    ]) {
      const r = await raw(h.url, '/api/v1/runs', { headers: { host } })
      expect({ host, status: r.status, code: r.code }).toEqual({
        host,
        status: 403,
        code: 'host_not_allowed',
      })
    }
    // Not even a host name: the HTTP layer refuses it before any route (400).
    for (const host of [`127.0.0.1:${port}@evil.example`, '']) {
      expect((await raw(h.url, '/api/v1/runs', { headers: { host } })).status).toBe(400)
    }
  })

  it('answers loopback names on its own port, and the configured allowedHosts', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      'weft.internal', // any port
      `weft.internal:${port}`,
      'proxy.example:8443',
    ]) {
      const r = await raw(h.url, '/api/v1/runs', { headers: { host } })
      expect({ host, status: r.status }).toEqual({ host, status: 200 })
    }
    // A port pinned in allowedHosts is the only one.
    expect((await raw(h.url, '/api/v1/runs', { headers: { host: 'proxy.example:9000' } })).code).toBe(
      'host_not_allowed',
    )
  })

  it('answers /healthz and /readyz whatever the Host (load balancers probe by address)', async () => {
    expect((await raw(h.url, '/healthz', { headers: { host: '10.1.2.3:8787' } })).status).toBe(200)
    expect((await raw(h.url, '/readyz', { headers: { host: 'evil.example' } })).status).toBe(200)
  })

  it('refuses a WebSocket upgrade with a forged Host', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/api/v1/ws`, {
        headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
      })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => {})
    })
    expect(status).toBe(403)
  })
})

describe('without API keys: the Origin of writes', () => {
  it('refuses a browser write whose Origin is another site, even with a good Host', async () => {
    for (const origin of [`http://evil.example:${port}`, 'null', 'http://localhost:1', 'file://']) {
      const r = await raw(h.url, '/api/v1/runs', {
        json: attack,
        headers: { host: `127.0.0.1:${port}`, origin },
      })
      expect({ origin, status: r.status, code: r.code }).toEqual({
        origin,
        status: 403,
        code: 'origin_not_allowed',
      })
    }
  })

  it('refuses a cross-site write that hides its Origin but not its Sec-Fetch-Site', async () => {
    const r = await raw(h.url, '/api/v1/queue/pause', {
      method: 'POST',
      headers: { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' },
    })
    expect(r).toMatchObject({ status: 403, code: 'origin_not_allowed' })
  })

  it('takes writes from its own origin and from clients that are not browsers', async () => {
    const own = await raw(h.url, '/api/v1/runs', {
      json: attack,
      headers: {
        host: `localhost:${port}`,
        origin: `http://localhost:${port}`,
        'sec-fetch-site': 'same-origin',
      },
    })
    expect(own.status).toBe(202)
    const cli = await raw(h.url, '/api/v1/runs', { json: attack, headers: { host: `127.0.0.1:${port}` } })
    expect(cli.status).toBe(202)
  })
})

describe('with API keys', () => {
  const KEY = 'host-test-key-0123456789'
  const keyed = (extra: object = {}) =>
    startHarness({
      memory: true,
      server: {
        auth: { keys: [{ name: 'k', key: KEY, scopes: ['admin'] }] },
        policy: { inlineWorkflows: true },
        ...extra,
      },
    })

  it('answers any Host when no allowedHosts are configured (the key is the protection)', async () => {
    const k = await keyed()
    try {
      const r = await raw(k.url, '/api/v1/runs', {
        headers: { host: 'weft.example.com', authorization: `Bearer ${KEY}` },
      })
      expect(r.status).toBe(200)
    } finally {
      await k.close()
    }
  })

  it('enforces allowedHosts once they are configured (behind a reverse proxy)', async () => {
    const k = await keyed({ allowedHosts: ['weft.example.com'] })
    try {
      const auth = { authorization: `Bearer ${KEY}` }
      expect(
        (await raw(k.url, '/api/v1/runs', { headers: { host: 'weft.example.com', ...auth } })).status,
      ).toBe(200)
      expect(
        await raw(k.url, '/api/v1/runs', { headers: { host: 'other.example.com', ...auth } }),
      ).toMatchObject({ status: 403, code: 'host_not_allowed' })
    } finally {
      await k.close()
    }
  })

  it("refuses CORS origins '*' without keys (every page could start runs)", () => {
    const runtime = createRuntime({ backends: [createMockBackend()] })
    expect(() => createServer(runtime, { cors: { origins: '*' } })).toThrow(/every web page/)
    expect(() => createServer(runtime, { allowedHosts: ['bad host!'] })).toThrow(/allowedHosts/)
  })
})
