import { readFile } from 'node:fs/promises'
import { type ModelInfo, WeftError } from '@weft/core'
import { parse as parseYaml } from 'yaml'
import { parseModels } from './parse-models.js'

/**
 * Reads model definitions from a YAML or JSON file (`.json` is parsed as JSON, anything else as
 * YAML). The file holds either a list of models or an object with a `models` list, so a
 * `weft.config.yaml` can be read as it is; its other keys are left to the config loader.
 * Pass the result to `createCostModel({ models })`.
 *
 * Errors are `WeftError('config_invalid')` naming the file, the model's index and id and the
 * field, with a hint saying what to write instead.
 */
export async function loadModelsFile(path: string): Promise<ModelInfo[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new WeftError('config_invalid', `cannot read models file ${path}: ${(err as Error).message}`, {
      hint: 'check the path (relative paths are resolved from the current directory)',
      cause: err,
    })
  }
  let raw: unknown
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new WeftError(
      'config_invalid',
      `${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      {
        hint: 'fix the syntax at the position given',
        cause: err,
      },
    )
  }
  if (raw === null || raw === undefined) return []
  if (Array.isArray(raw)) return parseModels(raw, path)
  if (typeof raw === 'object' && 'models' in raw) {
    const models = (raw as { models: unknown }).models
    return models === null || models === undefined ? [] : parseModels(models, path)
  }
  throw new WeftError('config_invalid', `${path}: no models found`, {
    hint: 'write a list of models, or an object with a `models:` list, e.g. models: [{ id: my-model, provider: acme, inputPerMTok: 1, outputPerMTok: 2, contextWindow: 128000, maxOutputTokens: 8192 }]',
  })
}
