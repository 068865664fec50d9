import {
  type AddTasksRequest,
  type ArtifactInfo,
  ArtifactListSchema,
  type BackendInfo,
  BackendListSchema,
  type CancelRunRequest,
  EventListSchema,
  type EventPage,
  EventPageSchema,
  type ExportEventsQuery,
  HealthSchema,
  type ListRunsQuery,
  type MetricsSummary,
  MetricsSummarySchema,
  type QueryEvents,
  type Readiness,
  ReadinessSchema,
  type RerunRequest,
  type ResumeRunRequest,
  type RunDetail,
  RunDetailSchema,
  type RunEventsQuery,
  type RunPage,
  RunPageSchema,
  RunResponseSchema,
  type StartRunRequest,
  type StartRunResponse,
  StartRunResponseSchema,
  type WorkflowList,
  WorkflowListSchema,
} from '@weft/api'
import { isTerminalRunStatus, type RunSummary, type TaskState, type WeftEvent } from '@weft/core/contracts'
import { z } from 'zod'
import { type AgentsClient, createAgentsClient } from './agents.js'
import { createDataflowClient, type DataflowClient } from './dataflow.js'
import { WeftApiError } from './errors.js'
import { createQueueClient, type QueueClient } from './queue.js'
import { createSchedulesClient, type SchedulesClient } from './schedules.js'
import { type GapFiller, type StreamOptions, streamRunEvents } from './sse.js'
import { createTasksClient, type TasksClient } from './tasks.js'
import { type FetchLike, type QueryValue, Transport } from './transport.js'
import { type WebSocketConstructor, WeftSession } from './ws.js'

export interface ClientOptions {
  /** Where the server listens, e.g. `http://127.0.0.1:8787` (a path prefix is kept). */
  baseUrl: string
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string
  /** Default: the global `fetch`. */
  fetch?: FetchLike
  /** For `connect()`. Default: the global `WebSocket` (browsers, Node ≥ 22); in Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor
  /** How the WebSocket sends the API key: a header (default in Node) or `?key=` (default in browsers). */
  wsAuth?: 'header' | 'query'
  /** Per request, until the whole answer is in (for streams: until the headers are). Default 30 s; 0 = none. */
  timeoutMs?: number
  /** Sent with every request. */
  headers?: Record<string, string>
  /** Defaults for `runs.stream` (reconnect backoff, idle timeout). */
  stream?: Omit<StreamOptions, 'after' | 'signal'>
}

export interface CallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface StartRunOptions extends CallOptions {
  /**
   * A retried request with the same key and body answers the same run (`replayed: true`) instead
   * of starting another. Default: a new random key per call; pass your own to retry across calls.
   */
  idempotencyKey?: string
  /**
   * A W3C `traceparent` (and `tracestate`): the run's spans join this trace on a server that exports
   * traces (`@weft/otel`).
   */
  traceparent?: string
  tracestate?: string
}

export interface WaitOptions extends CallOptions {
  /** Default: the run finished, or is paused with nothing running (it waits for someone). */
  until?: (run: RunSummary) => boolean
  /** Default 250 ms. */
  intervalMs?: number
}

export type RunEventsPageQuery = Omit<RunEventsQuery, 'after' | 'limit'> & { after?: number; limit?: number }

/** A typed client of the weft HTTP API. Every answer is checked with the `@weft/api` schemas. */
export interface WeftClient {
  readonly baseUrl: string
  backends: {
    list(options?: CallOptions): Promise<BackendInfo[]>
  }
  runs: {
    /** `POST /runs` → 202. The workflow inline (an object or YAML/JSON text) or `workflowName`. */
    start(body: StartRunRequest, options?: StartRunOptions): Promise<StartRunResponse>
    /** One page, newest first; pass `nextCursor` as `cursor` for the next. */
    list(query?: ListRunsQuery, options?: CallOptions): Promise<RunPage>
    /** Every run matching the query, page after page (`limit` is the page size). */
    iterate(query?: Omit<ListRunsQuery, 'cursor'>, options?: CallOptions): AsyncIterableIterator<RunSummary>
    /** `include: 'spec'` adds what the run was started with (workflow, inputs, budget). */
    get(runId: string, options?: CallOptions & { include?: 'spec' }): Promise<RunDetail>
    cancel(runId: string, body?: CancelRunRequest, options?: CallOptions): Promise<RunSummary>
    pause(runId: string, options?: CallOptions): Promise<RunSummary>
    resume(runId: string, body?: ResumeRunRequest, options?: CallOptions): Promise<RunSummary>
    addTasks(runId: string, tasks: AddTasksRequest['tasks'], options?: CallOptions): Promise<RunSummary>
    /** `POST /runs/{id}/rerun` → 202: a new run reusing every recorded output not downstream of `from`. */
    rerun(runId: string, body: RerunRequest, options?: CallOptions): Promise<StartRunResponse>
    /** The files the run's tasks produced. */
    artifacts(runId: string, options?: CallOptions): Promise<ArtifactInfo[]>
    /** One artifact's bytes and content type. */
    artifact(
      runId: string,
      name: string,
      options?: CallOptions,
    ): Promise<{ contentType: string; data: Uint8Array }>
    /** One page of a run's events after a seq, with filters. */
    events(runId: string, query?: RunEventsPageQuery, options?: CallOptions): Promise<EventPage>
    /** Every stored event after `after` (page after page), up to the end of the log as it is now. */
    allEvents(
      runId: string,
      query?: RunEventsPageQuery,
      options?: CallOptions,
    ): AsyncIterableIterator<WeftEvent>
    /**
     * The run's events live over SSE, from `after`, without gap or duplicate across reconnects;
     * ends after the run's terminal event. Aborting `signal` ends the iteration.
     */
    stream(runId: string, options?: StreamOptions): AsyncIterableIterator<WeftEvent>
    /** Polls until the run finished or paused with nothing running (or `until` holds). */
    wait(runId: string, options?: WaitOptions): Promise<RunSummary>
  }
  events: {
    /** Events across runs, oldest first. */
    query(query?: QueryEvents, options?: CallOptions): Promise<WeftEvent[]>
    /** The log in `format` (jsonl, csv, json) as a byte stream, read as it arrives. */
    export(query?: ExportEventsQuery, options?: CallOptions): Promise<ReadableStream<Uint8Array>>
  }
  workflows: {
    /** The workflows of the server's folder with their declared inputs (start them by `workflowName`). */
    list(options?: CallOptions): Promise<WorkflowList>
  }
  /** Where the work stands, and the durable queue flag (pause, resume, history). */
  queue: QueueClient
  /** One task without a workflow, tasks across runs, one task's state and cancel (`/api/v1/tasks`). */
  tasks: TasksClient
  /** The `weft worker` processes sharing the server's store: list, show, pause, resume, stop (`/api/v1/agents`). */
  agents: AgentsClient
  /** `GET /healthz`. */
  health(options?: CallOptions): Promise<{ status: 'ok'; version: string }>
  /** `GET /readyz`: the checks, also when not ready (503). */
  ready(options?: CallOptions): Promise<Readiness>
  openapi(options?: CallOptions): Promise<Record<string, unknown>>
  /** Prometheus text. */
  metrics(options?: CallOptions): Promise<string>
  /** `GET /api/v1/metrics`: uptime, runs and tasks by status, durations, queue, events per second, usage by model. */
  metricsSummary(options?: CallOptions): Promise<MetricsSummary>
  /** Opens a WebSocket session (live events and run control). */
  connect(options?: { signal?: AbortSignal }): Promise<WeftSession>
  /** Dataflow graphs, executions, injection and components (`/api/v1/dataflow`). */
  dataflow: DataflowClient
  /** Cron schedules kept in the server's store: list, create, get, remove (`/api/v1/schedules`). */
  schedules: SchedulesClient
}

const AnyObjectSchema = z.record(z.string(), z.unknown())

export function createClient(options: ClientOptions): WeftClient {
  const t = new Transport(options)
  const call = (o: CallOptions = {}) => ({
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  })
  const id = (runId: string) => ({ id: runId })

  const runEvents = async (runId: string, query: RunEventsPageQuery = {}, o?: CallOptions) =>
    (
      await t.json('listRunEvents', EventPageSchema, {
        ...call(o),
        params: id(runId),
        query: query as Record<string, QueryValue>,
      })
    ).data as EventPage & { items: WeftEvent[] }

  async function* allEvents(runId: string, query: RunEventsPageQuery = {}, o?: CallOptions) {
    let after = query.after ?? 0
    for (;;) {
      const page = await runEvents(runId, { ...query, after, limit: query.limit ?? 1000 }, o)
      for (const e of page.items) yield e
      if (page.nextAfter === undefined || page.items.length === 0) return
      after = page.nextAfter
    }
  }

  const fillGap = (runId: string, signal?: AbortSignal): GapFiller =>
    async function* (after, before) {
      for await (const e of allEvents(runId, { after }, signal ? { signal } : {})) {
        if (e.seq >= before) return
        yield e
      }
    }

  const runs: WeftClient['runs'] = {
    async start(body, o = {}) {
      const key = o.idempotencyKey ?? randomKey()
      const { data } = await t.json('startRun', StartRunResponseSchema, {
        ...call(o),
        body,
        headers: {
          'idempotency-key': key,
          ...(o.traceparent ? { traceparent: o.traceparent } : {}),
          ...(o.tracestate ? { tracestate: o.tracestate } : {}),
        },
      })
      return data
    },
    async list(query = {}, o) {
      return (
        await t.json('listRuns', RunPageSchema, { ...call(o), query: query as Record<string, QueryValue> })
      ).data
    },
    async *iterate(query = {}, o) {
      let cursor: string | undefined
      do {
        const page = await runs.list({ ...query, ...(cursor ? { cursor } : {}) }, o)
        for (const r of page.items) yield r
        cursor = page.nextCursor
      } while (cursor)
    },
    async get(runId, o = {}) {
      const query = o.include ? { include: o.include } : {}
      return (await t.json('getRun', RunDetailSchema, { ...call(o), params: id(runId), query }))
        .data as RunDetail & {
        tasks: TaskState[]
      }
    },
    async cancel(runId, body = {}, o) {
      return (await t.json('cancelRun', RunResponseSchema, { ...call(o), params: id(runId), body })).data.run
    },
    async pause(runId, o) {
      return (await t.json('pauseRun', RunResponseSchema, { ...call(o), params: id(runId) })).data.run
    },
    async resume(runId, body = {}, o) {
      return (await t.json('resumeRun', RunResponseSchema, { ...call(o), params: id(runId), body })).data.run
    },
    async addTasks(runId, tasks, o) {
      return (await t.json('addTasks', RunResponseSchema, { ...call(o), params: id(runId), body: { tasks } }))
        .data.run
    },
    async rerun(runId, body, o) {
      return (await t.json('rerunRun', StartRunResponseSchema, { ...call(o), params: id(runId), body })).data
    },
    async artifacts(runId, o) {
      return (await t.json('listArtifacts', ArtifactListSchema, { ...call(o), params: id(runId) })).data.items
    },
    async artifact(runId, name, o) {
      const response = await t.send('getArtifact', {
        ...call(o),
        params: { id: runId, name },
        headers: { accept: '*/*' },
      })
      const contentType = response.headers.get('content-type') ?? 'application/octet-stream'
      return { contentType, data: new Uint8Array(await response.arrayBuffer()) }
    },
    events: runEvents,
    allEvents,
    stream(runId, o = {}) {
      const merged: StreamOptions = { ...options.stream, ...o }
      return streamRunEvents(t, runId, merged, fillGap(runId, o.signal))
    },
    async wait(runId, o = {}) {
      const until =
        o.until ??
        ((r: RunSummary) => isTerminalRunStatus(r.status) || (r.status === 'paused' && !r.taskCounts.running))
      const interval = o.intervalMs ?? 250
      for (;;) {
        const { run } = await runs.get(runId, o)
        if (until(run)) return run
        await delay(interval, o.signal)
      }
    },
  }

  return {
    baseUrl: t.baseUrl,
    dataflow: createDataflowClient(t, call),
    schedules: createSchedulesClient(t, call),
    backends: {
      async list(o) {
        return (await t.json('listBackends', BackendListSchema, call(o))).data.items
      },
    },
    runs,
    workflows: {
      async list(o) {
        return (await t.json('listWorkflows', WorkflowListSchema, call(o))).data
      },
    },
    events: {
      async query(query = {}, o) {
        return (
          await t.json('queryEvents', EventListSchema, {
            ...call(o),
            query: query as Record<string, QueryValue>,
          })
        ).data.items as WeftEvent[]
      },
      async export(query = {}, o) {
        const response = await t.send('exportEvents', {
          ...call(o),
          query: query as Record<string, QueryValue>,
          headers: { accept: '*/*' },
        })
        if (!response.body) {
          throw new WeftApiError({
            status: response.status,
            code: 'invalid_response',
            message: 'the export has no body',
          })
        }
        return response.body
      },
    },
    queue: createQueueClient(t, call),
    tasks: createTasksClient(t, call, randomKey),
    agents: createAgentsClient(t, call),
    async health(o) {
      return (await t.json('health', HealthSchema, call(o))).data
    },
    async ready(o) {
      return (await t.json('ready', ReadinessSchema, { ...call(o), accept: [503] })).data
    },
    async openapi(o) {
      return (await t.json('openapi', AnyObjectSchema, call(o))).data
    },
    async metricsSummary(o) {
      return (await t.json('getMetrics', MetricsSummarySchema, call(o))).data
    },
    async metrics(o) {
      const response = await t.send('metrics', { ...call(o), headers: { accept: 'text/plain' } })
      return response.text()
    },
    connect(o = {}) {
      const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
      if (!WS) {
        return Promise.reject(
          new TypeError(
            'no WebSocket: pass `WebSocket` in the client options (in Node 20: `import { WebSocket } from "ws"`)',
          ),
        )
      }
      const inNode =
        typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
        'string'
      return WeftSession.open(t, {
        WebSocket: WS,
        auth: options.wsAuth ?? (inNode ? 'header' : 'query'),
        timeoutMs: t.timeoutMs > 0 ? t.timeoutMs : 30_000,
        ...(o.signal ? { signal: o.signal } : {}),
      })
    },
  }
}

/** A random idempotency key (UUID v4 where the platform has one). */
function randomKey(): string {
  const c = (
    globalThis as {
      crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array }
    }
  ).crypto
  if (c?.randomUUID) return c.randomUUID()
  const bytes = new Uint8Array(16)
  if (c?.getRandomValues) c.getRandomValues(bytes)
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
