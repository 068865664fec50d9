import { API_ROUTES, ApiErrorBodySchema, type ApiRoute, routePath } from '@weft/api'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, type Harness, isFinished, rawRequest, startHarness, waitForRun, workflows } from './helpers.js'

const SEED = Number(process.env.WEFT_FUZZ_SEED ?? 0x5eed_2026)
const RUNS = Number(process.env.WEFT_FUZZ_RUNS ?? 600)
const KEY = 'fuzz-admin-key-0123456789'
const MAX_BODY = 64 * 1024

interface Case {
  kind: string
  method: string
  path: string
  headers: Record<string, string>
  body?: string | { chunks: number; size: number }
  /** Exact status when the kind determines it; otherwise any 4xx. */
  status?: number
  code?: string
}

let h: Harness
let runId: string

beforeAll(async () => {
  h = await startHarness({
    memory: true,
    server: {
      auth: { keys: [{ name: 'fuzzer', key: KEY, scopes: ['admin'] }] },
      maxBodyBytes: MAX_BODY,
      // Inline workflows (off by default with keys): the fuzzer posts them.
      policy: { inlineWorkflows: true },
    },
  })
  const r = await call(h.url, '/api/v1/runs', {
    key: KEY,
    json: { workflow: workflows.quick('fuzz-target') },
  })
  runId = r.body.runId
  await waitForRun(h, runId, isFinished, 'the seed run', KEY)
})
afterAll(async () => {
  await h?.close()
})

const auth = { authorization: `Bearer ${KEY}` }
const json = { 'content-type': 'application/json', ...auth }
const GOOD_ID = /^[A-Za-z0-9_-]{1,128}$/
const ODD_METHODS = ['PUT', 'PATCH', 'DELETE', 'PROPFIND', 'FROB', 'OPTIONS']

/** Which methods each path has. */
const methodsOf = new Map<string, Set<string>>()
for (const r of API_ROUTES) {
  methodsOf.set(r.path, new Set([...(methodsOf.get(r.path) ?? []), r.method.toUpperCase()]))
}

const concrete = (route: ApiRoute, id = runId) =>
  routePath(route.path, {
    ...(route.path.includes('{id}') ? { id } : {}),
    ...(route.path.includes('{name}') ? { name: 'report.md' } : {}),
    ...(route.path.includes('{task}') ? { task: 'a' } : {}),
  })
const isApi = (route: ApiRoute) => route.path.startsWith('/api/v1/')
const hasBody = (route: ApiRoute) => route.method === 'post'

/** Values each known query parameter refuses. */
const BAD_QUERY_VALUES: Record<string, fc.Arbitrary<string>> = {
  limit: fc.constantFrom('0', '-1', 'abc', '1.5', '99999999', '', 'NaN'),
  after: fc.constantFrom('-1', 'x', '1.5', 'Infinity'),
  status: fc.string({ minLength: 1, maxLength: 12 }).map((s) => `~${s}`),
  type: fc.constantFrom('task.bogus', 'run', '*', 'TASK.*', ',,~x'),
  severity: fc.constantFrom('fatal', 'INFO', '~'),
  since: fc.string({ maxLength: 20 }).map((s) => `x${s}`),
  until: fc.constantFrom('tomorrow', '1y', '12', 'x'),
  format: fc.constantFrom('xml', 'JSONL', ''),
  cursor: fc.constant('c'.repeat(300)),
  tag: fc.constant(''),
  name: fc.constant(''),
  task: fc.constant(''),
  run: fc.constant(''),
}

/** Bodies of the right JSON type (an object) whose fields are wrong, per route. */
const WRONG_FIELDS: Record<string, unknown[]> = {
  startRun: [
    { workflow: 123 },
    { workflowName: '' },
    { workflowName: 'a/b' },
    { workflow: {}, workflowName: 'x' },
    { workflow: 'x', inputs: 'nope' },
    { workflow: 'x', tags: [1] },
    { workflow: 'x', maxParallelism: -1 },
    { workflow: 'x', mode: 'sideways' },
    { workflow: 'x', budget: { maxCostUsd: 'lots' } },
    { workflow: 'x', retry: { maxAttempts: 0 } },
    { workflow: 'x', tags: Array.from({ length: 65 }, (_, i) => `t${i}`) },
  ],
  cancelRun: [{ reason: 5 }, { reason: 'r'.repeat(1001) }],
  resumeRun: [{ token: 5 }, { token: '' }, { budget: 'x' }],
  addTasks: [{ tasks: [] }, { tasks: { a: 5 } }, { tasks: {} }, { tasks: 'x' }],
  rerunRun: [{ from: 5 }, { from: '' }, { from: 'x', extra: 1 }],
  createSchedule: [
    { workflowName: 'x' },
    { workflow: 'x', cron: 5 },
    { workflow: 'x', cron: '' },
    { workflow: 'x', workflowName: 'x', cron: '* * * * *' },
    { workflowName: 'x', cron: '* * * * *', missed: 'always' },
    { workflowName: 'x', cron: '* * * * *', inputs: 'nope' },
  ],
}

function caseArbitrary(): fc.Arbitrary<Case> {
  const route = fc.constantFrom(...API_ROUTES)
  const kinds: fc.Arbitrary<Case>[] = [
    // A method the path does not have.
    route.chain((r) =>
      fc
        .constantFrom(...[...ODD_METHODS, 'GET', 'POST'].filter((m) => !methodsOf.get(r.path)!.has(m)))
        .map((method) => ({
          kind: 'method',
          method,
          path: concrete(r),
          headers: auth,
          // Node's HTTP parser refuses methods it does not know before any route sees them.
          ...(method === 'FROB'
            ? { status: 400, code: 'malformed_body' }
            : { status: 405, code: 'method_not_allowed' }),
        })),
    ),
    // A run id the schema refuses (URL-encoded so that it reaches the router).
    route
      .filter((r) => r.path.includes('{id}'))
      .chain((r) =>
        fc
          .string({ maxLength: 140, unit: 'binary' })
          .filter((s) => !GOOD_ID.test(s))
          .map((id) => ({
            kind: 'bad-id',
            method: r.method.toUpperCase(),
            path: concrete(r, id),
            headers: json,
            ...(hasBody(r) ? { body: '{}' } : {}),
          })),
      ),
    // A well-formed id of a run that does not exist, with a body the route takes.
    route
      .filter((r) => r.path.includes('{id}') && r.operationId !== 'websocket')
      .chain((r) =>
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((id) => ({
          kind: 'unknown-run',
          method: r.method.toUpperCase(),
          path: concrete(r, `zz${id}`),
          headers: json,
          ...(hasBody(r)
            ? {
                body:
                  r.operationId === 'addTasks'
                    ? '{"tasks":{"x":{"prompt":"y"}}}'
                    : r.operationId === 'rerunRun'
                      ? '{"from":"x"}'
                      : r.operationId === 'injectDataflowMessages'
                        ? '{"value":1}'
                        : '{}',
              }
            : {}),
          status: 404,
          // A dataflow execution or a schedule is not a run: their routes answer the generic code.
          code: /^\/api\/v1\/(dataflow|schedules)\//.test(r.path) ? 'not_found' : 'run_not_found',
        })),
      ),
    // An unknown query parameter, or a bad value of a known one.
    route.filter(isApi).chain((r) => {
      const known = Object.keys((r.query as { shape?: Record<string, unknown> } | undefined)?.shape ?? {})
      const unknown = fc
        .tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 20 }))
        .map(([k, v]) => `zz${k}=${encodeURIComponent(v)}`)
      const bad = known.filter((k) => BAD_QUERY_VALUES[k]).length
        ? fc
            .constantFrom(...known.filter((k) => BAD_QUERY_VALUES[k]))
            .chain((k) => BAD_QUERY_VALUES[k]!.map((v) => `${k}=${encodeURIComponent(v)}`))
        : unknown
      return fc.oneof(unknown, bad).map((q) => ({
        kind: 'query',
        method: r.method.toUpperCase(),
        path: `${concrete(r)}?${q}`,
        headers: json,
        ...(hasBody(r) ? { body: '{}' } : {}),
        status: 400,
        code: 'validation_failed',
      }))
    }),
    // A body that is not JSON.
    route.filter(hasBody).chain((r) =>
      fc
        .string({ minLength: 1, maxLength: 200, unit: 'grapheme' })
        .filter((s) => s.trim() !== '' && !parses(s))
        .map((body) => ({
          kind: 'malformed',
          method: 'POST',
          path: concrete(r),
          headers: json,
          body,
          status: 400,
          code: 'malformed_body',
        })),
    ),
    // JSON of the wrong type, unknown fields, or wrong field types.
    route.filter(hasBody).chain((r) =>
      fc
        .oneof(
          fc.oneof(
            fc.integer(),
            fc.string(),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.jsonValue(), { maxLength: 5 }),
          ),
          fc
            .dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.jsonValue(), { minKeys: 1, maxKeys: 3 })
            .map((d) => ({
              ...d,
              zz_unknown: true,
            })),
          ...(WRONG_FIELDS[r.operationId]?.length ? [fc.constantFrom(...WRONG_FIELDS[r.operationId]!)] : []),
        )
        .map((value) => ({
          kind: 'wrong-type',
          method: 'POST',
          path: concrete(r),
          headers: json,
          body: JSON.stringify(value),
          status: 400,
        })),
    ),
    // A body over the limit, with Content-Length or streamed (chunked).
    route.filter(hasBody).chain((r) =>
      fc.tuple(fc.integer({ min: MAX_BODY + 1, max: 4 * MAX_BODY }), fc.boolean()).map(([size, chunked]) => ({
        kind: chunked ? 'huge-chunked' : 'huge',
        method: 'POST',
        path: concrete(r),
        headers: json,
        body: chunked ? { chunks: 8, size } : `{"workflow":"${'x'.repeat(size)}"}`,
        status: 413,
        code: 'payload_too_large',
      })),
    ),
    // Paths that are no route.
    fc
      .tuple(
        fc.constantFrom('/api/v1/zz', '/zz', '/api/v2/runs', `/api/v1/runs/x/zz`, '/api/v1/queue/zz'),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      )
      .map(([prefix, segments, method]) => ({
        kind: 'no-route',
        method,
        path: `${prefix}${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`,
        headers: auth,
        status: 404,
        code: 'not_found',
      })),
    // A missing, unknown or malformed key.
    route
      .filter((r) => r.scope !== 'public')
      .chain((r) =>
        fc
          .oneof(
            fc.constant(undefined),
            fc.string({ maxLength: 40 }).map((s) => `Bearer ~${s.replace(/[^\x20-\x7e]/g, '')}`),
            fc.constantFrom('Bearer', 'Basic Zm9vOmJhcg==', `bearer${KEY}`, `Bearer ${KEY}x`, KEY),
          )
          .map((authorization) => ({
            kind: 'auth',
            method: r.method.toUpperCase(),
            path: concrete(r),
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            ...(hasBody(r) ? { body: '{}' } : {}),
            status: 401,
            code: 'unauthorized',
          })),
      ),
    // Bad headers the routes read.
    fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => ({
        kind: 'last-event-id',
        method: 'GET',
        path: `/api/v1/runs/${runId}/events/stream`,
        headers: { ...auth, 'last-event-id': `~${s.replace(/[^\x21-\x7e]/g, '')}` },
        status: 400,
        code: 'validation_failed',
      })),
      fc.constantFrom('k'.repeat(256), 'has space', 'tab\there').map((key) => ({
        kind: 'idempotency-key',
        method: 'POST',
        path: '/api/v1/runs',
        headers: { ...json, 'idempotency-key': key },
        body: JSON.stringify({ workflow: workflows.quick('must-not-start') }),
        status: 400,
        code: 'validation_failed',
      })),
    ),
    // A request line or headers too large for the HTTP parser.
    route.map((r) => ({
      kind: 'long-url',
      method: 'GET',
      path: `${concrete(r)}?zz=${'u'.repeat(20_000)}`,
      headers: auth,
      status: 431,
      code: 'payload_too_large',
    })),
  ]
  return fc.oneof(...kinds)
}

function parses(s: string): boolean {
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

/**
 * Requests the HTTP parser itself refuses (a request line too long, an unknown method) are answered
 * and the connection closed while the client may still be writing: they go on a connection of their
 * own, so that the client's pool never reuses a connection the server has closed.
 */
async function sendAlone(c: Case): Promise<{ status: number; type: string; body: unknown; text: string }> {
  const { status, headers, text } = await rawRequest(
    `${h.url}${c.path}`,
    { method: c.method, headers: c.headers, agent: false },
    typeof c.body === 'string' ? c.body : undefined,
  )
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status, type: String(headers['content-type'] ?? ''), body, text }
}

async function send(c: Case): Promise<{ status: number; type: string; body: unknown; text: string }> {
  if (c.kind === 'long-url' || c.method === 'FROB') return sendAlone(c)
  let body: RequestInit['body']
  let extra: Record<string, unknown> = {}
  if (typeof c.body === 'string') body = c.body
  else if (c.body) {
    const { chunks, size } = c.body
    const piece = new TextEncoder().encode('x'.repeat(Math.ceil(size / chunks)))
    let sent = 0
    body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < chunks) controller.enqueue(piece)
        else controller.close()
      },
    }) as unknown as RequestInit['body']
    extra = { duplex: 'half' }
  }
  const res = await fetch(`${h.url}${c.path}`, {
    method: c.method,
    headers: c.headers,
    body,
    ...extra,
  } as RequestInit)
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: parsed, text }
}

describe('fuzz', () => {
  it(`every route answers hostile input with a 4xx JSON error (seed ${SEED}, ${RUNS} requests)`, async () => {
    console.log(`fuzz: seed ${SEED}, ${RUNS} requests (rerun with WEFT_FUZZ_SEED=${SEED})`)
    const kinds = new Map<string, number>()
    const history: string[] = []
    await fc.assert(
      fc.asyncProperty(caseArbitrary(), async (c) => {
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1)
        history.push(`${c.kind} ${c.method} ${c.path.slice(0, 60)}`)
        const r = await send(c).catch((err) => {
          throw new Error(`${err} ${err.cause}; after: ${history.slice(-10).join(' | ')}`)
        })
        const where = `${c.kind}: ${c.method} ${c.path.slice(0, 200)} → ${r.status} ${r.text.slice(0, 300)}`
        history[history.length - 1] += ` → ${r.status}`
        expect(r.status, where).toBeGreaterThanOrEqual(400)
        expect(r.status, where).toBeLessThan(500)
        if (c.status !== undefined) expect(r.status, where).toBe(c.status)
        expect(r.type, where).toMatch(/^application\/json/)
        const parsed = ApiErrorBodySchema.safeParse(r.body)
        expect(parsed.success, where).toBe(true)
        if (c.code) expect(parsed.data?.error.code, where).toBe(c.code)
      }),
      { seed: SEED, numRuns: RUNS },
    )
    console.log(`fuzz: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`)
    for (const kind of ['method', 'bad-id', 'query', 'malformed', 'wrong-type', 'huge', 'no-route', 'auth']) {
      expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0)
    }

    // Still answering, nothing was logged as a crash, nothing started or changed.
    expect((await call(h.url, '/healthz')).status).toBe(200)
    expect((await call(h.url, '/readyz')).status).toBe(200)
    expect(h.logs.filter((l) => l.level === 'error')).toEqual([])
    const runs = await call(h.url, '/api/v1/runs', { key: KEY })
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([runId])
    const queue = await call(h.url, '/api/v1/queue', { key: KEY })
    expect(queue.body.paused).toBe(false)
  }, 180_000)

  it('survives a body nested 30 000 levels deep and a WebSocket-route request without upgrade', async () => {
    const nested = `{"workflow":"x","inputs":{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`
    const r = await fetch(`${h.url}/api/v1/runs`, { method: 'POST', headers: json, body: nested })
    expect(r.status).toBe(400)
    expect(ApiErrorBodySchema.parse(await r.json()).error.code).toBe('validation_failed')
    const ws = await fetch(`${h.url}/api/v1/ws`, { headers: auth })
    expect(ws.status).toBe(400)
    expect((await call(h.url, '/healthz')).status).toBe(200)
  })
})
