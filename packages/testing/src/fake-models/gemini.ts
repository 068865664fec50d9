import { DEFAULT_TEXT, dataEvent, pieces } from './sse.js'
import type { FakeReply, SseChunk } from './types.js'

/** Gemini, `POST /v1beta/models/<model>:streamGenerateContent?alt=sse`: `data:` lines of candidates. */
export function geminiStream(reply: FakeReply, model: string): SseChunk[] {
  const u = reply.usage ?? {}
  const cached = u.cacheReadTokens ?? 0
  const prompt = (u.inputTokens ?? 12) + cached
  const candidates = u.outputTokens ?? 8
  const thoughts = u.reasoningTokens ?? 0
  const responseId = `fake-${Date.now().toString(36)}`
  const parts: unknown[][] = []
  if (reply.thinking !== undefined)
    for (const p of pieces(reply.thinking)) parts.push([{ text: p, thought: true }])
  const text = reply.text ?? (reply.toolCall ? '' : DEFAULT_TEXT)
  for (const p of pieces(text)) parts.push([{ text: p }])
  if (reply.toolCall)
    parts.push([{ functionCall: { name: reply.toolCall.name, args: reply.toolCall.input } }])
  if (parts.length === 0) parts.push([{ text: '' }])
  return parts.map((p, i) => {
    const last = i === parts.length - 1
    return dataEvent({
      candidates: [
        { content: { parts: p, role: 'model' }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) },
      ],
      // promptTokenCount includes cached tokens; candidatesTokenCount excludes thoughts.
      usageMetadata: {
        promptTokenCount: prompt,
        ...(last ? { candidatesTokenCount: candidates } : {}),
        totalTokenCount: prompt + (last ? candidates + thoughts : 0),
        ...(cached ? { cachedContentTokenCount: cached } : {}),
        ...(last && thoughts ? { thoughtsTokenCount: thoughts } : {}),
      },
      modelVersion: model,
      responseId,
    })
  })
}

export function geminiError(status: number): unknown {
  const s =
    status === 401
      ? 'UNAUTHENTICATED'
      : status === 403
        ? 'PERMISSION_DENIED'
        : status === 429
          ? 'RESOURCE_EXHAUSTED'
          : status === 503
            ? 'UNAVAILABLE'
            : status >= 500
              ? 'INTERNAL'
              : 'INVALID_ARGUMENT'
  return { error: { code: status, message: `fake ${s} (${status})`, status: s } }
}
