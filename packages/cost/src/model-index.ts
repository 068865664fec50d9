import type { ModelInfo } from '@weft/core'

/**
 * Version suffixes that name a snapshot of a model rather than another model. Tried only after
 * the exact id and the aliases, and only one suffix is removed:
 *
 * - `-YYYYMMDD`    Anthropic snapshots:   `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`
 * - `@YYYYMMDD`    Vertex AI spelling:    `claude-sonnet-4-5@20250929` → `claude-sonnet-4-5`
 * - `-YYYY-MM-DD`  OpenAI snapshots:      `gpt-5-2025-08-07`           → `gpt-5`
 * - `-NNN`         Gemini stable versions: `gemini-2.5-flash-001`      → `gemini-2.5-flash`
 * - `-latest`      moving aliases:        `claude-3-5-haiku-latest`    → `claude-3-5-haiku`
 *
 * A general longest-prefix match is deliberately not used: `gpt-5-pro` or `gpt-4o-audio` would be
 * priced as `gpt-5` / `gpt-4o`, a silently wrong number. A snapshot whose price differs from its
 * family's (`gpt-4o-2024-05-13`) gets an entry of its own, and exact ids win.
 */
const SNAPSHOT_SUFFIXES = [/-\d{8}$/, /@\d{8}$/, /-\d{4}-\d{2}-\d{2}$/, /-\d{3}$/, /-latest$/]

export function snapshotBase(id: string): string | undefined {
  for (const suffix of SNAPSHOT_SUFFIXES) {
    const base = id.replace(suffix, '')
    if (base !== id && base.length > 0) return base
  }
  return undefined
}

/** Ids are compared without surrounding space and case: `Claude-Sonnet-4-5` is the same model. */
function key(id: string): string {
  return id.trim().toLowerCase()
}

/** Finds a model by id, alias or dated snapshot. Built once; lookups are map reads. */
export class ModelIndex {
  readonly #byId = new Map<string, ModelInfo>()
  readonly #byAlias = new Map<string, ModelInfo>()
  readonly #models: ModelInfo[]

  /** `models` must already be free of conflicts (see `mergeModels`). */
  constructor(models: readonly ModelInfo[]) {
    this.#models = [...models]
    for (const m of models) this.#byId.set(key(m.id), m)
    for (const m of models) for (const alias of m.aliases) this.#byAlias.set(key(alias), m)
  }

  resolve(id: string): ModelInfo | undefined {
    const k = key(id)
    if (k.length === 0) return undefined
    const direct = this.#byId.get(k) ?? this.#byAlias.get(k)
    if (direct) return direct
    const base = snapshotBase(k)
    return base === undefined ? undefined : (this.#byId.get(base) ?? this.#byAlias.get(base))
  }

  all(): ModelInfo[] {
    return [...this.#models]
  }
}
