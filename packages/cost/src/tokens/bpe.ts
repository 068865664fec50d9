import { createRequire } from 'node:module'
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite'

/**
 * OpenAI's published BPE encodings, counted exactly with js-tiktoken (a pure-JS port of tiktoken
 * maintained in the tiktoken-js repository). `o200k_base` covers GPT-4o, GPT-4.1, GPT-5, o3 and
 * o4-mini; `cl100k_base` is there for older or custom models that name it.
 */
export const BPE_ENCODINGS = ['o200k_base', 'cl100k_base'] as const
export type BpeEncoding = (typeof BPE_ENCODINGS)[number]

export function isBpeEncoding(name: string | undefined): name is BpeEncoding {
  return (BPE_ENCODINGS as readonly string[]).includes(name ?? '')
}

// The rank tables are large (o200k: ~4 MB of text, several hundred ms to parse), so each one is
// loaded on first use instead of at import: a runtime that never counts OpenAI tokens never pays.
// `require` keeps the load synchronous, which `CostModel.countTokens` is; js-tiktoken ships a
// CommonJS build of every rank file for this.
const require = createRequire(import.meta.url)
const RANK_MODULES: Record<BpeEncoding, string> = {
  o200k_base: 'js-tiktoken/ranks/o200k_base',
  cl100k_base: 'js-tiktoken/ranks/cl100k_base',
}
const loaded = new Map<BpeEncoding, Tiktoken>()

function encoder(encoding: BpeEncoding): Tiktoken {
  let enc = loaded.get(encoding)
  if (!enc) {
    const mod = require(RANK_MODULES[encoding]) as TiktokenBPE | { default: TiktokenBPE }
    enc = new Tiktoken('default' in mod ? mod.default : mod)
    loaded.set(encoding, enc)
  }
  return enc
}

/** Exact token count of `text` under `encoding`. */
export function bpeTokenCount(text: string, encoding: BpeEncoding): number {
  if (text.length === 0) return 0
  // Text that merely contains `<|endoftext|>` is counted as the characters it is, not as the
  // special token and not as an error: prompts are user data.
  return encoder(encoding).encode(text, [], []).length
}
