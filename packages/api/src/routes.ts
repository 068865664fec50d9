import { z } from 'zod'
import { AGENT_ROUTES } from './agent-routes.js'
import { ArtifactListSchema, ArtifactParamsSchema } from './artifacts.js'
import { BackendListSchema } from './backends.js'
import { DATAFLOW_ROUTES } from './dataflow-routes.js'
import {
  EventListSchema,
  EventPageSchema,
  ExportEventsQuerySchema,
  QueryEventsSchema,
  RunEventsQuerySchema,
} from './events.js'
import { HealthSchema, ReadinessSchema } from './health.js'
import { MetricsSummarySchema } from './metrics.js'
import { PauseQueueRequestSchema, QueueStatusSchema } from './queue.js'
import {
  AddTasksRequestSchema,
  CancelRunRequestSchema,
  GetRunQuerySchema,
  ListRunsQuerySchema,
  RerunRequestSchema,
  ResumeRunRequestSchema,
  RunDetailSchema,
  RunIdParamSchema,
  RunPageSchema,
  RunResponseSchema,
  StartRunRequestSchema,
  StartRunResponseSchema,
} from './runs.js'
import { SCHEDULE_ROUTES } from './schedule-routes.js'
import { TASK_ROUTES } from './task-routes.js'
import { WorkflowListSchema } from './workflows.js'

export const API_PREFIX = '/api/v1'

/** `read` < `write` < `admin`: a key with a scope has every lower one too. */
export const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]
export const ScopeSchema = z.enum(SCOPES)

export function scopeAllows(granted: readonly Scope[], needed: Scope): boolean {
  const rank = (s: Scope) => SCOPES.indexOf(s)
  return granted.some((g) => rank(g) >= rank(needed))
}

export interface ApiResponse {
  description: string
  /** JSON body schema; absent for streams (see `contentType`). */
  schema?: z.ZodType
  contentType?: string
}

export interface ApiRoute {
  method: 'get' | 'post' | 'delete'
  /** OpenAPI style: `/api/v1/runs/{id}`. */
  path: string
  operationId: string
  summary: string
  /** `public` needs no key. */
  scope: Scope | 'public'
  params?: z.ZodObject
  query?: z.ZodType
  body?: z.ZodType
  /** Request headers the route reads. */
  headers?: Record<string, string>
  responses: Record<number, ApiResponse>
}

const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema })
const ANY_OBJECT = z.record(z.string(), z.unknown())

/** Every route of the API: the server mounts them, the client calls them, the OpenAPI doc lists them. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: `${API_PREFIX}/backends`,
    operationId: 'listBackends',
    summary: 'Backends this server can run, with capabilities and health',
    scope: 'read',
    responses: { 200: json('The backends', BackendListSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/runs`,
    operationId: 'startRun',
    summary: 'Start a run of a workflow (inline or from the workflows folder)',
    scope: 'write',
    body: StartRunRequestSchema,
    headers: { 'Idempotency-Key': 'A retried POST with the same key and body answers the same run.' },
    responses: {
      202: json('The run was created and starts; `Location` points at it', StartRunResponseSchema),
      429: { description: 'The run queue is full; see `Retry-After`' },
    },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/runs`,
    operationId: 'listRuns',
    summary: 'Runs, newest first, with filters and a cursor',
    scope: 'read',
    query: ListRunsQuerySchema,
    responses: { 200: json('A page of runs', RunPageSchema) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/runs/{id}`,
    operationId: 'getRun',
    summary: 'A run: its summary (usage, cost) and the state of every task',
    scope: 'read',
    params: RunIdParamSchema,
    query: GetRunQuerySchema,
    responses: { 200: json('The run', RunDetailSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/runs/{id}/cancel`,
    operationId: 'cancelRun',
    summary: 'Cancel a run: running tasks are stopped',
    scope: 'write',
    params: RunIdParamSchema,
    body: CancelRunRequestSchema,
    responses: { 200: json('The run after the request', RunResponseSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/runs/{id}/pause`,
    operationId: 'pauseRun',
    summary: 'Pause a run: no new tasks start, running ones are suspended where the backend can',
    scope: 'write',
    params: RunIdParamSchema,
    responses: { 200: json('The run after the request', RunResponseSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/runs/{id}/resume`,
    operationId: 'resumeRun',
    summary: 'Resume a paused run, answer an approval (token, input) or raise its budget',
    scope: 'write',
    params: RunIdParamSchema,
    body: ResumeRunRequestSchema,
    responses: { 200: json('The run after the request', RunResponseSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/runs/{id}/tasks`,
    operationId: 'addTasks',
    summary: 'Add tasks to a live run',
    scope: 'write',
    params: RunIdParamSchema,
    body: AddTasksRequestSchema,
    responses: { 200: json('The run with its new tasks', RunResponseSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/runs/{id}/rerun`,
    operationId: 'rerunRun',
    summary: 'A new run of the same spec that reuses every recorded output not downstream of `from`',
    scope: 'write',
    params: RunIdParamSchema,
    body: RerunRequestSchema,
    responses: { 202: json('The new run was created and starts', StartRunResponseSchema) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/runs/{id}/artifacts`,
    operationId: 'listArtifacts',
    summary: 'The files the run’s tasks produced',
    scope: 'read',
    params: RunIdParamSchema,
    responses: { 200: json('The artifacts, by name', ArtifactListSchema) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/runs/{id}/artifacts/{name}`,
    operationId: 'getArtifact',
    summary: 'Download one artifact (its name URL-encoded as one segment: out%2Freport.md)',
    scope: 'read',
    params: ArtifactParamsSchema,
    responses: {
      200: { description: 'The file, with its content type', contentType: 'application/octet-stream' },
    },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/workflows`,
    operationId: 'listWorkflows',
    summary: 'The workflows of the server’s folder, with their declared inputs, for `workflowName`',
    scope: 'read',
    responses: { 200: json('The workflows', WorkflowListSchema) },
  },
  ...DATAFLOW_ROUTES,
  ...TASK_ROUTES,
  ...AGENT_ROUTES,
  ...SCHEDULE_ROUTES,
  {
    method: 'get',
    path: `${API_PREFIX}/runs/{id}/events`,
    operationId: 'listRunEvents',
    summary: 'A page of a run’s events after a seq, with filters',
    scope: 'read',
    params: RunIdParamSchema,
    query: RunEventsQuerySchema,
    responses: { 200: json('A page of events', EventPageSchema) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/runs/{id}/events/stream`,
    operationId: 'streamRunEvents',
    summary: 'Server-sent events: every event of the run (id = seq), from Last-Event-ID, until it ends',
    scope: 'read',
    params: RunIdParamSchema,
    query: z.strictObject({
      after: z.coerce.number().int().nonnegative().optional(),
      /** `true`: also the live-only text deltas (`agent.delta`, never stored; `id` is the last stored seq). */
      deltas: z.enum(['true', 'false']).optional(),
      /** For `EventSource` in browsers, which cannot set an Authorization header. */
      key: z.string().min(1).max(512).optional(),
    }),
    headers: { 'Last-Event-ID': 'Resume after this seq (set by EventSource on reconnect).' },
    responses: { 200: { description: 'An SSE stream', contentType: 'text/event-stream' } },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/events`,
    operationId: 'queryEvents',
    summary: 'Events across runs, filtered',
    scope: 'read',
    query: QueryEventsSchema,
    responses: { 200: json('Matching events', EventListSchema) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/events/export`,
    operationId: 'exportEvents',
    summary: 'Export events as JSON Lines, CSV or JSON, streamed',
    scope: 'read',
    query: ExportEventsQuerySchema,
    responses: {
      200: {
        description: 'The events in the chosen format (jsonl, csv or json)',
        contentType: 'application/x-ndjson',
      },
    },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/queue`,
    operationId: 'getQueue',
    summary: 'Run and task counts, dispatch state and the queue bound',
    scope: 'read',
    responses: { 200: json('The queue', QueueStatusSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/queue/pause`,
    operationId: 'pauseQueue',
    summary:
      'Stop dispatching new tasks everywhere the store is shared (durable; running tasks finish, submissions are still accepted)',
    scope: 'admin',
    body: PauseQueueRequestSchema,
    responses: { 200: json('The queue', QueueStatusSchema) },
  },
  {
    method: 'post',
    path: `${API_PREFIX}/queue/resume`,
    operationId: 'resumeQueue',
    summary: 'Dispatch again',
    scope: 'admin',
    responses: { 200: json('The queue', QueueStatusSchema) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/ws`,
    operationId: 'websocket',
    summary: 'WebSocket: subscribe to runs’ events and control runs (see WsClientMessage)',
    scope: 'read',
    query: z.strictObject({
      /**
       * `true`: every run subscription of this socket also gets the live-only text deltas
       * (`agent.delta`, never stored; their `seq` is the last stored one), as if each `subscribe`
       * said `deltas: true`.
       */
      deltas: z.enum(['true', 'false']).optional(),
      /** For browsers, which cannot set an Authorization header on a WebSocket. */
      key: z.string().min(1).max(512).optional(),
    }),
    responses: { 101: { description: 'Switching protocols' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    scope: 'public',
    responses: { 200: json('The OpenAPI document', ANY_OBJECT) },
  },
  {
    method: 'get',
    path: `${API_PREFIX}/metrics`,
    operationId: 'getMetrics',
    summary:
      'Metrics as JSON: uptime, runs and tasks by status, task duration (average, p95), queue depth, events per second, tokens and cost by model',
    scope: 'read',
    responses: { 200: json('The metrics', MetricsSummarySchema) },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    scope: 'read',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain; version=0.0.4' } },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    scope: 'public',
    responses: { 200: json('The process answers', HealthSchema) },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    summary: 'Readiness: store open, not shutting down',
    scope: 'public',
    responses: {
      200: json('Ready', ReadinessSchema),
      503: json('Not ready', ReadinessSchema),
    },
  },
]

/** `/api/v1/runs/{id}` → `/api/v1/runs/abc`, encoding each value. */
export function routePath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name]
    if (v === undefined) throw new Error(`missing path parameter ${name} for ${path}`)
    return encodeURIComponent(v)
  })
}
