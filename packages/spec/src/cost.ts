import { z } from 'zod'
import type { Usage } from './usage.js'

export const COST_MODEL_SPECIFICATION_VERSION = 'weft.cost.v1' as const

/** Prices are USD per million tokens. */
export const ModelInfoSchema = z.strictObject({
  id: z.string().min(1),
  provider: z.string().min(1),
  /** Other names the same model answers to (dated snapshots, short names). */
  aliases: z.array(z.string()).default([]),
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  /** Default: the input price. */
  cacheReadPerMTok: z.number().nonnegative().optional(),
  /** Default: the input price. */
  cacheWritePerMTok: z.number().nonnegative().optional(),
  /** Default: the output price (reasoning tokens are billed as output by these providers). */
  reasoningPerMTok: z.number().nonnegative().optional(),
  contextWindow: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  /** Which tokenizer counts its tokens (e.g. `o200k_base`), or `heuristic`. */
  tokenizer: z.string().optional(),
})
export type ModelInfo = z.infer<typeof ModelInfoSchema>
export type ModelInfoInput = z.input<typeof ModelInfoSchema>

export interface CostEstimate {
  inputTokens: number
  outputTokens: number
  /** Undefined when the model is unknown: an unknown cost, never a silent zero. */
  costUsd?: number
  model?: string
}

/**
 * Tokens and money. Implemented by `@weft/cost`; the runtime uses it to estimate each task before
 * it runs (budget pre-check) and to price what it used.
 */
export interface CostModel {
  specificationVersion: typeof COST_MODEL_SPECIFICATION_VERSION
  /** The model's prices and limits, by id or alias; undefined when unknown. */
  model(id: string): ModelInfo | undefined
  models(): ModelInfo[]
  /** Tokens of `text` for `model` (a real tokenizer where one fits). Non-empty text is never 0. */
  countTokens(text: string, model?: string): number
  /** USD for this usage, or undefined when the model is unknown. */
  cost(usage: Usage, model?: string): number | undefined
  /** The expected usage of a call before it runs. */
  estimate(input: { text: string; model?: string; expectedOutputTokens?: number }): CostEstimate
}
