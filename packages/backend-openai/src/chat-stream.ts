import { type EventSourceMessage, toolInputOf } from '@weft/plugin-kit'
import { BackendError, type BackendEvent, type TaskResult } from '@weft/spec'

interface ToolCall {
  id: string
  name: string
  arguments: string
}

interface WireUsage {
  prompt_tokens?: number
  completion_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number } | null
  completion_tokens_details?: { reasoning_tokens?: number } | null
}

interface Chunk {
  model?: string
  choices?: {
    delta?: {
      content?: string | null
      /** DeepSeek, vLLM and llama.cpp stream reasoning as `reasoning_content`; Ollama as `reasoning`. */
      reasoning_content?: string | null
      reasoning?: string | null
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[]
    }
    finish_reason?: string | null
  }[]
  usage?: WireUsage | null
  error?: { message?: string } | string
}

/**
 * Turns Chat Completions chunks into weft events as they arrive and collects the answer. Text
 * streams as deltas; the message, the reasoning and the tool calls are reported once the choice
 * finishes, when they are complete.
 */
export class ChatStream {
  private text = ''
  private thinking = ''
  private readonly calls = new Map<number, ToolCall>()
  private usage: WireUsage | undefined
  private model: string | undefined
  private finishReason: string | undefined
  private flushed = false
  private done = false

  constructor(
    private readonly emit: (event: BackendEvent) => void,
    private readonly logRaw = false,
  ) {}

  onEvent = (message: EventSourceMessage): void => {
    if (this.logRaw) this.emit({ type: 'log', level: 'debug', message: `sse ${message.data}` })
    if (message.data === '[DONE]') {
      this.done = true
      return
    }
    let chunk: Chunk
    try {
      chunk = JSON.parse(message.data) as Chunk
    } catch {
      return
    }
    if (chunk.error) {
      const text = typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? 'unknown error')
      throw new BackendError('server_error', `OpenAI-compatible API stream error: ${text}`, {
        retryable: true,
      })
    }
    if (chunk.model) this.model = chunk.model
    if (chunk.usage) this.usage = chunk.usage
    const choice = chunk.choices?.[0]
    if (!choice) return
    const delta = choice.delta ?? {}
    if (delta.content) {
      this.text += delta.content
      this.emit({ type: 'delta', text: delta.content })
    }
    const reasoning = delta.reasoning_content ?? delta.reasoning
    if (reasoning) this.thinking += reasoning
    for (const call of delta.tool_calls ?? []) {
      const index = call.index ?? 0
      const known = this.calls.get(index) ?? { id: '', name: '', arguments: '' }
      if (call.id) known.id = call.id
      if (call.function?.name) known.name += call.function.name
      if (call.function?.arguments) known.arguments += call.function.arguments
      this.calls.set(index, known)
    }
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason
      this.flush()
    }
  }

  /** The task's result once the stream ended; throws when it ended before the answer did. */
  result(): TaskResult {
    if (!this.done && this.finishReason === undefined)
      throw new BackendError('server_error', 'the stream ended before the answer was complete', {
        retryable: true,
      })
    this.flush()
    if (this.finishReason === 'length')
      this.emit({ type: 'log', level: 'warn', message: 'the answer was cut off at maxTokens' })
    else if (this.finishReason === 'content_filter')
      this.emit({ type: 'log', level: 'warn', message: 'the answer was cut by a content filter' })
    return { output: this.text, ...(this.usageResult() ? { usage: this.usageResult() } : {}) }
  }

  /** OpenAI reports totals; weft counts uncached input and non-reasoning output apart. */
  private usageResult(): TaskResult['usage'] {
    const u = this.usage
    if (!u) return this.model ? { model: this.model } : undefined
    const cached = u.prompt_tokens_details?.cached_tokens ?? 0
    const reasoning = u.completion_tokens_details?.reasoning_tokens ?? 0
    return {
      inputTokens: Math.max(0, (u.prompt_tokens ?? 0) - cached),
      outputTokens: Math.max(0, (u.completion_tokens ?? 0) - reasoning),
      cacheReadTokens: cached,
      reasoningTokens: reasoning,
      ...(this.model ? { model: this.model } : {}),
    }
  }

  private flush(): void {
    if (this.flushed) return
    this.flushed = true
    if (this.thinking) this.emit({ type: 'message', role: 'assistant', text: `[thinking] ${this.thinking}` })
    // Deltas are live only; the message is what the event log keeps.
    if (this.text) this.emit({ type: 'message', role: 'assistant', text: this.text })
    for (const [index, call] of [...this.calls.entries()].sort(([a], [b]) => a - b)) {
      // The endpoint only asks for the call; weft does not run it, so the tool ends where it starts.
      const toolId = call.id || `call_${index}`
      const name = call.name || 'tool'
      this.emit({ type: 'tool_start', toolId, name, input: toolInputOf(call.arguments, 'tool arguments') })
      this.emit({ type: 'tool_end', toolId, name })
    }
  }
}
