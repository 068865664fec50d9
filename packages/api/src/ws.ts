import { WeftEventSchema } from '@weft/core/contracts'
import { z } from 'zod'
import { ApiErrorBodySchema } from './errors.js'
import { ResumeRunRequestSchema } from './runs.js'

/**
 * The WebSocket protocol at `/api/v1/ws` (JSON text frames). Authenticate with the
 * `Authorization: Bearer <key>` header, or `?key=` where a browser cannot set headers.
 * Every client message may carry an `id`; the answer (`ack` or `error`) echoes it.
 */
const id = z.union([z.string().max(128), z.number()]).optional()
const runRef = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/)

export const WsClientMessageSchema = z.discriminatedUnion('type', [
  /**
   * Live events of one run (`runId`) or of all runs (no `runId`). With `after` and a `runId`, the
   * stored events after that seq are sent first, then live ones, without gap or duplicate.
   */
  z.strictObject({
    type: z.literal('subscribe'),
    id,
    runId: runRef.optional(),
    after: z.number().int().min(0).optional(),
    /**
     * Also the live-only text deltas (`agent.delta`) of the subscribed run(s), as SSE's
     * `?deltas=true`: never stored nor replayed; a delta's `seq` is the last stored event's, so
     * resuming with `after` is unaffected. Default: the socket's `?deltas=` (false).
     */
    deltas: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), id, runId: runRef.optional() }),
  z.strictObject({ type: z.literal('cancel'), id, runId: runRef, reason: z.string().max(1000).optional() }),
  z.strictObject({ type: z.literal('pause'), id, runId: runRef }),
  z.strictObject({ type: z.literal('resume'), id, runId: runRef, ...ResumeRunRequestSchema.shape }),
  z.strictObject({ type: z.literal('ping'), id }),
  /**
   * A dataflow execution's events (`dataflow.event`), its metrics every second (`dataflow.metrics`)
   * and, with `portEmits`, every hop a message takes (`dataflow.port_emit`, coalesced: at most
   * `DATAFLOW_WS_LIMITS.maxPortEmitsPerBatch` per batch and one batch per 100 ms, the rest counted
   * in `dropped`).
   */
  z.strictObject({
    type: z.literal('dataflow.subscribe'),
    id,
    executionId: runRef,
    portEmits: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal('dataflow.unsubscribe'), id, executionId: runRef }),
])
export type WsClientMessage = z.infer<typeof WsClientMessageSchema>

export const WsServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: WeftEventSchema }),
  /** The answer to a client message; `run` after a control message. */
  z.object({ type: z.literal('ack'), id, run: z.unknown().optional() }),
  z.object({ type: z.literal('error'), id, error: ApiErrorBodySchema.shape.error }),
  z.object({ type: z.literal('pong'), id }),
  /** Sent before the server closes the socket (shutdown). */
  z.object({ type: z.literal('bye'), reason: z.string() }),
  z.object({
    type: z.literal('dataflow.event'),
    executionId: z.string(),
    event: z.object({ type: z.string(), ts: z.string() }).passthrough(),
  }),
  z.object({
    type: z.literal('dataflow.metrics'),
    executionId: z.string(),
    metrics: z.unknown(),
    /** Events not sent since the last metrics (past `maxEventsPerSecond`, e.g. a logger node's flood). */
    droppedEvents: z.number().optional(),
  }),
  z.object({
    type: z.literal('dataflow.port_emit'),
    executionId: z.string(),
    items: z.array(
      z.object({
        messageId: z.string(),
        source: z.string(),
        target: z.string(),
        sequence: z.number(),
        timestamp: z.number(),
        value: z.unknown(),
      }),
    ),
    /** Hops not sent since the last batch (the client's share is bounded). */
    dropped: z.number(),
  }),
])

/** How much dataflow traffic one WebSocket client gets. */
export const DATAFLOW_WS_LIMITS = {
  maxPortEmitsPerBatch: 200,
  batchIntervalMs: 100,
  metricsIntervalMs: 1000,
  maxEventsPerSecond: 500,
} as const
export type WsServerMessage = z.infer<typeof WsServerMessageSchema>

/** Close codes the server uses besides the standard ones. */
export const WS_CLOSE_CODES = {
  /** Normal end (the server is shutting down: 1001 "going away"). */
  goingAway: 1001,
  /** A message was not valid JSON or not a known message, too often. */
  policyViolation: 1008,
  /** The client read too slowly: its send queue passed the bound and it was dropped. */
  tooSlow: 4008,
  unauthorized: 4001,
  forbidden: 4003,
} as const

/** SSE: `event:` is the weft event type, `id:` its seq, `data:` the event as JSON. */
export const SSE_HEARTBEAT_COMMENT = ': heartbeat'
/** The SSE event sent after the terminal event, before the stream ends. */
export const SSE_END_EVENT = 'end'
