import { type ModelInfo, ModelInfoSchema, WeftError } from '@weft/core'
import { BPE_ENCODINGS } from './tokens/bpe.js'

/** Tokenizer names this package can run; anything else would silently fall back, so it is refused. */
export const TOKENIZERS = [...BPE_ENCODINGS, 'heuristic'] as const

const FIELD_HELP: Record<string, string> = {
  id: 'the model id a backend reports, e.g. id: my-model',
  provider: 'who serves it, e.g. provider: openai',
  aliases: 'a list of other names, e.g. aliases: [my-model-2025-01-01]',
  inputPerMTok: 'USD per million uncached input tokens, e.g. inputPerMTok: 3',
  outputPerMTok: 'USD per million output tokens, e.g. outputPerMTok: 15',
  cacheReadPerMTok: 'USD per million cache-read tokens (default: the input price)',
  cacheWritePerMTok: 'USD per million cache-write tokens (default: the input price)',
  reasoningPerMTok: 'USD per million reasoning tokens (default: the output price)',
  contextWindow: 'the context window in tokens, a positive integer, e.g. contextWindow: 200000',
  maxOutputTokens: 'the most output tokens per call, a positive integer, e.g. maxOutputTokens: 64000',
  tokenizer: `one of ${TOKENIZERS.join(', ')}`,
}
const KNOWN_FIELDS = Object.keys(ModelInfoSchema.shape)
const REQUIRED = ['id', 'provider', 'inputPerMTok', 'outputPerMTok', 'contextWindow', 'maxOutputTokens']
const MAX_LISTED = 8

/**
 * Validates a list of model definitions (from options or a models file) against the contract's
 * `ModelInfoSchema`. Every problem is reported at once, each as `models[i] (id).field: what is
 * wrong`, with a hint saying how to fix the first one; `where` names the file or the caller.
 */
export function parseModels(raw: unknown, where: string): ModelInfo[] {
  if (!Array.isArray(raw)) {
    throw new WeftError('config_invalid', `${where}: models must be a list, got ${describe(raw)}`, {
      hint: `write a list of models, e.g. models: [{ ${REQUIRED.map((f) => `${f}: …`).join(', ')} }]`,
    })
  }
  const problems: { text: string; hint: string }[] = []
  const models: ModelInfo[] = []
  raw.forEach((entry, index) => {
    const label = `models[${index}]${idOf(entry)}`
    const parsed = ModelInfoSchema.safeParse(entry)
    if (!parsed.success) {
      // A misspelt field also shows up as a missing one; the misspelling is the cause, so first.
      const issues = [...parsed.error.issues].sort(
        (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
      )
      for (const issue of issues) problems.push(describeIssue(label, entry, issue))
      return
    }
    const { tokenizer } = parsed.data
    if (tokenizer !== undefined && !(TOKENIZERS as readonly string[]).includes(tokenizer)) {
      problems.push({
        text: `${label}.tokenizer: unknown tokenizer "${tokenizer}"`,
        hint: `set tokenizer to ${FIELD_HELP.tokenizer}, or leave it out for the heuristic`,
      })
      return
    }
    models.push(parsed.data)
  })
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => p.text)
    if (problems.length > MAX_LISTED) listed.push(`… and ${problems.length - MAX_LISTED} more`)
    throw new WeftError('config_invalid', `${where}: invalid model definition\n  ${listed.join('\n  ')}`, {
      hint: problems[0]!.hint,
    })
  }
  return models
}

interface Issue {
  code: string
  path: PropertyKey[]
  message: string
  keys?: string[]
}

function describeIssue(label: string, entry: unknown, issue: Issue): { text: string; hint: string } {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const key = issue.keys[0]!
    const guess = closest(key)
    return {
      text: `${label}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
      hint: guess
        ? `did you mean "${guess}"? (${FIELD_HELP[guess]})`
        : `remove it; the fields are ${KNOWN_FIELDS.join(', ')}`,
    }
  }
  const field = issue.path.map(String).join('.')
  const value = valueAt(entry, issue.path)
  const top = String(issue.path[0] ?? '')
  const help = FIELD_HELP[top] ?? `the fields are ${KNOWN_FIELDS.join(', ')}`
  const at = field ? `${label}.${field}` : label
  if (value === undefined && issue.path.length > 0) return { text: `${at}: missing`, hint: `add ${help}` }
  return { text: `${at}: ${issue.message} (got ${describe(value)})`, hint: `set ${help}` }
}

function idOf(entry: unknown): string {
  const id = (entry as { id?: unknown } | null)?.id
  return typeof id === 'string' && id.length > 0 ? ` ("${id}")` : ''
}

function valueAt(entry: unknown, path: PropertyKey[]): unknown {
  let value: unknown = entry
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[part]
  }
  return value
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`
  if (typeof value === 'object') return 'an object'
  return String(value)
}

/** The known field a misspelt one most likely meant: same letters ignoring case, or ≤ 2 edits. */
function closest(field: string): string | undefined {
  const lower = field.toLowerCase()
  let best: string | undefined
  let bestDistance = 3
  for (const known of KNOWN_FIELDS) {
    const d = known.toLowerCase() === lower ? 0 : editDistance(lower, known.toLowerCase())
    if (d < bestDistance) {
      best = known
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}
