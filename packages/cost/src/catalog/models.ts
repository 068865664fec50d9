import type { ModelInfo } from '@weft/core'

/**
 * The model catalog: list prices in USD per million tokens (standard tier, pay-as-you-go, no
 * batch or priority discounts), context window and maximum output tokens.
 *
 * A TypeScript file rather than JSON so every figure that could not be confirmed can say so where
 * it stands. Prices change: `asOf` is the date the figures were compiled from the pages below,
 * and users can override any entry from their config file without waiting for a release.
 *
 * Conventions (see README "How usage is priced"):
 * - `cacheWritePerMTok` for Anthropic is the 5-minute cache write (1.25× input), the default
 *   TTL. One-hour writes cost 2× input; weft's Usage has a single cache-write count, so a run
 *   that uses 1h caching is under-priced by the difference.
 * - OpenAI and Google do not charge extra to write a cache: `cacheWritePerMTok` equals the
 *   input price. Gemini's explicit-cache storage fee (per token per hour) is not a per-call
 *   price and is not modelled.
 * - `reasoningPerMTok` is omitted everywhere: every provider here bills reasoning/thinking
 *   tokens at the output price, which is the contract's default.
 * - Long-context tiers are not expressible in `ModelInfo` (one price per kind): the standard
 *   tier is listed and the premium tier noted in a comment.
 */
export interface ModelCatalog {
  /** The pages the figures were taken from, by provider. */
  source: Record<string, readonly string[]>
  /** The date the figures were compiled (YYYY-MM-DD). */
  asOf: string
  models: readonly ModelInfo[]
}

/**
 * One model a row: id, aliases, then USD per million tokens of input, output, cache read and cache
 * write, then the context window and the maximum output tokens.
 */
type Row = [
  id: string,
  aliases: string[],
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
  contextWindow: number,
  maxOutputTokens: number,
]

/** The rows of one provider, whose models are all counted with one tokenizer. */
function models(provider: string, tokenizer: string, rows: Row[]): ModelInfo[] {
  return rows.map(([id, aliases, input, output, cacheRead, cacheWrite, contextWindow, maxOutputTokens]) => ({
    id,
    provider,
    aliases,
    inputPerMTok: input,
    outputPerMTok: output,
    cacheReadPerMTok: cacheRead,
    cacheWritePerMTok: cacheWrite,
    contextWindow,
    maxOutputTokens,
    tokenizer,
  }))
}

export const CATALOG: ModelCatalog = {
  source: {
    anthropic: [
      'https://platform.claude.com/docs/en/about-claude/pricing',
      'https://platform.claude.com/docs/en/about-claude/models/overview',
    ],
    openai: ['https://platform.openai.com/docs/pricing', 'https://platform.openai.com/docs/models'],
    google: ['https://ai.google.dev/gemini-api/docs/pricing', 'https://ai.google.dev/gemini-api/docs/models'],
  },
  asOf: '2026-11-21',
  models: [
    // ── Anthropic ────────────────────────────────────────────────────────────────────────────
    // Prices, cache prices and limits from the pricing page and the per-model overview pages.
    // Claude's tokenizer is not published: counted with the heuristic.
    // biome-ignore format: a table, one model a line
    ...models('anthropic', 'heuristic', [
      ['claude-opus-4-8', [], 5, 25, 0.5, 6.25, 1_000_000, 128_000],
      // Limits from the Bedrock model card (1M context, 128K output); prices from the pricing page.
      ['claude-opus-4-7', [], 5, 25, 0.5, 6.25, 1_000_000, 128_000],
      ['claude-opus-4-6', [], 5, 25, 0.5, 6.25, 1_000_000, 128_000],
      ['claude-opus-4-5', ['claude-opus-4-5-20251101'], 5, 25, 0.5, 6.25, 200_000, 64_000],
      // Retired on the Claude API (still served on Bedrock and Google Cloud), kept for old runs.
      ['claude-opus-4-1', ['claude-opus-4-1-20250805'], 15, 75, 1.5, 18.75, 200_000, 32_000],
      // Retired on the Claude API (still served on Google Cloud), kept for old runs.
      ['claude-opus-4', ['claude-opus-4-0', 'claude-opus-4-20250514'], 15, 75, 1.5, 18.75, 200_000, 32_000],
      ['claude-sonnet-4-6', [], 3, 15, 0.3, 3.75, 1_000_000, 64_000],
      // 200K standard context. The 1M-context beta bills prompts over 200K at $6 in / $22.50
      // out, which ModelInfo cannot express; such calls are under-priced here.
      ['claude-sonnet-4-5', ['claude-sonnet-4-5-20250929'], 3, 15, 0.3, 3.75, 200_000, 64_000],
      // Same long-context caveat as Sonnet 4.5.
      ['claude-sonnet-4', ['claude-sonnet-4-0', 'claude-sonnet-4-20250514'], 3, 15, 0.3, 3.75, 200_000, 64_000],
      // Deprecated. 64K output by default (128K only with the output-128k beta header).
      ['claude-3-7-sonnet', ['claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-latest'], 3, 15, 0.3, 3.75, 200_000, 64_000],
      // Deprecated; prices from an earlier copy of the pricing page ("Claude Sonnet 3.5").
      ['claude-3-5-sonnet', ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-20240620', 'claude-3-5-sonnet-latest'], 3, 15, 0.3, 3.75, 200_000, 8_192],
      ['claude-haiku-4-5', ['claude-haiku-4-5-20251001'], 1, 5, 0.1, 1.25, 200_000, 64_000],
      ['claude-3-5-haiku', ['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'], 0.8, 4, 0.08, 1, 200_000, 8_192],
    ]),

    // ── OpenAI ───────────────────────────────────────────────────────────────────────────────
    // Input and output prices agree across several copies of the pricing page. The cached-input
    // prices (GPT-5 family 10% of input; GPT-4.1 family, o3 and o4-mini 25%; GPT-4o family 50%)
    // could not be confirmed against OpenAI's own page in the sources available, and third-party
    // copies disagree: verify before relying on cache-heavy totals. OpenAI does not charge to
    // write the cache. Counted exactly with o200k_base.
    // biome-ignore format: a table, one model a line
    ...models('openai', 'o200k_base', [
      // 400K context = 272K input + 128K output.
      ['gpt-5', ['gpt-5-2025-08-07'], 1.25, 10, 0.125, 1.25, 400_000, 128_000],
      ['gpt-5-mini', ['gpt-5-mini-2025-08-07'], 0.25, 2, 0.025, 0.25, 400_000, 128_000],
      ['gpt-5-nano', ['gpt-5-nano-2025-08-07'], 0.05, 0.4, 0.005, 0.05, 400_000, 128_000],
      ['gpt-4.1', ['gpt-4.1-2025-04-14'], 2, 8, 0.5, 2, 1_047_576, 32_768],
      ['gpt-4.1-mini', ['gpt-4.1-mini-2025-04-14'], 0.4, 1.6, 0.1, 0.4, 1_047_576, 32_768],
      ['gpt-4.1-nano', ['gpt-4.1-nano-2025-04-14'], 0.1, 0.4, 0.025, 0.1, 1_047_576, 32_768],
      ['gpt-4o', ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'], 2.5, 10, 1.25, 2.5, 128_000, 16_384],
      // The first GPT-4o snapshot kept its launch price; listed by its own id so the dated-snapshot
      // rule cannot price it as `gpt-4o`. No cached-input discount is listed for it (unconfirmed).
      ['gpt-4o-2024-05-13', [], 5, 15, 5, 5, 128_000, 4_096],
      ['gpt-4o-mini', ['gpt-4o-mini-2024-07-18'], 0.15, 0.6, 0.075, 0.15, 128_000, 16_384],
      // Price after OpenAI's June 2025 cut (was $10 / $40); some stale copies still show the old one.
      ['o3', ['o3-2025-04-16'], 2, 8, 0.5, 2, 200_000, 100_000],
      ['o4-mini', ['o4-mini-2025-04-16'], 1.1, 4.4, 0.275, 1.1, 200_000, 100_000],
    ]),

    // ── Google ───────────────────────────────────────────────────────────────────────────────
    // Gemini API (AI Studio) paid tier, text/image/video input. Output prices include thinking
    // tokens. Audio input is dearer (not expressible). Gemini's tokenizer runs behind an API
    // call only: counted with the heuristic. Limits from the model pages (1,048,576 context).
    // biome-ignore format: a table, one model a line
    ...models('google', 'heuristic', [
      // Prompts over 200K tokens: $2.50 in / $15 out / $0.25 cache read (not expressible).
      ['gemini-2.5-pro', [], 1.25, 10, 0.125, 1.25, 1_048_576, 65_536],
      // Cache read $0.03 is 10% of input, as for 2.5 Pro; not confirmed on Google's page in the
      // sources available (an older copy showed $0.075).
      ['gemini-2.5-flash', [], 0.3, 2.5, 0.03, 0.3, 1_048_576, 65_536],
      // Cache read $0.01 (10% of input): not confirmed, as for 2.5 Flash (an older copy: $0.025).
      ['gemini-2.5-flash-lite', [], 0.1, 0.4, 0.01, 0.1, 1_048_576, 65_536],
      // Deprecated (a third-party copy of the pricing page gives a June 2026 shutdown; not
      // confirmed on Google's page). Kept so recorded runs stay priced.
      ['gemini-2.0-flash', ['gemini-2.0-flash-001'], 0.1, 0.4, 0.025, 0.1, 1_048_576, 8_192],
    ]),
  ],
}
