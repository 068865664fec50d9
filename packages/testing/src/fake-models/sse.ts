import type { SseChunk } from './types.js'

/** An SSE event with a name, as Anthropic and OpenAI Responses send them. */
export function namedEvent(event: string, data: unknown): SseChunk {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** An SSE event without a name, as Chat Completions and Gemini send them. */
export function dataEvent(data: unknown): SseChunk {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
}

/** Splits text into at most three pieces, the way a model streams a short answer. */
export function pieces(text: string): string[] {
  if (text.length === 0) return []
  const size = Math.max(1, Math.ceil(text.length / 3))
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** Splits serialized JSON in two, so a client has to assemble the pieces. */
export function halves(json: string): string[] {
  const middle = Math.ceil(json.length / 2)
  return json.length < 2 ? [json] : [json.slice(0, middle), json.slice(middle)]
}

export const DEFAULT_TEXT = 'Hello from the fake model.'

let counter = 0
/** Ids that look like the real ones and differ per reply. */
export function fakeId(prefix: string): string {
  counter += 1
  return `${prefix}${Date.now().toString(36)}${counter.toString(36).padStart(4, '0')}`
}
