import type { ArtifactRef, Json, MemoryEntry, RunLease, Signal, WeftEvent } from '@weft/core'

/** The rows of the store's tables as the driver reads them, and how each becomes a contract value. */

/** The columns of a task row, in `tasks` and in the journal alike: the state as JSON, with the ones that are indexed or filtered. */
export const TASK_COLUMNS = 'run_id, task_id, ord, status, state'

export const EVENT_COLUMNS = 'run_id, seq, ts, type, task_id, attempt, severity, data'

export interface EventRow {
  run_id: string
  seq: number
  ts: string
  type: WeftEvent['type']
  task_id: string | null
  attempt: number | null
  severity: WeftEvent['severity']
  data: string
}

export function toEvent(r: EventRow): WeftEvent {
  return {
    runId: r.run_id,
    seq: r.seq,
    ts: r.ts,
    type: r.type,
    ...(r.task_id !== null ? { taskId: r.task_id } : {}),
    ...(r.attempt !== null ? { attempt: r.attempt } : {}),
    severity: r.severity,
    data: JSON.parse(r.data),
  } as WeftEvent
}

/** Whole milliseconds (the column is an INTEGER), truncated as `new Date(ms)` would. */
export function expiryFrom(now: number, ttlMs: number): number {
  return Math.floor(now + ttlMs)
}

export interface LeaseRow {
  run_id: string
  owner: string
  /** Milliseconds since the epoch. */
  expires_at: number
}

export function toLease(r: LeaseRow): RunLease {
  return { runId: r.run_id, owner: r.owner, expiresAt: new Date(r.expires_at).toISOString() }
}

export interface IdempotencyRow {
  key: string
  body_hash: string
  owner: string | null
  expires_at: number | null
  run_id: string | null
}

export const ARTIFACT_COLUMNS = 'run_id, name, task_id, content_type, size, created_at'

export interface ArtifactRow {
  run_id: string
  name: string
  task_id: string | null
  content_type: string | null
  size: number
  created_at: string
}

export function toArtifactRef(r: ArtifactRow): ArtifactRef {
  return {
    runId: r.run_id,
    ...(r.task_id !== null ? { taskId: r.task_id } : {}),
    name: r.name,
    ...(r.content_type !== null ? { contentType: r.content_type } : {}),
    size: r.size,
    createdAt: r.created_at,
  }
}

export const MEMORY_COLUMNS = 'scope, key, value, updated_at'

export interface MemoryRow {
  scope: string
  key: string
  value: string
  updated_at: string
}

export function toMemoryEntry(r: MemoryRow): MemoryEntry {
  return { scope: r.scope, key: r.key, value: JSON.parse(r.value) as Json, updatedAt: r.updated_at }
}

export interface SignalRow {
  id: number
  run_id: string
  kind: Signal['kind']
  data: string | null
  created_at: string
}

export function toSignal(r: SignalRow): Signal {
  return {
    id: r.id,
    runId: r.run_id,
    kind: r.kind,
    ...(r.data !== null ? { data: JSON.parse(r.data) as Json } : {}),
    createdAt: r.created_at,
  }
}
