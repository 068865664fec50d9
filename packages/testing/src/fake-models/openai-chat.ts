import { DEFAULT_TEXT, dataEvent, fakeId, halves, pieces } from './sse.js'
import type { FakeReply, SseChunk } from './types.js'

/** OpenAI Chat Completions, `POST /v1/chat/completions` with `stream: true`: `data:` lines. */
export function openaiChatStream(reply: FakeReply, model: string, includeUsage: boolean): SseChunk[] {
  const id = fakeId('chatcmpl-')
  const created = Math.floor(Date.now() / 1000)
  const chunk = (delta: unknown, finish_reason: string | null = null) =>
    dataEvent({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason }],
    })
  const text = reply.text ?? (reply.toolCall ? '' : DEFAULT_TEXT)
  const out: SseChunk[] = [chunk({ role: 'assistant', content: '' })]
  // OpenAI-compatible servers that think (DeepSeek, vLLM, llama.cpp) stream it as reasoning_content.
  if (reply.thinking !== undefined)
    for (const p of pieces(reply.thinking)) out.push(chunk({ reasoning_content: p }))
  for (const p of pieces(text)) out.push(chunk({ content: p }))
  if (reply.toolCall) {
    const { name, input, id: callId } = reply.toolCall
    out.push(
      chunk({
        tool_calls: [
          { index: 0, id: callId ?? fakeId('call_'), type: 'function', function: { name, arguments: '' } },
        ],
      }),
    )
    for (const p of halves(JSON.stringify(input)))
      out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }))
  }
  out.push(chunk({}, reply.toolCall ? 'tool_calls' : 'stop'))
  if (includeUsage) {
    const u = reply.usage ?? {}
    const cached = u.cacheReadTokens ?? 0
    const reasoning = u.reasoningTokens ?? 0
    const prompt = (u.inputTokens ?? 12) + cached
    const completion = (u.outputTokens ?? 8) + reasoning
    out.push(
      dataEvent({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
        // OpenAI reports totals: cached tokens are part of prompt_tokens, reasoning of completion_tokens.
        usage: {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
          prompt_tokens_details: { cached_tokens: cached },
          completion_tokens_details: { reasoning_tokens: reasoning },
        },
      }),
    )
  }
  out.push(dataEvent('[DONE]'))
  return out
}

export function openaiError(status: number): unknown {
  const [type, code] =
    status === 401
      ? ['invalid_request_error', 'invalid_api_key']
      : status === 429
        ? ['requests', 'rate_limit_exceeded']
        : status >= 500
          ? ['server_error', null]
          : ['invalid_request_error', null]
  return { error: { message: `fake ${type} (${status})`, type, param: null, code } }
}
