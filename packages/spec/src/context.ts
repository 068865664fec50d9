import type { Json, JsonObject } from './json.js'
import type { TaskStatus } from './task.js'

export const CONTEXT_PIPELINE_SPECIFICATION_VERSION = 'weft.context.v1' as const

export const COMPACTION_STRATEGIES = [
  'keep-head',
  'keep-tail',
  'middle-out',
  'drop-oldest-source',
  'summarize',
] as const
export type CompactionStrategy = (typeof COMPACTION_STRATEGIES)[number]

/** A task of the run as the router sees it: only succeeded tasks contribute to a context. */
export interface UpstreamTask {
  status: TaskStatus
  output?: Json
  text?: string
  completedAt?: string
}

/** One upstream output a task may see, as routed from a `context.from` entry. */
export interface UpstreamOutput {
  taskId: string
  /** `tasks.<id>`, or `tasks.<id>.<path>` for a named part of it (`tasks.plan.stops`). */
  label: string
  value: Json
  completedAt?: string
}

export interface ContextRequest {
  runId: string
  taskId: string
  model?: string
  /** The cap: `context.maxTokens`, else the model's window minus room for output. */
  maxTokens: number
  strategy: CompactionStrategy
  /**
   * `context.from` entries (default: the task's direct needs): task ids or parts of their
   * outputs (`plan.stops`, `plan.items[0]`). The pipeline routes them (only succeeded tasks).
   */
  from: string[]
  /** The run's tasks the entries may name (validation keeps them upstream of the task). */
  upstream: Record<string, UpstreamTask>
  /** Run inputs, when the task asks for them (`context.inputs: true`). */
  inputs?: JsonObject
}

export interface ContextTools {
  countTokens(text: string): number
  /** Condenses `text` to about `maxTokens` with a backend call, counted in cost like any other call. */
  summarize(text: string, maxTokens: number): Promise<string>
}

export interface BuiltContext {
  text: string
  tokens: number
  sources: { label: string; tokens: number; truncated?: boolean; dropped?: boolean; summarized?: boolean }[]
}

export interface ContextResult {
  context: BuiltContext
  /** `from` entries left out because their task did not succeed. */
  skipped?: { entry: string; reason: string }[]
  /** Present when the sources did not fit under the cap. */
  compaction?: { strategy: CompactionStrategy; beforeTokens: number; afterTokens: number; dropped: string[] }
}

/**
 * Builds each task's context from its upstream outputs and compacts it to a token cap.
 * Implemented by `@weft/context`.
 */
export interface ContextPipeline {
  specificationVersion: typeof CONTEXT_PIPELINE_SPECIFICATION_VERSION
  build(request: ContextRequest, tools: ContextTools): Promise<ContextResult>
}
