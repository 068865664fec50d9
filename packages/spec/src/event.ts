import { z } from 'zod'
import type { Diagnostic } from './diagnostic.js'
import type { Json, JsonObject } from './json.js'
import { JsonSchema } from './json.js'
import type { PauseInfo, RunStatus } from './run.js'
import { type ErrorInfo, ErrorInfoSchema } from './task.js'
import type { TraceContext } from './trace.js'
import type { Usage } from './usage.js'

/**
 * The one record of everything that happens. The log is append-only, `seq` is per run, gapless and
 * starts at 1, and a run's state can be rebuilt from its events.
 */
export const EVENT_TYPES = [
  'run.created',
  'run.started',
  'run.paused',
  'run.resumed',
  'run.canceling',
  'run.succeeded',
  'run.failed',
  'run.canceled',
  'run.recovered',
  'run.compensating',
  'task.added',
  'task.mapped',
  'task.queued',
  'task.started',
  'task.retry_scheduled',
  'task.interrupted',
  'task.process_started',
  'task.waiting',
  'task.approved',
  'task.rejected',
  'task.succeeded',
  'task.failed',
  'task.canceled',
  'task.skipped',
  'task.reused',
  'compensation.started',
  'compensation.succeeded',
  'compensation.failed',
  'compensation.canceled',
  'agent.message',
  'agent.delta',
  'tool.started',
  'tool.finished',
  'usage.recorded',
  'budget.exceeded',
  'context.built',
  'context.compacted',
  'diagnostic',
  'log',
] as const
export const EventTypeSchema = z.enum(EVENT_TYPES)
export type EventType = z.infer<typeof EventTypeSchema>

/** The event types a pattern names: one type (`task.failed`) or a family (`task.*`); [] for neither. */
export function eventTypesMatching(pattern: string): EventType[] {
  return pattern.endsWith('.*')
    ? EVENT_TYPES.filter((t) => t.startsWith(pattern.slice(0, -1)))
    : EVENT_TYPES.filter((t) => t === pattern)
}

/** Live-only event types: delivered to followers but never persisted one by one. */
export const EPHEMERAL_EVENT_TYPES: ReadonlySet<EventType> = new Set(['agent.delta'])

export const SeveritySchema = z.enum(['debug', 'info', 'warn', 'error'])
export type Severity = z.infer<typeof SeveritySchema>

export const WeftEventSchema = z.object({
  runId: z.string(),
  /** Per-run sequence number, gapless from 1. Ephemeral events carry the seq of the last stored event. */
  seq: z.number().int().nonnegative(),
  ts: z.string(),
  type: EventTypeSchema,
  taskId: z.string().optional(),
  attempt: z.number().int().positive().optional(),
  severity: SeveritySchema,
  data: z.record(z.string(), z.unknown()),
})

export const CompensatingDataSchema = z.object({
  tasks: z.array(z.string()),
  outcome: z.enum(['failed', 'canceled']),
  error: ErrorInfoSchema.optional(),
  reason: z.string().optional(),
})
export type CompensatingData = z.infer<typeof CompensatingDataSchema>

/** The data of the compensation events, checked where they are read back (`compensation.*`). */
export const CompensationEventDataSchemas = {
  'run.compensating': CompensatingDataSchema,
  'compensation.started': z.object({ backend: z.string() }),
  'compensation.succeeded': z.object({ output: JsonSchema.optional(), durationMs: z.number() }),
  'compensation.failed': z.object({ error: ErrorInfoSchema, durationMs: z.number().optional() }),
  'compensation.canceled': z.object({ reason: z.string() }),
} as const

/** The data each event type carries. */
export interface EventDataMap {
  'run.created': {
    name: string
    source?: string
    inputs: JsonObject
    taskIds: string[]
    diagnostics: Diagnostic[]
    /** The trace the run was started in (`RunSpec.trace`). */
    trace?: TraceContext
    /** A subworkflow's run: the run and task that started it (`RunSpec.parent`). */
    parent?: { runId: string; taskId: string }
  }
  'run.started': { maxParallelism: number; mode: string }
  'run.paused': PauseInfo
  'run.resumed': { reason: string; token?: string; taskId?: string }
  'run.canceling': { reason: string }
  'run.succeeded': { outputs: JsonObject; usage: Usage; durationMs: number }
  'run.failed': { error: ErrorInfo; usage: Usage; durationMs: number }
  'run.canceled': { reason: string; usage: Usage; durationMs: number }
  'run.recovered': {
    owner: string
    interrupted: string[]
    kept: string[]
    previousOwner?: string
    /** The workflow's name and the trace the run was started in (`RunSpec.trace`), for trace sinks. */
    name?: string
    trace?: TraceContext
  }
  /**
   * The run did not succeed and the compensations of its succeeded tasks run now, in `tasks` order
   * (reverse order of completion). `outcome` (with `error` or `reason`) is how the run ends after them.
   */
  'run.compensating': CompensatingData
  /** `attempt` (of the event) counts the starts: 2 when a crash interrupted the first one. */
  'compensation.started': { backend: string }
  'compensation.succeeded': { output?: Json; durationMs: number }
  'compensation.failed': { error: ErrorInfo; durationMs?: number }
  /** A cancel of a run already canceling aborted the compensations (this one, or before it started). */
  'compensation.canceled': { reason: string }
  /** `parent`, `index`, `item`: a map item, added when its mapped task expanded. */
  'task.added': {
    needs: string[]
    priority: number
    backend?: string
    dynamic?: boolean
    parent?: string
    index?: number
    item?: Json
  }
  /** A mapped task rendered its list: one item task each was added after this event. */
  'task.mapped': { items: number }
  /** A rerun reuses the recorded output of a task of an earlier run instead of running it. */
  'task.reused': { fromRunId: string; output?: Json; text?: string }
  'task.queued': Record<string, never>
  /** `estimate`: what the attempt was estimated to use (budget pre-check), counted in `estimated`. */
  'task.started': {
    backend?: string
    model?: string
    /** The prompt as rendered and sent (context included), cut at 16 KiB (`promptTruncated`). */
    prompt?: string
    promptTruncated?: boolean
    sessionId?: string
    estimate?: { inputTokens: number; outputTokens: number; costUsd?: number; model?: string }
  }
  'task.retry_scheduled': { error: ErrorInfo; delayMs: number; nextAttempt: number; maxAttempts: number }
  /** The attempt's process died or shut down before it finished; the task runs again. */
  'task.interrupted': { reason: string; sessionId?: string }
  /** The attempt started an OS process group (recorded in the task's `processes`). */
  'task.process_started': { host: string; pid: number; pgid: number; startTime?: string }
  'task.waiting': { token: string; message: string }
  /** `by`: who answered (an API key's name, `cli:<user>`); `timedOut`: `approval.onTimeout: approve`. */
  'task.approved': { token: string; input?: Json; via?: string; by?: string; timedOut?: boolean }
  /** The gate was rejected: it fails, or its `onReject` tasks run instead of its other dependents. */
  'task.rejected': { token: string; reason: string; via?: string; by?: string; timedOut?: boolean }
  'task.succeeded': { output?: Json; text?: string; durationMs: number; usage?: Usage; sessionId?: string }
  'task.failed': { error: ErrorInfo; durationMs?: number; attempts: number }
  'task.canceled': { reason: string }
  'task.skipped': { reason: string }
  'agent.message': { role: 'assistant' | 'user' | 'system'; text: string }
  'agent.delta': { text: string }
  'tool.started': { toolId: string; name: string; input?: Json }
  'tool.finished': { toolId: string; name: string; output?: Json; error?: string }
  /** `costUsd` is what counts: the backend's own figure when it reports one, else the catalog's. */
  'usage.recorded': Usage & {
    model?: string
    backend?: string
    reportedCostUsd?: number
    computedCostUsd?: number
    /** Not the task's own work: a context summary (`summarize`), or its compensation (`compensate`). */
    purpose?: 'summarize' | 'compensate'
  }
  'budget.exceeded': JsonObject
  'context.built': JsonObject
  'context.compacted': JsonObject
  diagnostic: Diagnostic
  log: { message: string; stream?: 'stdout' | 'stderr'; fields?: JsonObject }
}

interface EventBase<T extends EventType> {
  runId: string
  seq: number
  ts: string
  type: T
  taskId?: string
  attempt?: number
  severity: Severity
  data: EventDataMap[T]
}

/** The event union: `event.type` narrows `event.data`. */
export type WeftEvent = { [T in EventType]: EventBase<T> }[EventType]

/** An event before the store gives it its `seq` (and the runtime its `runId` and `ts`). */
export type EventDraft = {
  [T in EventType]: { type: T; taskId?: string; attempt?: number; severity?: Severity; data: EventDataMap[T] }
}[EventType]

export const RUN_TERMINAL_EVENT: Record<'succeeded' | 'failed' | 'canceled', EventType> = {
  succeeded: 'run.succeeded',
  failed: 'run.failed',
  canceled: 'run.canceled',
}

export function isRunStatusEvent(type: EventType): boolean {
  return type.startsWith('run.')
}

export type { RunStatus }
