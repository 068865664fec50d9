import type { z } from 'zod'
import type { BackendErrorCode } from './errors.js'
import type { Json, JsonObject } from './json.js'
import type { TraceContext } from './trace.js'
import type { Usage } from './usage.js'
import type { RetryPolicy } from './workflow.js'

export const BACKEND_SPECIFICATION_VERSION = 'weft.backend.v1' as const

/** What a backend can do. Honest values: the scheduler and the UI rely on them. */
export interface BackendCapabilities {
  /** Emits text deltas while it runs. */
  streaming: boolean
  /** Emits messages, tool calls or usage while it runs. */
  events: boolean
  /** Stops promptly when `ctx.signal` aborts. */
  cancel: boolean
  /** Implements `pause`/`resume` of a running task (e.g. SIGSTOP/SIGCONT). */
  pause: boolean
  /** Can continue an earlier session given `request.sessionId`. */
  resumeSession: boolean
  /** Reports token usage. */
  usage: boolean
  /** Runs tools (agent CLIs). */
  tools: boolean
}

/** Everything a backend needs to run one attempt of a task; templates are already rendered. */
export interface TaskRequest {
  runId: string
  taskId: string
  attempt: number
  prompt?: string
  input?: Json
  model?: string
  /** The task's `with`, parsed by the backend's `optionsSchema` when it has one. */
  options: JsonObject
  /** Outputs of the upstream tasks this task may see, by task id. */
  upstream: Record<string, { output?: Json; text?: string }>
  timeoutMs?: number
  /** Session of an earlier attempt, for backends that can resume one. */
  sessionId?: string
  /**
   * The task's context built from its upstream outputs, compacted to its cap. When the task
   * declares `context:`, the runtime also puts it in front of the prompt (unless the prompt
   * places it with `${{ context }}`).
   */
  context?: { text: string; tokens: number }
  /** Memory the task can read: its run's, and its agent profile's when it has one. */
  memory?: { run: JsonObject; agent?: JsonObject }
  /**
   * The trace this call belongs to, when the runtime has a trace sink that follows backend calls.
   * Pass it on: `TRACEPARENT`/`TRACESTATE` in a subprocess's environment, `traceparent`/`tracestate`
   * headers on an HTTP request (`traceEnv`, `traceHeaders` of `@weft/plugin-kit`).
   */
  trace?: TraceContext
}

/** Events a backend reports while it runs. The runtime turns them into stored events. */
export type BackendEvent =
  | { type: 'message'; role?: 'assistant' | 'user' | 'system'; text: string }
  | { type: 'delta'; text: string }
  | { type: 'tool_start'; toolId: string; name: string; input?: Json }
  | { type: 'tool_end'; toolId: string; name: string; output?: Json; error?: string }
  | ({ type: 'usage'; model?: string } & Partial<Usage>)
  | { type: 'session'; sessionId: string }
  /**
   * The attempt started an OS process group (a subprocess backend). The runtime records it in the
   * task's state, so that recovery after a crash can end a group that outlived its owner before
   * the next attempt starts. `startTime` identifies the leader beyond its pid (on Linux the start
   * time in clock ticks from /proc/<pid>/stat), so a reused pid is never mistaken for it.
   */
  | { type: 'process'; pid: number; pgid: number; startTime?: string }
  /** The attempt started a linked run (a subworkflow): recorded as the task's `childRunId`. */
  | { type: 'child_run'; runId: string; workflow: string }
  | {
      type: 'log'
      level?: 'debug' | 'info' | 'warn' | 'error'
      message: string
      stream?: 'stdout' | 'stderr'
    }

export interface BackendLogger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

export interface TaskContext {
  runId: string
  taskId: string
  attempt: number
  /** Aborts on cancel, on the task's timeout and on the run's timeout; `signal.reason` says which. */
  signal: AbortSignal
  emit(event: BackendEvent): void
  log: BackendLogger
  /** The directory the task runs in (the runtime's working directory unless configured). */
  workDir: string
}

export interface TaskResult {
  /** The task's output: any JSON value, the thing `${{ tasks.<id>.output }}` refers to. */
  output?: Json
  /** A plain-text rendering of the output, when it differs. */
  text?: string
  usage?: Partial<Usage> & { model?: string }
  sessionId?: string
  artifacts?: { name: string; path?: string; contentType?: string }[]
  /** Memory to write: keys set to null are deleted. Kept in the store with the task's completion. */
  memory?: { run?: JsonObject; agent?: JsonObject }
}

export interface BackendHealth {
  ok: boolean
  /** e.g. the CLI's version, "key present", "endpoint reachable". */
  details?: string
  version?: string
}

/**
 * An execution backend. Implementations live in their own packages and depend on `@weft/core`
 * as a peer. Failures are thrown as `BackendError` with a code and `retryable`.
 */
export interface Backend {
  specificationVersion: typeof BACKEND_SPECIFICATION_VERSION
  /** The name workflows use in `backend:`. */
  id: string
  label: string
  capabilities: BackendCapabilities
  /** Validates `with`. Errors are reported at validation time with the task's path. */
  optionsSchema?: z.ZodType
  /**
   * Fields of `with` that hold a command (a program and its arguments, or a command line). Validation
   * refuses a command taken from an input there unless the workflow opts in (`allowInputCommands`).
   */
  commandFields?: readonly string[]
  /** Used when neither the run nor the workflow sets a retry policy. */
  retry?: RetryPolicy
  /**
   * The `BackendError` codes `execute` may throw, when the backend knows them all. Validation then
   * warns about a `retry.on` that names a failure this backend never reports (`exit_code` on a
   * backend that runs no process). Leave it out when unsure: nothing is checked then.
   */
  errorCodes?: readonly BackendErrorCode[]
  execute(request: TaskRequest, ctx: TaskContext): Promise<TaskResult>
  /**
   * What this request will use, when the backend knows better than a token count (a scripted
   * mock knows exactly). The runtime uses it for the budget pre-check.
   */
  estimate?(request: TaskRequest): Partial<Usage> | undefined
  healthcheck?(): Promise<BackendHealth>
  /**
   * Suspends the running attempt of `ctx` (e.g. SIGSTOP). May be called before `execute` has
   * started its work (a run paused while the attempt was starting): remember it and apply it.
   */
  pause?(ctx: TaskContext): Promise<void>
  /** Continues an attempt suspended by `pause` (e.g. SIGCONT). */
  resume?(ctx: TaskContext): Promise<void>
  dispose?(): Promise<void>
}
