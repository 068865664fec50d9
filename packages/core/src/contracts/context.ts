import type { Json, JsonObject } from './json.js'

export const CONTEXT_PIPELINE_SPECIFICATION_VERSION = 'weft.context.v1' as const

export const COMPACTION_STRATEGIES = ['keep-head', 'keep-tail', 'middle-out', 'drop-oldest-source', 'summarize'] as const
export type CompactionStrategy = (typeof COMPACTION_STRATEGIES)[number]

/** One upstream output a task may see. */
export interface UpstreamOutput {
  taskId: string
  /** `tasks.<id>` or a named part of it (`plan.stops`), as selected by `context.from`. */
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
  /** Selected upstream outputs of succeeded tasks, in `from` order. */
  sources: UpstreamOutput[]
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
