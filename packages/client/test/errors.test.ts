import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, isWeftApiError, type WeftApiError, WeftConnectionError } from '../src/index.js'
import { useServer, workflows } from './helpers.js'

const KEYS = [
  { name: 'ops', key: 'ops-key-0123456789', scopes: ['admin' as const] },
  { name: 'viewer', key: 'viewer-key-0123456789', scopes: ['read' as const] },
]

const h = useServer({ keys: KEYS })

async function failure(promise: Promise<unknown>): Promise<WeftApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isWeftApiError(err), String(err)).toBe(true)
  return err as WeftApiError
}

describe('errors of the server as WeftApiError', () => {
  const ops = () => createClient({ baseUrl: h.url, apiKey: 'ops-key-0123456789' })

  it('401 without a key, or with a wrong one; public routes need none', async () => {
    const anonymous = createClient({ baseUrl: h.url })
    const missing = await failure(anonymous.runs.list())
    expect(missing).toMatchObject({ status: 401, code: 'unauthorized', request: 'GET /api/v1/runs' })
    expect(missing.message).toBeTruthy()
    const wrong = await failure(
      createClient({ baseUrl: h.url, apiKey: 'not-a-real-key-000' }).backends.list(),
    )
    expect(wrong).toMatchObject({ status: 401, code: 'unauthorized' })
    expect((await anonymous.health()).status).toBe('ok')
  })

  it('403 when the key lacks the scope', async () => {
    const viewer = createClient({ baseUrl: h.url, apiKey: 'viewer-key-0123456789' })
    expect((await viewer.runs.list()).items).toBeDefined()
    const denied = await failure(viewer.runs.start({ workflow: workflows.quick() }))
    expect(denied).toMatchObject({ status: 403, code: 'forbidden' })
    expect(await failure(viewer.queue.pause())).toMatchObject({ status: 403, code: 'forbidden' })
  })

  it('404 for an unknown run, with weft’s code', async () => {
    const err = await failure(ops().runs.get('run_nope'))
    expect(err).toMatchObject({ status: 404, code: 'run_not_found', request: 'GET /api/v1/runs/run_nope' })
    expect(await failure(ops().runs.cancel('run_nope'))).toMatchObject({ status: 404, code: 'run_not_found' })
  })

  it('400 validation_failed with the issues', async () => {
    const err = await failure(ops().runs.list({ limit: 0 }))
    expect(err).toMatchObject({ status: 400, code: 'validation_failed' })
    expect(err.issues.length).toBeGreaterThan(0)
    expect(err.issues[0]!.path).toContain('limit')
    const body = await failure(ops().runs.start({} as never))
    expect(body).toMatchObject({ status: 400, code: 'validation_failed' })
  })

  it('400 workflow_invalid with diagnostics that keep their line numbers', async () => {
    const yaml =
      'weft: 1\nname: bad\ntasks:\n  a: { backend: mock, prompt: hi }\n  b: { needs: [nope], backend: mock, prompt: x }\n'
    const err = await failure(ops().runs.start({ workflow: yaml }))
    expect(err).toMatchObject({ status: 400, code: 'workflow_invalid' })
    const d = err.diagnostics.find((x) => x.message.includes('nope'))
    expect(d, JSON.stringify(err.details)).toBeDefined()
    expect(d!.line).toBe(5)
  })

  it('409 for a control that does not fit the run’s state', async () => {
    const client = ops()
    const { runId } = await client.runs.start({ workflow: workflows.quick('finished') })
    await client.runs.wait(runId)
    const err = await failure(client.runs.resume(runId))
    expect(err.status).toBe(409)
    expect(['run_finished', 'run_not_paused']).toContain(err.code)
  })
})

describe('no answer', () => {
  it('a refused connection names the URL and the reason', async () => {
    const probe = createHttpServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const client = createClient({ baseUrl: `http://127.0.0.1:${port}` })
    const err = await client.runs.list().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WeftConnectionError)
    expect((err as Error).message).toBe(
      `cannot reach the weft server at http://127.0.0.1:${port}: ECONNREFUSED`,
    )
    expect(err).toMatchObject({
      reason: 'ECONNREFUSED',
      request: 'GET /api/v1/runs',
      url: `http://127.0.0.1:${port}`,
    })
  })

  describe('a server that is not weft', () => {
    let other: Server
    let url: string
    beforeAll(async () => {
      other = createHttpServer((req, res) => {
        if (req.url?.startsWith('/slow')) return // never answers
        if (req.url === '/api/v1/backends') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}')
          return
        }
        res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>')
      })
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r))
      url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      other.closeAllConnections()
      await new Promise<void>((r) => other.close(() => r()))
    })

    it('an answer that is not the API’s shape is invalid_response', async () => {
      const err = await failure(createClient({ baseUrl: url }).backends.list())
      expect(err).toMatchObject({ status: 200, code: 'invalid_response' })
      expect(err.message).toMatch(/does not understand/)
    })

    it('a non-JSON error page keeps its status and becomes a code of that status', async () => {
      const err = await failure(createClient({ baseUrl: url }).runs.list())
      expect(err).toMatchObject({ status: 502, code: 'unavailable' })
      expect(err.message).toContain('HTTP 502')
    })

    it('a server that never answers times out with a connection error', async () => {
      const client = createClient({ baseUrl: `${url}/slow`, timeoutMs: 200 })
      const err = await client.runs.list().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WeftConnectionError)
      expect((err as WeftConnectionError).reason).toBe('timeout')
      expect((err as Error).message).toMatch(/no answer from the weft server at .* within 200 ms/)
    })

    it('the caller’s abort wins over everything', async () => {
      const client = createClient({ baseUrl: `${url}/slow` })
      const controller = new AbortController()
      const pending = client.runs.list({}, { signal: controller.signal }).catch((e: unknown) => e)
      controller.abort(new Error('changed my mind'))
      expect(((await pending) as Error).message).toBe('changed my mind')
    })
  })
})
