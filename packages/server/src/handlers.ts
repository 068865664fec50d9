import { PassThrough, Readable } from 'node:stream'
import {
  type AddTasksRequestSchema,
  API_PREFIX,
  type BackendInfo,
  buildOpenApiDocument,
  type CancelRunRequestSchema,
  type EventPage,
  EXPORT_CONTENT_TYPES,
  type ExportEventsQuerySchema,
  type ListRunsQuerySchema,
  type QueryEventsSchema,
  type Readiness,
  type ResumeRunRequestSchema,
  type RunEventsQuerySchema,
  type RunPage,
  type StartRunResponse,
} from '@weft/api'
import { type Backend, parseTraceparent, type Runtime, type WeftEvent } from '@weft/core'
import { exportEvents } from '@weft/export'
import type { Context } from 'hono'
import type { z } from 'zod'
import type { Principal } from './auth.js'
import { cancelRun, getRun, pauseRun, resumeRun } from './controls.js'
import { HttpError } from './errors.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import type { PolicyGate } from './policy.js'
import { type SseClient, streamRunEvents } from './sse.js'
import type { RunStarter, StartRunBody } from './start-run.js'
import { expandEventTypes, parseTimeParam } from './time.js'

export interface HandlerInput {
  c: Context
  params: Record<string, string>
  query: unknown
  body: unknown
  principal: Principal
}
export type Handler = (input: HandlerInput) => Response | Promise<Response>

export interface HandlerDeps {
  runtime: Runtime
  metrics: ServerMetrics
  logger: Logger
  starter: RunStarter
  policy: PolicyGate
  version: string
  maxQueuedRuns?: number
  sseHeartbeatMs: number
  /** How long a backend's healthcheck may take before it is reported unhealthy. */
  healthTimeoutMs: number
  sseClients: Set<SseClient>
  /** Streams (exports) still writing: `close()` waits for them. */
  track(work: Promise<unknown>): void
  isClosing(): boolean
}

const HEALTH_CACHE_MS = 10_000
const READY_TIMEOUT_MS = 3000
/** At most this many events are scanned for one filtered page; `nextAfter` continues from there. */
const MAX_SCAN = 50_000

type Out<T extends z.ZodType> = z.output<T>

/** The handler of every route of `API_ROUTES`, by `operationId`. */
export function createHandlers(deps: HandlerDeps): Record<string, Handler> {
  const { runtime } = deps
  let storeOpen: Promise<unknown> | undefined
  /** The runtime opens its store on first use; routes that go to the store directly open it first. */
  const ensureStore = () => {
    storeOpen ??= runtime.list({ limit: 1 }).catch((err) => {
      storeOpen = undefined
      throw err
    })
    return storeOpen
  }
  let openapi: Record<string, unknown> | undefined
  const health = new Map<string, { at: number; value: Promise<BackendInfo['health']> }>()

  const backendHealth = (b: Backend): Promise<BackendInfo['health']> => {
    const cached = health.get(b.id)
    if (cached && Date.now() - cached.at < HEALTH_CACHE_MS) return cached.value
    const value = checkHealth(b)
    health.set(b.id, { at: Date.now(), value })
    return value
  }

  const eventFilter = async (q: {
    run?: string
    type?: string[]
    task?: string
    severity?: ('debug' | 'info' | 'warn' | 'error')[]
    since?: string
    until?: string
  }) => {
    const since = q.since !== undefined ? parseTimeParam('since', q.since) : undefined
    const until = q.until !== undefined ? parseTimeParam('until', q.until) : undefined
    if (since && until && since >= until) {
      throw new HttpError(
        'validation_failed',
        `invalid query: since (${since}) is not before until (${until})`,
        {
          details: {
            issues: [{ path: ['query', 'since'], code: 'custom', message: 'since must be before until' }],
          },
        },
      )
    }
    if (q.run !== undefined) await getRun(runtime, q.run)
    else await ensureStore()
    const types = expandEventTypes(q.type)
    return {
      ...(q.run !== undefined ? { runId: q.run } : {}),
      ...(types ? { types } : {}),
      ...(q.task !== undefined ? { taskId: q.task } : {}),
      ...(q.severity?.length ? { severities: q.severity } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    }
  }

  return {
    async listBackends({ c }) {
      const items = await Promise.all(
        [...runtime.backends.values()].map(
          async (b): Promise<BackendInfo> => ({
            id: b.id,
            label: b.label,
            capabilities: { ...b.capabilities },
            health: await backendHealth(b),
          }),
        ),
      )
      return c.json({ items })
    },

    async startRun({ c, body, principal }) {
      const key = c.req.header('idempotency-key')
      if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw new HttpError(
          'validation_failed',
          'invalid Idempotency-Key: 1 to 255 visible ASCII characters',
          {
            details: {
              issues: [{ path: ['headers', 'Idempotency-Key'], code: 'invalid_format', message: 'bad key' }],
            },
          },
        )
      }
      // A caller that traces its request (W3C `traceparent`) gets the run's spans in its trace.
      const trace = parseTraceparent(c.req.header('traceparent'), c.req.header('tracestate'))
      const { run, replayed } = await deps.starter.start(body as StartRunBody, key, principal, trace)
      const answer: StartRunResponse = { runId: run.id, replayed, run }
      return c.json(answer, 202, { Location: `${API_PREFIX}/runs/${encodeURIComponent(run.id)}` })
    },

    async listRuns({ c, query }) {
      const q = query as Out<typeof ListRunsQuerySchema>
      const since = q.since !== undefined ? parseTimeParam('since', q.since) : undefined
      const page = await runtime.list({
        ...(q.status?.length ? { status: q.status } : {}),
        ...(q.tag !== undefined ? { tag: q.tag } : {}),
        ...(q.name !== undefined ? { name: q.name } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        limit: q.limit,
      })
      let items = page.items
      let nextCursor = page.nextCursor
      if (since) {
        // Newest first: the first run older than `since` ends the listing.
        const older = items.findIndex((r) => r.createdAt < since)
        if (older >= 0) {
          items = items.slice(0, older)
          nextCursor = undefined
        }
      }
      const answer: RunPage = { items, ...(nextCursor ? { nextCursor } : {}) }
      return c.json(answer)
    },

    async cancelRun({ c, params, body }) {
      const b = body as Out<typeof CancelRunRequestSchema>
      return c.json({ run: await cancelRun(runtime, params.id!, b.reason) })
    },

    async pauseRun({ c, params }) {
      return c.json({ run: await pauseRun(runtime, params.id!) })
    },

    async resumeRun({ c, params, body, principal }) {
      const request = body as Out<typeof ResumeRunRequestSchema>
      return c.json({ run: await resumeRun(runtime, params.id!, request, principal.name) })
    },

    async addTasks({ c, params, body, principal }) {
      const id = params.id!
      // Added tasks are inline work: the same policy as an inline workflow, with the run's defaults.
      deps.policy.checkSource(principal, true)
      await getRun(runtime, id)
      const b = body as Out<typeof AddTasksRequestSchema>
      const spec = await runtime.store.runs.getSpec(id)
      deps.starter.checkTaskCount(
        Object.keys(spec?.workflow.tasks ?? {}).length + Object.keys(b.tasks).length,
      )
      deps.policy.checkTasks(principal, {
        workflow: {
          tasks: b.tasks,
          ...(spec?.workflow.defaults ? { defaults: spec.workflow.defaults } : {}),
        },
        inline: true,
        backendOverride: spec?.backend,
      })
      return c.json({ run: await runtime.addTasks(id, b.tasks) })
    },

    async listRunEvents({ c, params, query }) {
      const id = params.id!
      const q = query as Out<typeof RunEventsQuerySchema>
      await getRun(runtime, id)
      const types = expandEventTypes(q.type)
      const typeSet = types ? new Set<string>(types) : undefined
      const severities = q.severity?.length ? new Set<string>(q.severity) : undefined
      const matches = (e: WeftEvent) =>
        (!typeSet || typeSet.has(e.type)) &&
        (q.task === undefined || e.taskId === q.task) &&
        (!severities || severities.has(e.severity))
      const items: WeftEvent[] = []
      let after = q.after
      let scanned = 0
      let stopped = false
      const pageSize = 1000
      scan: for (;;) {
        const page = await runtime.store.events.read(id, { afterSeq: after, limit: pageSize })
        for (const e of page) {
          after = e.seq
          scanned++
          if (matches(e)) {
            items.push(e)
            if (items.length >= q.limit) {
              stopped = true
              break scan
            }
          }
        }
        if (page.length < pageSize) break
        if (scanned >= MAX_SCAN) {
          stopped = true
          break
        }
      }
      const lastSeq = Math.max((await runtime.store.runs.get(id))?.lastSeq ?? 0, after)
      const answer: EventPage = {
        items,
        ...(stopped && after < lastSeq ? { nextAfter: after } : {}),
        lastSeq,
      }
      return c.json(answer)
    },

    async streamRunEvents({ c, params, query }) {
      const id = params.id!
      const header = c.req.header('last-event-id')
      const q = query as { after?: number; deltas?: 'true' | 'false' }
      let after = q.after ?? 0
      if (header !== undefined && header.trim() !== '') {
        if (!/^\d{1,15}$/.test(header.trim())) {
          throw new HttpError('validation_failed', 'invalid Last-Event-ID: expected the seq of an event', {
            details: {
              issues: [{ path: ['headers', 'Last-Event-ID'], code: 'invalid_format', message: 'not a seq' }],
            },
          })
        }
        after = Number(header.trim())
      }
      await getRun(runtime, id)
      return streamRunEvents(
        c,
        {
          runtime,
          metrics: deps.metrics,
          logger: deps.logger,
          heartbeatMs: deps.sseHeartbeatMs,
          clients: deps.sseClients,
        },
        id,
        after,
        q.deltas === 'true',
      )
    },

    async queryEvents({ c, query }) {
      const q = query as Out<typeof QueryEventsSchema>
      const filter = await eventFilter(q)
      const items = await runtime.store.events.query({ ...filter, limit: q.limit })
      return c.json({ items })
    },

    async exportEvents({ c, query }) {
      const q = query as Out<typeof ExportEventsQuerySchema>
      const filter = await eventFilter(q)
      // exportEvents writes with backpressure; the web stream pulls only as fast as the client reads.
      const out = new PassThrough({ highWaterMark: 64 * 1024 })
      const controller = new AbortController()
      const abort = () => controller.abort(new Error('the client went away'))
      c.req.raw.signal.addEventListener('abort', abort, { once: true })
      out.on('close', abort)
      const work = exportEvents(runtime.store, { ...filter, signal: controller.signal }, q.format, out).then(
        () => {
          out.end()
        },
        (err) => {
          if (!controller.signal.aborted) deps.logger.error({ err: String(err) }, 'event export failed')
          out.destroy(err instanceof Error ? err : new Error(String(err)))
        },
      )
      deps.track(work.finally(() => c.req.raw.signal.removeEventListener('abort', abort)))
      return new Response(Readable.toWeb(out) as unknown as ReadableStream<Uint8Array>, {
        status: 200,
        headers: {
          'Content-Type': EXPORT_CONTENT_TYPES[q.format],
          'Content-Disposition': `attachment; filename="weft-events.${q.format}"`,
          'Cache-Control': 'no-store',
        },
      })
    },

    websocket() {
      // Mounted by the server itself (it needs the upgrade); see server.ts.
      throw new HttpError('validation_failed', 'this route takes a WebSocket upgrade')
    },

    openapi({ c }) {
      openapi ??= buildOpenApiDocument({ version: deps.version })
      return c.json(openapi)
    },

    async getMetrics({ c }) {
      return c.json(await deps.metrics.summary())
    },

    async metrics({ c }) {
      const text = await deps.metrics.registry.metrics()
      return c.body(text, 200, { 'Content-Type': deps.metrics.registry.contentType })
    },

    health({ c }) {
      return c.json({ status: 'ok' as const, version: deps.version })
    },

    async ready({ c }) {
      const checks: Readiness['checks'] = {}
      checks.server = deps.isClosing() ? { ok: false, message: 'shutting down' } : { ok: true }
      try {
        await withTimeout(runtime.list({ limit: 1 }), READY_TIMEOUT_MS, 'the store did not answer in time')
        checks.store = { ok: true }
      } catch (err) {
        checks.store = { ok: false, message: (err as Error).message }
      }
      const ok = Object.values(checks).every((x) => x.ok)
      const answer: Readiness = { status: ok ? 'ready' : 'not_ready', checks }
      return c.json(answer, ok ? 200 : 503)
    },
  }

  async function checkHealth(b: Backend): Promise<BackendInfo['health']> {
    if (!b.healthcheck) return { ok: true, details: 'no healthcheck' }
    try {
      const h = await withTimeout(
        b.healthcheck(),
        deps.healthTimeoutMs,
        `no answer within ${deps.healthTimeoutMs} ms`,
      )
      return {
        ok: Boolean(h.ok),
        ...(h.details !== undefined ? { details: String(h.details) } : {}),
        ...(h.version !== undefined ? { version: String(h.version) } : {}),
      }
    } catch (err) {
      return { ok: false, details: `healthcheck failed: ${(err as Error)?.message ?? String(err)}` }
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms)
      timer.unref?.()
    }),
  ]).finally(() => clearTimeout(timer))
}
