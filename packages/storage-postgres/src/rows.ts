import type { ArtifactRef, Json, MemoryEntry, RunLease, RunSummary, Signal, WeftEvent } from '@weft/core'

/**
 * The database's clock as an ISO time with milliseconds (`2026-01-02T03:04:05.678Z`), the form
 * every other timestamp of weft has. Times the store stamps (memory, signals, artifacts) come
 * from the server, like lease expiry: the processes sharing the database may be on several
 * machines whose clocks disagree.
 */
export const ISO_NOW = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** A timestamptz column as whole milliseconds since the epoch (truncated, as `new Date(ms)`). */
export const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`

export const EVENT_COLUMNS = 'run_id, seq, ts, type, task_id, attempt, severity, data'
export type EventRow = [
  runId: string,
  seq: number,
  ts: string,
  type: WeftEvent['type'],
  taskId: string | null,
  attempt: number | null,
  severity: WeftEvent['severity'],
  data: string,
]

export function toEvent(r: EventRow): WeftEvent {
  return toRunEvent(r[0], r.slice(1) as unknown as RunEventRow)
}

/** The columns of one run's events, whose id the reader already has. */
export const RUN_EVENT_COLUMNS = 'seq, ts, type, task_id, attempt, severity, data'
export type RunEventRow = EventRow extends [string, ...infer Rest] ? Rest : never

export function toRunEvent(runId: string, r: RunEventRow): WeftEvent {
  const e: Record<string, unknown> = { runId, seq: r[0], ts: r[1], type: r[2] }
  if (r[3] !== null) e.taskId = r[3]
  if (r[4] !== null) e.attempt = r[4]
  e.severity = r[5]
  e.data = JSON.parse(r[6])
  return e as unknown as WeftEvent
}

/** A stored summary with the run's current last seq (the column is the truth, see commit). */
export function toSummary(summary: string, lastSeq: number): RunSummary {
  const s = JSON.parse(summary) as RunSummary
  s.lastSeq = lastSeq
  return s
}

export type LeaseRow = [runId: string, owner: string, expiresMs: number]
export const LEASE_COLUMNS = `run_id, owner, ${epochMs('expires_at')}`

export function toLease(r: LeaseRow): RunLease {
  return { runId: r[0], owner: r[1], expiresAt: new Date(r[2]).toISOString() }
}

export const ARTIFACT_COLUMNS = 'run_id, name, task_id, content_type, size, created_at'
export type ArtifactRow = [
  runId: string,
  name: string,
  taskId: string | null,
  contentType: string | null,
  size: number,
  createdAt: string,
]

export function toArtifactRef(r: ArtifactRow): ArtifactRef {
  return {
    runId: r[0],
    ...(r[2] !== null ? { taskId: r[2] } : {}),
    name: r[1],
    ...(r[3] !== null ? { contentType: r[3] } : {}),
    size: r[4],
    createdAt: r[5],
  }
}

export const MEMORY_COLUMNS = 'scope, key, value, updated_at'
export type MemoryRow = [scope: string, key: string, value: string, updatedAt: string]

export function toMemoryEntry(r: MemoryRow): MemoryEntry {
  return { scope: r[0], key: r[1], value: JSON.parse(r[2]) as Json, updatedAt: r[3] }
}

export const SIGNAL_COLUMNS = 'id, run_id, kind, data, created_at'
export type SignalRow = [
  id: number,
  runId: string,
  kind: Signal['kind'],
  data: string | null,
  createdAt: string,
]

export function toSignal(r: SignalRow): Signal {
  return {
    id: r[0],
    runId: r[1],
    kind: r[2],
    ...(r[3] !== null ? { data: JSON.parse(r[3]) as Json } : {}),
    createdAt: r[4],
  }
}

/** Sorted by UTF-16 code units, as JavaScript compares strings and the other stores list. */
export function byUtf16<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a)
    const y = key(b)
    return x < y ? -1 : x > y ? 1 : 0
  }
}
