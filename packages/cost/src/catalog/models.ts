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
    {
      id: 'claude-opus-4-8',
      provider: 'anthropic',
      aliases: [],
      inputPerMTok: 5,
      outputPerMTok: 25,
      cacheReadPerMTok: 0.5,
      cacheWritePerMTok: 6.25,
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      tokenizer: 'heuristic',
    },
    {
      // Limits from the Bedrock model card (1M context, 128K output); prices from the pricing page.
      id: 'claude-opus-4-7',
      provider: 'anthropic',
      aliases: [],
      inputPerMTok: 5,
      outputPerMTok: 25,
      cacheReadPerMTok: 0.5,
      cacheWritePerMTok: 6.25,
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      tokenizer: 'heuristic',
    },
    {
      id: 'claude-opus-4-6',
      provider: 'anthropic',
      aliases: [],
      inputPerMTok: 5,
      outputPerMTok: 25,
      cacheReadPerMTok: 0.5,
      cacheWritePerMTok: 6.25,
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      tokenizer: 'heuristic',
    },
    {
      id: 'claude-opus-4-5',
      provider: 'anthropic',
      aliases: ['claude-opus-4-5-20251101'],
      inputPerMTok: 5,
      outputPerMTok: 25,
      cacheReadPerMTok: 0.5,
      cacheWritePerMTok: 6.25,
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      tokenizer: 'heuristic',
    },
    {
      // Retired on the Claude API (still served on Bedrock and Google Cloud), kept for old runs.
      id: 'claude-opus-4-1',
      provider: 'anthropic',
      aliases: ['claude-opus-4-1-20250805'],
      inputPerMTok: 15,
      outputPerMTok: 75,
      cacheReadPerMTok: 1.5,
      cacheWritePerMTok: 18.75,
      contextWindow: 200_000,
      maxOutputTokens: 32_000,
      tokenizer: 'heuristic',
    },
    {
      // Retired on the Claude API (still served on Google Cloud), kept for old runs.
      id: 'claude-opus-4',
      provider: 'anthropic',
      aliases: ['claude-opus-4-0', 'claude-opus-4-20250514'],
      inputPerMTok: 15,
      outputPerMTok: 75,
      cacheReadPerMTok: 1.5,
      cacheWritePerMTok: 18.75,
      contextWindow: 200_000,
      maxOutputTokens: 32_000,
      tokenizer: 'heuristic',
    },
    {
      id: 'claude-sonnet-4-6',
      provider: 'anthropic',
      aliases: [],
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      contextWindow: 1_000_000,
      maxOutputTokens: 64_000,
      tokenizer: 'heuristic',
    },
    {
      // 200K standard context. The 1M-context beta bills prompts over 200K at $6 in / $22.50
      // out, which ModelInfo cannot express; such calls are under-priced here.
      id: 'claude-sonnet-4-5',
      provider: 'anthropic',
      aliases: ['claude-sonnet-4-5-20250929'],
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      tokenizer: 'heuristic',
    },
    {
      // Same long-context caveat as Sonnet 4.5.
      id: 'claude-sonnet-4',
      provider: 'anthropic',
      aliases: ['claude-sonnet-4-0', 'claude-sonnet-4-20250514'],
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      tokenizer: 'heuristic',
    },
    {
      // Deprecated. 64K output by default (128K only with the output-128k beta header).
      id: 'claude-3-7-sonnet',
      provider: 'anthropic',
      aliases: ['claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-latest'],
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      tokenizer: 'heuristic',
    },
    {
      // Deprecated; prices from an earlier copy of the pricing page ("Claude Sonnet 3.5").
      id: 'claude-3-5-sonnet',
      provider: 'anthropic',
      aliases: ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-20240620', 'claude-3-5-sonnet-latest'],
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      contextWindow: 200_000,
      maxOutputTokens: 8_192,
      tokenizer: 'heuristic',
    },
    {
      id: 'claude-haiku-4-5',
      provider: 'anthropic',
      aliases: ['claude-haiku-4-5-20251001'],
      inputPerMTok: 1,
      outputPerMTok: 5,
      cacheReadPerMTok: 0.1,
      cacheWritePerMTok: 1.25,
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      tokenizer: 'heuristic',
    },
    {
      id: 'claude-3-5-haiku',
      provider: 'anthropic',
      aliases: ['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'],
      inputPerMTok: 0.8,
      outputPerMTok: 4,
      cacheReadPerMTok: 0.08,
      cacheWritePerMTok: 1,
      contextWindow: 200_000,
      maxOutputTokens: 8_192,
      tokenizer: 'heuristic',
    },

    // ── OpenAI ───────────────────────────────────────────────────────────────────────────────
    // Input and output prices agree across several copies of the pricing page. The cached-input
    // prices (GPT-5 family 10% of input; GPT-4.1 family, o3 and o4-mini 25%; GPT-4o family 50%)
    // could not be confirmed against OpenAI's own page in the sources available, and third-party
    // copies disagree: verify before relying on cache-heavy totals. OpenAI does not charge to
    // write the cache. Counted exactly with o200k_base.
    {
      // 400K context = 272K input + 128K output.
      id: 'gpt-5',
      provider: 'openai',
      aliases: ['gpt-5-2025-08-07'],
      inputPerMTok: 1.25,
      outputPerMTok: 10,
      cacheReadPerMTok: 0.125,
      cacheWritePerMTok: 1.25,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-5-mini',
      provider: 'openai',
      aliases: ['gpt-5-mini-2025-08-07'],
      inputPerMTok: 0.25,
      outputPerMTok: 2,
      cacheReadPerMTok: 0.025,
      cacheWritePerMTok: 0.25,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-5-nano',
      provider: 'openai',
      aliases: ['gpt-5-nano-2025-08-07'],
      inputPerMTok: 0.05,
      outputPerMTok: 0.4,
      cacheReadPerMTok: 0.005,
      cacheWritePerMTok: 0.05,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-4.1',
      provider: 'openai',
      aliases: ['gpt-4.1-2025-04-14'],
      inputPerMTok: 2,
      outputPerMTok: 8,
      cacheReadPerMTok: 0.5,
      cacheWritePerMTok: 2,
      contextWindow: 1_047_576,
      maxOutputTokens: 32_768,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-4.1-mini',
      provider: 'openai',
      aliases: ['gpt-4.1-mini-2025-04-14'],
      inputPerMTok: 0.4,
      outputPerMTok: 1.6,
      cacheReadPerMTok: 0.1,
      cacheWritePerMTok: 0.4,
      contextWindow: 1_047_576,
      maxOutputTokens: 32_768,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-4.1-nano',
      provider: 'openai',
      aliases: ['gpt-4.1-nano-2025-04-14'],
      inputPerMTok: 0.1,
      outputPerMTok: 0.4,
      cacheReadPerMTok: 0.025,
      cacheWritePerMTok: 0.1,
      contextWindow: 1_047_576,
      maxOutputTokens: 32_768,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-4o',
      provider: 'openai',
      aliases: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'],
      inputPerMTok: 2.5,
      outputPerMTok: 10,
      cacheReadPerMTok: 1.25,
      cacheWritePerMTok: 2.5,
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      tokenizer: 'o200k_base',
    },
    {
      // The first GPT-4o snapshot kept its launch price; listed by its own id so the dated-snapshot
      // rule cannot price it as `gpt-4o`. No cached-input discount is listed for it (unconfirmed).
      id: 'gpt-4o-2024-05-13',
      provider: 'openai',
      aliases: [],
      inputPerMTok: 5,
      outputPerMTok: 15,
      cacheReadPerMTok: 5,
      cacheWritePerMTok: 5,
      contextWindow: 128_000,
      maxOutputTokens: 4_096,
      tokenizer: 'o200k_base',
    },
    {
      id: 'gpt-4o-mini',
      provider: 'openai',
      aliases: ['gpt-4o-mini-2024-07-18'],
      inputPerMTok: 0.15,
      outputPerMTok: 0.6,
      cacheReadPerMTok: 0.075,
      cacheWritePerMTok: 0.15,
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      tokenizer: 'o200k_base',
    },
    {
      // Price after OpenAI's June 2025 cut (was $10 / $40); some stale copies still show the old one.
      id: 'o3',
      provider: 'openai',
      aliases: ['o3-2025-04-16'],
      inputPerMTok: 2,
      outputPerMTok: 8,
      cacheReadPerMTok: 0.5,
      cacheWritePerMTok: 2,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      tokenizer: 'o200k_base',
    },
    {
      id: 'o4-mini',
      provider: 'openai',
      aliases: ['o4-mini-2025-04-16'],
      inputPerMTok: 1.1,
      outputPerMTok: 4.4,
      cacheReadPerMTok: 0.275,
      cacheWritePerMTok: 1.1,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      tokenizer: 'o200k_base',
    },

    // ── Google ───────────────────────────────────────────────────────────────────────────────
    // Gemini API (AI Studio) paid tier, text/image/video input. Output prices include thinking
    // tokens. Audio input is dearer (not expressible). Gemini's tokenizer runs behind an API
    // call only: counted with the heuristic. Limits from the model pages (1,048,576 context).
    {
      // Prompts over 200K tokens: $2.50 in / $15 out / $0.25 cache read (not expressible).
      id: 'gemini-2.5-pro',
      provider: 'google',
      aliases: [],
      inputPerMTok: 1.25,
      outputPerMTok: 10,
      cacheReadPerMTok: 0.125,
      cacheWritePerMTok: 1.25,
      contextWindow: 1_048_576,
      maxOutputTokens: 65_536,
      tokenizer: 'heuristic',
    },
    {
      // Cache read $0.03 is 10% of input, as for 2.5 Pro; not confirmed on Google's page in the
      // sources available (an older copy showed $0.075).
      id: 'gemini-2.5-flash',
      provider: 'google',
      aliases: [],
      inputPerMTok: 0.3,
      outputPerMTok: 2.5,
      cacheReadPerMTok: 0.03,
      cacheWritePerMTok: 0.3,
      contextWindow: 1_048_576,
      maxOutputTokens: 65_536,
      tokenizer: 'heuristic',
    },
    {
      // Cache read $0.01 (10% of input): not confirmed, as for 2.5 Flash (an older copy: $0.025).
      id: 'gemini-2.5-flash-lite',
      provider: 'google',
      aliases: [],
      inputPerMTok: 0.1,
      outputPerMTok: 0.4,
      cacheReadPerMTok: 0.01,
      cacheWritePerMTok: 0.1,
      contextWindow: 1_048_576,
      maxOutputTokens: 65_536,
      tokenizer: 'heuristic',
    },
    {
      // Deprecated (a third-party copy of the pricing page gives a June 2026 shutdown; not
      // confirmed on Google's page). Kept so recorded runs stay priced.
      id: 'gemini-2.0-flash',
      provider: 'google',
      aliases: ['gemini-2.0-flash-001'],
      inputPerMTok: 0.1,
      outputPerMTok: 0.4,
      cacheReadPerMTok: 0.025,
      cacheWritePerMTok: 0.1,
      contextWindow: 1_048_576,
      maxOutputTokens: 8_192,
      tokenizer: 'heuristic',
    },
  ],
}
