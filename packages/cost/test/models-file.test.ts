import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { emptyUsage, isWeftError, type Usage, type WeftError } from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCostModel, loadModelsFile } from '../src/index.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-cost-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

/** Runs `fn`, expects a WeftError and returns it. */
async function failure(fn: () => unknown): Promise<WeftError> {
  try {
    await fn()
  } catch (err) {
    if (isWeftError(err)) return err
    throw err
  }
  throw new Error('expected a WeftError')
}

const usage = (u: Partial<Usage>): Usage => ({ ...emptyUsage(), ...u })

describe('a custom model from a file', () => {
  it('is priced without code, by id and by alias (weft.config.yaml layout)', async () => {
    const path = await file(
      'weft.config.yaml',
      `plugins: ['@weft/backend-mock']
models:
  - id: acme-large
    provider: acme
    aliases: [acme-large-2026-10-01]
    inputPerMTok: 0.7
    outputPerMTok: 2.8
    cacheReadPerMTok: 0.07
    contextWindow: 256000
    maxOutputTokens: 16384
`,
    )
    const cost = createCostModel({ models: await loadModelsFile(path) })
    const u = usage({
      inputTokens: 10_000,
      outputTokens: 2000,
      cacheReadTokens: 4000,
      cacheWriteTokens: 500,
      reasoningTokens: 100,
    })
    // cache write defaults to the input price, reasoning to the output price
    const expected = (10_000 * 0.7 + 2000 * 2.8 + 4000 * 0.07 + 500 * 0.7 + 100 * 2.8) / 1e6
    expect(cost.cost(u, 'acme-large')).toBeCloseTo(expected, 12)
    expect(cost.cost(u, 'acme-large-2026-10-01')).toBeCloseTo(0.01351, 12)
    expect(cost.model('acme-large')).toMatchObject({ provider: 'acme', contextWindow: 256_000 })
    // the catalog is still there
    expect(cost.model('gpt-5')).toBeDefined()
  })

  it('reads a plain list from JSON', async () => {
    const path = await file(
      'models.json',
      JSON.stringify([
        {
          id: 'local-llama',
          provider: 'ollama',
          inputPerMTok: 0,
          outputPerMTok: 0,
          contextWindow: 8192,
          maxOutputTokens: 2048,
        },
      ]),
    )
    const models = await loadModelsFile(path)
    expect(models).toEqual([
      {
        id: 'local-llama',
        provider: 'ollama',
        aliases: [],
        inputPerMTok: 0,
        outputPerMTok: 0,
        contextWindow: 8192,
        maxOutputTokens: 2048,
      },
    ])
    // a free model costs 0 because its prices say so, unlike an unknown one
    expect(createCostModel({ models }).cost(usage({ inputTokens: 500 }), 'local-llama')).toBe(0)
  })

  it('replaces a catalog entry with the same id, whole', async () => {
    const path = await file(
      'override.yaml',
      `- id: claude-sonnet-4-5
  provider: anthropic
  inputPerMTok: 2
  outputPerMTok: 10
  cacheReadPerMTok: 0.2
  cacheWritePerMTok: 2.5
  contextWindow: 200000
  maxOutputTokens: 64000
`,
    )
    const cost = createCostModel({ models: await loadModelsFile(path) })
    expect(cost.cost(usage({ inputTokens: 1000, outputTokens: 100 }), 'claude-sonnet-4-5')).toBeCloseTo(
      (1000 * 2 + 100 * 10) / 1e6,
      12,
    )
    expect(cost.models().filter((m) => m.id === 'claude-sonnet-4-5')).toHaveLength(1)
    // its dated snapshot still reaches it through the snapshot rule, at the new price
    expect(cost.model('claude-sonnet-4-5-20250929')?.inputPerMTok).toBe(2)
  })

  it('an empty file or an empty models list adds nothing', async () => {
    expect(await loadModelsFile(await file('empty.yaml', ''))).toEqual([])
    expect(await loadModelsFile(await file('none.yaml', 'models:\n'))).toEqual([])
  })
})

describe('a bad models file', () => {
  it('names the file, the model and the field, and says how to fix it', async () => {
    const path = await file(
      'bad-price.yaml',
      `models:
  - id: ok-model
    provider: acme
    inputPerMTok: 1
    outputPerMTok: 2
    contextWindow: 1000
    maxOutputTokens: 100
  - id: acme-small
    provider: acme
    inputPerMTok: three
    outputPerMTok: 2
    contextWindow: 1000
    maxOutputTokens: 100
`,
    )
    const err = await failure(() => loadModelsFile(path))
    expect(err.code).toBe('config_invalid')
    expect(err.message).toContain(path)
    expect(err.message).toContain('models[1] ("acme-small").inputPerMTok')
    expect(err.message).toContain('"three"')
    expect(err.hint).toContain('inputPerMTok: 3')
  })

  it('reports a missing field', async () => {
    const path = await file(
      'missing.yaml',
      '- { id: m1, provider: acme, inputPerMTok: 1, outputPerMTok: 2, contextWindow: 1000 }\n',
    )
    const err = await failure(() => loadModelsFile(path))
    expect(err.message).toContain(`${path}: invalid model definition`)
    expect(err.message).toContain('models[0] ("m1").maxOutputTokens: missing')
    expect(err.hint).toMatch(/^add .*maxOutputTokens/)
  })

  it('reports every problem at once', async () => {
    const path = await file(
      'two.yaml',
      '- { id: a, provider: p, outputPerMTok: 1, contextWindow: -5, maxOutputTokens: 10 }\n',
    )
    const err = await failure(() => loadModelsFile(path))
    expect(err.message).toContain('models[0] ("a").inputPerMTok: missing')
    expect(err.message).toContain('models[0] ("a").contextWindow')
  })

  it('suggests the field a misspelt one meant', async () => {
    const path = await file(
      'typo.yaml',
      '- { id: a, provider: p, inputPerMtok: 1, outputPerMTok: 2, contextWindow: 1000, maxOutputTokens: 10 }\n',
    )
    const err = await failure(() => loadModelsFile(path))
    expect(err.message).toContain('models[0] ("a"): unknown field "inputPerMtok"')
    expect(err.hint).toContain('did you mean "inputPerMTok"')
  })

  it('refuses a tokenizer weft cannot run instead of silently estimating', async () => {
    const path = await file(
      'tok.yaml',
      '- { id: a, provider: p, inputPerMTok: 1, outputPerMTok: 2, contextWindow: 1000, maxOutputTokens: 10, tokenizer: o200k }\n',
    )
    const err = await failure(() => loadModelsFile(path))
    expect(err.message).toContain('models[0] ("a").tokenizer: unknown tokenizer "o200k"')
    expect(err.hint).toContain('o200k_base')
  })

  it('reports a syntax error with the file', async () => {
    const path = await file('broken.yaml', 'models:\n  - id: [unclosed\n')
    const err = await failure(() => loadModelsFile(path))
    expect(err.message).toContain(`${path}: not valid YAML`)
    const json = await file('broken.json', '[{"id": }]')
    expect((await failure(() => loadModelsFile(json))).message).toContain(`${json}: not valid JSON`)
  })

  it('reports a file that holds no models list', async () => {
    const err = await failure(async () => loadModelsFile(await file('map.yaml', 'model: { id: a }\n')))
    expect(err.message).toContain('no models found')
    const notList = await failure(async () => loadModelsFile(await file('str.yaml', 'models: gpt-5\n')))
    expect(notList.message).toContain('models must be a list, got "gpt-5"')
  })

  it('reports a file that cannot be read', async () => {
    const path = join(dir, 'nope.yaml')
    const err = await failure(() => loadModelsFile(path))
    expect(err.message).toContain(`cannot read models file ${path}`)
  })
})

describe('models passed to createCostModel', () => {
  const base = {
    provider: 'acme',
    inputPerMTok: 1,
    outputPerMTok: 2,
    contextWindow: 1000,
    maxOutputTokens: 100,
  }

  it('are validated with the contract schema', async () => {
    const err = await failure(() => createCostModel({ models: [{ ...base, id: 'x', inputPerMTok: -1 }] }))
    expect(err.message).toContain('createCostModel: invalid model definition')
    expect(err.message).toContain('models[0] ("x").inputPerMTok')
  })

  it('name their source in errors when given one', async () => {
    const err = await failure(() =>
      createCostModel({ source: 'weft.config.yaml', models: [{ ...base, id: 'x', tokenizer: 'gpt2' }] }),
    )
    expect(err.message).toContain('weft.config.yaml: invalid model definition')
    expect(err.message).toContain('models[0] ("x").tokenizer: unknown tokenizer "gpt2"')
  })

  it('may not define one id twice', async () => {
    const err = await failure(() =>
      createCostModel({
        models: [
          { ...base, id: 'x' },
          { ...base, id: 'X' },
        ],
      }),
    )
    expect(err.message).toContain('id "X" is defined twice')
  })

  it('may not use another model id as an alias', async () => {
    const err = await failure(() => createCostModel({ models: [{ ...base, id: 'x', aliases: ['gpt-5'] }] }))
    expect(err.message).toContain('alias "gpt-5" of "x" is the id of model "gpt-5"')
    expect(err.hint).toContain('define a model with id "gpt-5"')
  })

  it('may not give one alias to two models', async () => {
    const err = await failure(() =>
      createCostModel({
        models: [
          { ...base, id: 'x', aliases: ['fast'] },
          { ...base, id: 'y', aliases: ['fast'] },
        ],
      }),
    )
    expect(err.message).toContain('alias "fast" is claimed by "x" and "y"')
  })

  it('may take over a catalog alias', () => {
    const cost = createCostModel({
      models: [{ ...base, id: 'my-sonnet', aliases: ['claude-sonnet-4-5-20250929'] }],
    })
    expect(cost.model('claude-sonnet-4-5-20250929')?.id).toBe('my-sonnet')
    expect(cost.model('claude-sonnet-4-5')?.aliases).toEqual([])
  })

  it('rejects a bad defaultOutputTokens', async () => {
    const err = await failure(() => createCostModel({ defaultOutputTokens: -1 }))
    expect(err.message).toContain('defaultOutputTokens')
  })
})
