import { DEFAULT_TEXT, fakeId, halves, namedEvent, pieces } from './sse.js'
import type { FakeReply, SseChunk } from './types.js'

/** Anthropic Messages, `POST /v1/messages` with `stream: true`: named SSE events. */
export function anthropicStream(reply: FakeReply, model: string): SseChunk[] {
  const u = reply.usage ?? {}
  const text = reply.text ?? (reply.toolCall ? '' : DEFAULT_TEXT)
  const out: SseChunk[] = [
    namedEvent('message_start', {
      type: 'message_start',
      message: {
        id: fakeId('msg_'),
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          // Anthropic's input_tokens are already the uncached ones.
          input_tokens: u.inputTokens ?? 12,
          cache_creation_input_tokens: u.cacheWriteTokens ?? 0,
          cache_read_input_tokens: u.cacheReadTokens ?? 0,
          output_tokens: 1,
        },
      },
    }),
    namedEvent('ping', { type: 'ping' }),
  ]
  let index = 0
  if (reply.thinking !== undefined) {
    out.push(block(index, { type: 'thinking', thinking: '', signature: '' }))
    for (const p of pieces(reply.thinking)) out.push(delta(index, { type: 'thinking_delta', thinking: p }))
    out.push(delta(index, { type: 'signature_delta', signature: 'ZmFrZS1zaWduYXR1cmU=' }))
    out.push(stop(index++))
  }
  if (text.length > 0) {
    out.push(block(index, { type: 'text', text: '' }))
    for (const p of pieces(text)) out.push(delta(index, { type: 'text_delta', text: p }))
    out.push(stop(index++))
  }
  if (reply.toolCall) {
    const { name, input, id } = reply.toolCall
    out.push(block(index, { type: 'tool_use', id: id ?? fakeId('toolu_'), name, input: {} }))
    for (const p of halves(JSON.stringify(input)))
      out.push(delta(index, { type: 'input_json_delta', partial_json: p }))
    out.push(stop(index++))
  }
  out.push(
    namedEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: reply.toolCall ? 'tool_use' : 'end_turn', stop_sequence: null },
      // Anthropic counts thinking in output_tokens; there is no separate reasoning count.
      usage: { output_tokens: (u.outputTokens ?? 8) + (u.reasoningTokens ?? 0) },
    }),
    namedEvent('message_stop', { type: 'message_stop' }),
  )
  return out
}

export function anthropicError(status: number): unknown {
  const type =
    status === 401
      ? 'authentication_error'
      : status === 403
        ? 'permission_error'
        : status === 429
          ? 'rate_limit_error'
          : status === 529
            ? 'overloaded_error'
            : status >= 500
              ? 'api_error'
              : 'invalid_request_error'
  return { type: 'error', error: { type, message: `fake ${type} (${status})` } }
}

const block = (index: number, content_block: unknown) =>
  namedEvent('content_block_start', { type: 'content_block_start', index, content_block })
const delta = (index: number, d: unknown) =>
  namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: d })
const stop = (index: number) => namedEvent('content_block_stop', { type: 'content_block_stop', index })
