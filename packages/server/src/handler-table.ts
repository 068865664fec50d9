/**
 * The handler of every route of `API_ROUTES`, by `operationId`: each concern's handler module,
 * the WebSocket upgrade, and the Prometheus text with the dataflow executions' metrics added.
 */
import { API_ROUTES } from '@weft/api'
import type { Runtime } from '@weft/core'
import { formatPrometheus } from '@weft/dataflow'
import { createAgentHandlers } from './agent-handlers.js'
import { createDataflowHandlers } from './dataflow-handlers.js'
import type { DataflowService } from './dataflow-service.js'
import { createHandlers, type Handler } from './handlers.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import type { PolicyGate } from './policy.js'
import { createQueueHandlers } from './queue-handlers.js'
import { createRunExtraHandlers } from './run-extras.js'
import { createScheduleHandlers } from './schedules.js'
import type { ServerOptions } from './server-options.js'
import type { SseClient } from './sse.js'
import type { RunLimits, RunStarter } from './start-run.js'
import { createTaskHandlers } from './task-handlers.js'
import { createWebSocketHandler } from './websocket-route.js'
import type { WorkflowParser } from './workflow-parser.js'
import type { WsClient } from './ws.js'

export interface HandlerTableDeps {
  runtime: Runtime
  options: ServerOptions
  metrics: ServerMetrics
  logger: Logger
  version: string
  starter: RunStarter
  parser: WorkflowParser
  policy: PolicyGate
  limits: RunLimits
  dataflow: DataflowService
  /** Open SSE streams and WebSocket clients: `close()` ends them. */
  sseClients: Set<SseClient>
  wsClients: Set<WsClient>
  /** Streams (exports) still writing: `close()` waits for them. */
  track(work: Promise<unknown>): void
  isClosing(): boolean
}

export function createHandlerTable(deps: HandlerTableDeps): Record<string, Handler> {
  const { runtime, options, metrics, logger, version, starter, parser, policy, limits, dataflow } = deps
  const handlers = {
    ...createDataflowHandlers(dataflow),
    ...createTaskHandlers({ runtime, starter }),
    ...createQueueHandlers({
      runtime,
      logger,
      ...(options.maxQueuedRuns !== undefined ? { maxQueuedRuns: options.maxQueuedRuns } : {}),
    }),
    ...createAgentHandlers(runtime),
    ...createScheduleHandlers({
      runtime,
      parser,
      policy,
      limits,
      ...(options.workflowsDir !== undefined ? { workflowsDir: options.workflowsDir } : {}),
    }),
    ...createRunExtraHandlers({
      runtime,
      parser,
      limits,
      ...(options.workflowsDir !== undefined ? { workflowsDir: options.workflowsDir } : {}),
    }),
    ...createHandlers({
      runtime,
      metrics,
      logger,
      starter,
      policy,
      version,
      ...(options.maxQueuedRuns !== undefined ? { maxQueuedRuns: options.maxQueuedRuns } : {}),
      sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
      healthTimeoutMs: options.backendHealthTimeoutMs ?? 5000,
      sseClients: deps.sseClients,
      track: deps.track,
      isClosing: deps.isClosing,
    }),
  }
  handlers.websocket = createWebSocketHandler({
    runtime,
    metrics,
    logger,
    dataflow,
    clients: deps.wsClients,
    options,
    isClosing: deps.isClosing,
  })
  // Prometheus: the live dataflow executions' per-node metrics after the runtime's.
  const runtimeMetrics = handlers.metrics!
  handlers.metrics = async (input) => {
    const res = await runtimeMetrics(input)
    const live = dataflow.executions()
    if (live.length === 0) return res
    const text = `${await res.text()}${formatPrometheus(live.map((e) => ({ id: e.id, graph: e.graph, state: e.state, metrics: e.metrics() })))}`
    return input.c.body(text, 200, { 'Content-Type': res.headers.get('content-type') ?? 'text/plain' })
  }
  assertHandlersMatchRoutes(handlers)
  return handlers
}

function assertHandlersMatchRoutes(handlers: Record<string, Handler>): void {
  const ops = new Set(API_ROUTES.map((r) => r.operationId))
  for (const op of ops)
    if (!handlers[op]) throw new Error(`@weft/server has no handler for the route '${op}'`)
  for (const op of Object.keys(handlers))
    if (!ops.has(op)) throw new Error(`@weft/server handles '${op}', which API_ROUTES does not list`)
}
