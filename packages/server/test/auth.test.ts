import { WS_CLOSE_CODES } from '@weft/api'
import { createMockBackend } from '@weft/backend-mock'
import { createRuntime } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createServer } from '../src/index.js'
import { call, expectError, type Loose, useHarness, workflows } from './helpers.js'

const KEYS = {
  read: 'read-key-0123456789',
  write: 'write-key-0123456789',
  admin: 'admin-key-0123456789',
}

const h = useHarness({
  memory: true,
  server: {
    auth: {
      keys: [
        { name: 'reader', key: KEYS.read, scopes: ['read'] },
        { name: 'writer', key: KEYS.write, scopes: ['write'] },
        { name: 'ops', key: KEYS.admin, scopes: ['admin'] },
      ],
    },
    cors: { origins: ['https://ui.example'] },
    // These tests post inline workflows, which a server with keys refuses by default.
    policy: { inlineWorkflows: true },
  },
})

describe('API keys and scopes', () => {
  it('answers 401 with WWW-Authenticate without a key or with an unknown one', async () => {
    const none = await call(h.url, '/api/v1/runs')
    expectError(none, 401, 'unauthorized')
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expectError(await call(h.url, '/api/v1/runs', { key: 'not-a-key-at-all' }), 401, 'unauthorized')
    expectError(
      await call(h.url, '/api/v1/runs', { headers: { authorization: `Basic ${KEYS.read}` } }),
      401,
      'unauthorized',
    )
    // The key must match exactly (no prefix or longer key).
    expectError(await call(h.url, '/api/v1/runs', { key: `${KEYS.read}x` }), 401, 'unauthorized')
    expectError(await call(h.url, '/api/v1/runs', { key: KEYS.read.slice(0, -1) }), 401, 'unauthorized')
    const metrics = await call(h.url, '/metrics')
    expectError(metrics, 401, 'unauthorized')
  })

  it('a read key reads but cannot write (403); only admin controls the queue', async () => {
    expect((await call(h.url, '/api/v1/runs', { key: KEYS.read })).status).toBe(200)
    expect((await call(h.url, '/metrics', { key: KEYS.read })).status).toBe(200)
    const start = await call(h.url, '/api/v1/runs', { key: KEYS.read, json: { workflow: workflows.quick() } })
    expectError(start, 403, 'forbidden')
    expect(start.body.error.message).toContain('write')
    expectError(
      await call(h.url, '/api/v1/queue/pause', { key: KEYS.read, method: 'POST' }),
      403,
      'forbidden',
    )
    expectError(
      await call(h.url, '/api/v1/queue/pause', { key: KEYS.write, method: 'POST' }),
      403,
      'forbidden',
    )

    const ok = await call(h.url, '/api/v1/runs', { key: KEYS.write, json: { workflow: workflows.quick() } })
    expect(ok.status).toBe(202)
    expectError(
      await call(h.url, `/api/v1/runs/${ok.body.runId}/cancel`, { key: KEYS.read, method: 'POST' }),
      403,
      'forbidden',
    )

    const paused = await call(h.url, '/api/v1/queue/pause', { key: KEYS.admin, method: 'POST' })
    expect(paused.status).toBe(200)
    expect(paused.body.paused).toBe(true)
    const resumed = await call(h.url, '/api/v1/queue/resume', { key: KEYS.admin, method: 'POST' })
    expect(resumed.body.paused).toBe(false)
    // admin includes write and read.
    expect((await call(h.url, '/api/v1/runs', { key: KEYS.admin })).status).toBe(200)
  })

  it("records the key's name as who answered an approval, and rejects with a reason", async () => {
    const started = await call(h.url, '/api/v1/runs', {
      key: KEYS.write,
      json: { workflow: workflows.approval() },
    })
    expect(started.status, started.text).toBe(202)
    const runId = (started.body as Loose).runId as string
    let token: string | undefined
    for (let i = 0; i < 100 && !token; i++) {
      const r = (await call(h.url, `/api/v1/runs/${runId}`, { key: KEYS.read })).body as Loose
      token = r.run?.pause?.waiting?.[0]?.token
      if (!token) await new Promise((res) => setTimeout(res, 20))
    }
    expect(token).toBeTruthy()
    const unknown = await call(h.url, `/api/v1/runs/${runId}/resume`, {
      key: KEYS.write,
      json: { token: 'tok_nope', reject: 'no' },
    })
    expectError(unknown, 400, 'resume_token_invalid')
    expect((unknown.body as Loose).error.details).toMatchObject({
      diagnostic: { code: 'resume.invalidToken' },
    })
    const r = await call(h.url, `/api/v1/runs/${runId}/resume`, {
      key: KEYS.write,
      json: { token, reject: 'not this week' },
    })
    expect(r.status, r.text).toBe(200)
    let run: Loose | undefined
    for (let i = 0; i < 100; i++) {
      run = ((await call(h.url, `/api/v1/runs/${runId}`, { key: KEYS.read })).body as Loose).run
      if (run?.status === 'failed') break
      await new Promise((res) => setTimeout(res, 20))
    }
    expect(run?.status).toBe('failed')
    const tasks = (await call(h.url, `/api/v1/runs/${runId}`, { key: KEYS.read })).body as Loose
    const gate = (tasks.tasks as Loose[]).find((t) => t.taskId === 'approve')!
    expect(gate.approval).toMatchObject({ status: 'rejected', by: 'writer', reason: 'not this week' })
    expect(gate.error).toMatchObject({
      code: 'rejected',
      message: "approval 'approve' was rejected by writer: not this week",
    })
    const used = await call(h.url, `/api/v1/runs/${runId}/resume`, { key: KEYS.write, json: { token } })
    expectError(used, 409, 'resume_token_used')
    expect((used.body as Loose).error.details).toMatchObject({
      diagnostic: { code: 'resume.invalidToken', reason: 'used' },
    })
  })

  it('takes the key as ?key= on the SSE stream (EventSource cannot set headers), nowhere else', async () => {
    const started = await call(h.url, '/api/v1/runs', {
      key: KEYS.write,
      json: { workflow: workflows.quick() },
    })
    expect(started.status).toBe(202)
    const runId = started.body.runId as string
    const stream = await fetch(`${h.url}/api/v1/runs/${runId}/events/stream?key=${KEYS.read}`)
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toContain('text/event-stream')
    expect(await stream.text()).toContain('event: end')
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/events/stream?key=wrong-key-0123456789`),
      401,
      'unauthorized',
    )
    // Other routes never read a key from the URL (it would end up in logs and histories).
    expectError(await call(h.url, `/api/v1/runs?key=${KEYS.read}`), 401, 'unauthorized')
  })

  it('authenticates before routing: without a key every /api path answers 401, not 404 or 405', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/runs/'],
      ['GET', '/api/v1/nope'],
      ['GET', '/api/v1/runs/x/y/z'],
      ['DELETE', '/api/v1/runs'],
      ['POST', '/api/v1/backends'],
      ['GET', '/api/v2/runs'],
    ] as const) {
      const r = await call(h.url, path, { method })
      expect({ path, method, status: r.status, code: r.body?.error?.code }).toEqual({
        path,
        method,
        status: 401,
        code: 'unauthorized',
      })
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
    // With a key, routing answers as before.
    expect((await call(h.url, '/api/v1/runs/', { key: KEYS.read })).status).toBe(404)
    expect((await call(h.url, '/api/v1/nope', { key: 'not-a-key-0123456789' })).status).toBe(401)
  })

  it('keeps /healthz, /readyz and /openapi.json public', async () => {
    expect((await call(h.url, '/healthz')).body).toEqual({ status: 'ok', version: '9.9.9-test' })
    expect((await call(h.url, '/readyz')).status).toBe(200)
    expect((await call(h.url, '/openapi.json')).status).toBe(200)
  })

  it('authenticates WebSockets by header or ?key=, and refuses them without a key', async () => {
    const wsUrl = `${h.url.replace('http', 'ws')}/api/v1/ws`
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsUrl)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => reject(new Error('opened without a key')))
      ws.on('error', () => {})
    })
    expect(status).toBe(401)
    for (const open of [
      () => new WebSocket(`${wsUrl}?key=${KEYS.read}`),
      () => new WebSocket(wsUrl, { headers: { authorization: `Bearer ${KEYS.read}` } }),
    ]) {
      const ws = open()
      const pong = await new Promise<unknown>((resolve, reject) => {
        ws.on('open', () => ws.send(JSON.stringify({ type: 'ping', id: 1 })))
        ws.on('message', (d) => resolve(JSON.parse(String(d))))
        ws.on('error', reject)
      })
      expect(pong).toEqual({ type: 'pong', id: 1 })
      ws.close()
    }
    // A read key cannot control runs over the socket either.
    const ws = new WebSocket(`${wsUrl}?key=${KEYS.read}`)
    const answer = await new Promise<Loose>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'cancel', id: 'c1', runId: 'run_x' })))
      ws.on('message', (d) => resolve(JSON.parse(String(d))))
      ws.on('error', reject)
    })
    expect(answer).toMatchObject({ type: 'error', id: 'c1', error: { code: 'forbidden' } })
    ws.close()
  })
})

describe('browsers', () => {
  it('answers CORS preflights for allowed origins and exposes Location and Retry-After', async () => {
    const pre = await fetch(`${h.url}/api/v1/runs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://ui.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://ui.example')
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key')
    const get = await fetch(`${h.url}/api/v1/runs`, {
      headers: { origin: 'https://ui.example', authorization: `Bearer ${KEYS.read}` },
    })
    expect(get.headers.get('access-control-allow-origin')).toBe('https://ui.example')
    expect(get.headers.get('access-control-expose-headers')).toContain('Location')
  })

  it('refuses POSTs and WebSockets from origins it does not allow', async () => {
    const r = await call(h.url, '/api/v1/runs', {
      key: KEYS.write,
      json: { workflow: workflows.quick() },
      headers: { origin: 'https://evil.example' },
    })
    expectError(r, 403, 'origin_not_allowed')
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/api/v1/ws?key=${KEYS.read}`, {
        headers: { origin: 'https://evil.example' },
      })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => {})
    })
    expect(status).toBe(403)
    expect(WS_CLOSE_CODES.forbidden).toBe(4003)
  })
})

describe('without API keys', () => {
  it('listens on 127.0.0.1 only, and says so', async () => {
    const runtime = createRuntime({ backends: [createMockBackend()] })
    const logs: string[] = []
    const log = (_o: object, msg?: string) => void logs.push(msg ?? '')
    const server = createServer(runtime, { logger: { info: log, warn: log, error: log } })
    try {
      const addr = await server.listen({ port: 0, host: '0.0.0.0' })
      expect(addr.host).toBe('127.0.0.1')
      expect(logs.some((l) => /127\.0\.0\.1 only/.test(l))).toBe(true)
      expect(logs.some((l) => /not listening on 0\.0\.0\.0/.test(l))).toBe(true)
      // Everything is allowed, admin routes too.
      expect((await call(addr.url, '/api/v1/queue/pause', { method: 'POST' })).status).toBe(200)
    } finally {
      await server.close()
      await runtime.close()
    }
  })

  it('refuses malformed key configurations', () => {
    const runtime = createRuntime()
    expect(() =>
      createServer(runtime, { auth: { keys: [{ name: 'x', key: 'short', scopes: ['read'] }] } }),
    ).toThrow(/at least 8/)
    expect(() =>
      createServer(runtime, {
        auth: { keys: [{ name: 'x', key: '0123456789', scopes: ['root' as never] }] },
      }),
    ).toThrow(/unknown scope/)
  })
})
