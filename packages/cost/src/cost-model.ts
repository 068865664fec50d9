import {
  COST_MODEL_SPECIFICATION_VERSION,
  type CostEstimate,
  type CostModel,
  type ModelInfoInput,
  type Usage,
  WeftError,
} from '@weft/core'
import { CATALOG } from './catalog/models.js'
import { mergeModels } from './merge-models.js'
import { ModelIndex } from './model-index.js'
import { parseModels } from './parse-models.js'
import { priceUsage } from './price-usage.js'
import { countTokensFor } from './tokens/count-tokens.js'

/**
 * Output tokens assumed for a call whose expected output is not given: about a page of text. An
 * estimate feeds the budget pre-check, so it should be a plausible reply, not a worst case (a
 * model's max output, 64K–128K tokens, would block every task of a modest budget).
 */
export const DEFAULT_OUTPUT_TOKENS = 500

export interface CostModelOptions {
  /**
   * Models to add, or to replace catalog entries with the same id (the whole entry is replaced).
   * Validated with `ModelInfoSchema`; `loadModelsFile` reads them from YAML or JSON.
   */
  models?: ModelInfoInput[]
  /**
   * Where `models` came from, named in errors (e.g. the config file's path when the CLI passes
   * its `models:` list). Default: `createCostModel`.
   */
  source?: string
  /** Output tokens an estimate assumes when the caller gives none. Default: 500. */
  defaultOutputTokens?: number
}

/**
 * A `CostModel` over the built-in catalog (`CATALOG`) plus `options.models`. Pass it to
 * `createRuntime({ cost })`.
 *
 * An unknown model has no price: `model()` and `cost()` return undefined and an estimate has no
 * `costUsd`, never 0, so a budget is never passed by a model nobody priced.
 */
export function createCostModel(options: CostModelOptions = {}): CostModel {
  const where = options.source ?? 'createCostModel'
  const user = options.models === undefined ? [] : parseModels(options.models, where)
  const index = new ModelIndex(mergeModels(CATALOG.models, user, where))
  const defaultOutputTokens = options.defaultOutputTokens ?? DEFAULT_OUTPUT_TOKENS
  if (!Number.isInteger(defaultOutputTokens) || defaultOutputTokens < 0) {
    throw new WeftError('config_invalid', `${where}: defaultOutputTokens must be an integer ≥ 0`, {
      hint: `e.g. defaultOutputTokens: ${DEFAULT_OUTPUT_TOKENS}`,
    })
  }

  const resolve = (id: string | undefined) => (id === undefined ? undefined : index.resolve(id))

  const cost = (usage: Usage, model?: string): number | undefined => {
    const info = resolve(model)
    return info === undefined ? undefined : priceUsage(usage, info)
  }

  return {
    specificationVersion: COST_MODEL_SPECIFICATION_VERSION,
    model: (id) => resolve(id),
    models: () => index.all(),
    countTokens: (text, model) => countTokensFor(text, resolve(model)),
    cost,
    estimate({ text, model, expectedOutputTokens }): CostEstimate {
      const info = resolve(model)
      const inputTokens = countTokensFor(text, info)
      const wanted = Math.max(0, Math.ceil(expectedOutputTokens ?? defaultOutputTokens))
      // A call cannot produce more than the model's max output, whatever the caller expects.
      const outputTokens = info === undefined ? wanted : Math.min(wanted, info.maxOutputTokens)
      const estimate: CostEstimate = { inputTokens, outputTokens }
      // The canonical id when known (aliases and snapshots resolve to it), else the name asked for.
      const name = info?.id ?? model
      if (name !== undefined) estimate.model = name
      if (info !== undefined) estimate.costUsd = priceUsage({ inputTokens, outputTokens }, info)
      return estimate
    },
  }
}
