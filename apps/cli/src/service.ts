import type {
  BackendCapabilities,
  BackendHealth,
  BudgetSpec,
  Diagnostic,
  EventType,
  Json,
  Locator,
  Page,
  RunStatus,
  RunSummary,
  SchedulingMode,
  Severity,
  TaskState,
  WeftEvent,
} from '@weft/core'
import type { ExportFormat } from '@weft/export'

/** Which events `events query` / `events export` want (built from their flags). */
export interface EventFilter {
  runId?: string
  types?: EventType[]
  taskId?: string
  severities?: Severity[]
  since?: string
  until?: string
}

/** A workflow file as `weft run` read it. */
export interface WorkflowDocument {
  /** As the user typed it (diagnostics name it so). */
  file: string
  /** Absolute. */
  path: string
  /** The text, for the server: it parses it again, so its diagnostics keep their line numbers. */
  text: string
  value: unknown
  locate: Locator
}

/** Inputs and per-run overrides of `weft run`. */
export interface StartRequest {
  inputs: Record<string, Json>
  backend?: string
  maxParallelism?: number
  mode?: SchedulingMode
  failFast?: boolean
  budget?: BudgetSpec
  strict?: boolean
  /** Record the run for a `weft worker` to run, instead of running it here (a shared store). */
  detach?: boolean
}

/** A file a task produced (`ArtifactRef`). */
export interface ArtifactEntry {
  name: string
  taskId?: string
  contentType?: string
  size: number
  createdAt: string
}

export interface BackendReport {
  id: string
  label: string
  capabilities: BackendCapabilities
  /** Absent when the backend has no healthcheck. */
  health?: BackendHealth
}

/**
 * What the commands do with runs, wherever the runs are: in this process's runtime on the local
 * store (`local-service.ts`), or on a weft server over HTTP (`remote-service.ts`, `--server`).
 * Each command has one code path over this, so both modes print the same and exit the same.
 */
export interface RunService {
  readonly kind: 'local' | 'remote'
  /** A local store shared with `weft worker` processes (Postgres): `--detach` only records the run. */
  readonly sharedQueue?: boolean
  /** On a shared store: how many workers are up and claiming (starting, idle or busy). */
  liveWorkers?(): Promise<number>
  /** Where the runs are, for messages: `this store`, `the server at http://…`. */
  readonly where: string
  /** Arguments printed commands need to reach the same runs (`--store PATH`, `--server URL`). */
  readonly extraArgs?: string
  get(runId: string): Promise<RunSummary | undefined>
  tasks(runId: string): Promise<TaskState[]>
  list(filter: { limit: number; status?: RunStatus[] }): Promise<Page<RunSummary>>
  /**
   * The stored events after `after`; with `follow`, then live ones until the run finishes, and
   * with `deltas` also the live-only text deltas (`agent.delta`) as backends stream them.
   */
  events(
    runId: string,
    options: { after?: number; follow?: boolean; deltas?: boolean; signal?: AbortSignal },
  ): AsyncIterable<WeftEvent>
  /**
   * Checks a workflow before it starts, so that every problem is listed and nothing is stored.
   * The server checks when the run starts (`start` throws `workflow_invalid` with the diagnostics).
   */
  validate(doc: WorkflowDocument, request: StartRequest): { ok: boolean; diagnostics: Diagnostic[] }
  /** Starts a run; throws `workflow_invalid` (with every diagnostic) when the workflow is invalid. */
  start(doc: WorkflowDocument, request: StartRequest): Promise<RunSummary>
  /** Resolves when the run finished, or is paused with nothing running. */
  wait(runId: string, options?: { signal?: AbortSignal }): Promise<RunSummary>
  cancel(runId: string, reason: string): Promise<RunSummary>
  pause(runId: string): Promise<RunSummary>
  /** `reject`: the reason an approval is rejected; `by`: who answers (a server records its key's name). */
  resume(
    runId: string,
    options: { token?: string; input?: Json; reject?: string; by?: string; budget?: BudgetSpec },
  ): Promise<RunSummary>
  /** A new run of the same spec that reuses every recorded output not `from` or downstream of it. */
  rerun(runId: string, from: string): Promise<RunSummary>
  /** The run a rerun came from, and the task it started again from; undefined for other runs. */
  rerunOf(runId: string): Promise<{ runId: string; from: string } | undefined>
  queryEvents(filter: EventFilter, limit: number): Promise<WeftEvent[]>
  /** The files the run's tasks produced; a store without artifacts throws `store_unsupported`. */
  artifacts(runId: string): Promise<ArtifactEntry[]>
  /** One artifact, or undefined when the run has none of that name. */
  artifact(runId: string, name: string): Promise<{ contentType?: string; data: Uint8Array } | undefined>
  /** Streams the log to `out` (not ended) in `format`; the counts are for the closing message. */
  exportEvents(
    filter: EventFilter & { signal?: AbortSignal },
    format: ExportFormat,
    out: NodeJS.WritableStream,
  ): Promise<{ events: number; runs: number }>
  backends(): Promise<BackendReport[]>
  /**
   * SIGTERM while following a run: locally the runtime shuts down and hands the run over (a later
   * `weft runs recover` continues it); remotely the server keeps running it. Resolves with what to
   * tell the user.
   */
  stopFollowing(runId: string | undefined, graceMs: number): Promise<string>
  close(): Promise<void>
}
