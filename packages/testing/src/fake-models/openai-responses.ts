import { DEFAULT_TEXT, fakeId, halves, namedEvent, pieces } from './sse.js'
import type { FakeReply, SseChunk } from './types.js'

/** OpenAI Responses, `POST /v1/responses` with `stream: true`: named, sequenced SSE events. */
export function openaiResponsesStream(reply: FakeReply, model: string): SseChunk[] {
  let sequence = 0
  const ev = (type: string, data: Record<string, unknown>) =>
    namedEvent(type, { type, sequence_number: sequence++, ...data })
  const id = fakeId('resp_')
  const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model }
  const text = reply.text ?? (reply.toolCall ? '' : DEFAULT_TEXT)
  const items: unknown[] = []
  const out: SseChunk[] = [
    ev('response.created', { response: { ...base, status: 'in_progress', output: [] } }),
    ev('response.in_progress', { response: { ...base, status: 'in_progress', output: [] } }),
  ]
  let index = 0
  if (reply.thinking !== undefined) {
    const itemId = fakeId('rs_')
    out.push(
      ev('response.output_item.added', {
        output_index: index,
        item: { id: itemId, type: 'reasoning', summary: [] },
      }),
    )
    for (const p of pieces(reply.thinking))
      out.push(
        ev('response.reasoning_summary_text.delta', {
          item_id: itemId,
          output_index: index,
          summary_index: 0,
          delta: p,
        }),
      )
    const item = { id: itemId, type: 'reasoning', summary: [{ type: 'summary_text', text: reply.thinking }] }
    items.push(item)
    out.push(ev('response.output_item.done', { output_index: index++, item }))
  }
  if (text.length > 0) {
    const itemId = fakeId('msg_')
    const open = { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] }
    out.push(ev('response.output_item.added', { output_index: index, item: open }))
    out.push(
      ev('response.content_part.added', {
        item_id: itemId,
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    )
    for (const p of pieces(text))
      out.push(
        ev('response.output_text.delta', {
          item_id: itemId,
          output_index: index,
          content_index: 0,
          delta: p,
        }),
      )
    out.push(
      ev('response.output_text.done', { item_id: itemId, output_index: index, content_index: 0, text }),
    )
    const item = {
      ...open,
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    }
    items.push(item)
    out.push(ev('response.output_item.done', { output_index: index++, item }))
  }
  if (reply.toolCall) {
    const { name, input, id: callId } = reply.toolCall
    const itemId = fakeId('fc_')
    const args = JSON.stringify(input)
    const open = {
      id: itemId,
      type: 'function_call',
      status: 'in_progress',
      call_id: callId ?? fakeId('call_'),
      name,
      arguments: '',
    }
    out.push(ev('response.output_item.added', { output_index: index, item: open }))
    for (const p of halves(args))
      out.push(
        ev('response.function_call_arguments.delta', { item_id: itemId, output_index: index, delta: p }),
      )
    out.push(
      ev('response.function_call_arguments.done', { item_id: itemId, output_index: index, arguments: args }),
    )
    const item = { ...open, status: 'completed', arguments: args }
    items.push(item)
    out.push(ev('response.output_item.done', { output_index: index++, item }))
  }
  const u = reply.usage ?? {}
  const cached = u.cacheReadTokens ?? 0
  const reasoning = u.reasoningTokens ?? 0
  const input = (u.inputTokens ?? 12) + cached
  const output = (u.outputTokens ?? 8) + reasoning
  out.push(
    ev('response.completed', {
      response: {
        ...base,
        status: 'completed',
        output: items,
        // Totals, as in Chat Completions: cached tokens inside input, reasoning inside output.
        usage: {
          input_tokens: input,
          input_tokens_details: { cached_tokens: cached },
          output_tokens: output,
          output_tokens_details: { reasoning_tokens: reasoning },
          total_tokens: input + output,
        },
      },
    }),
  )
  return out
}
