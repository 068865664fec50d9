import { type EventSourceMessage, parseJson, toolInputOf } from '@weft/plugin-kit'
import { BackendError, type BackendEvent, type Json, type TaskResult } from '@weft/spec'
import { errorFromStreamEvent } from './http-error.js'

interface Block {
  type: string
  text: string
  /** tool_use only. */
  id?: string
  name?: string
  input?: Json
}

interface WireUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
}

/**
 * Turns the Messages API's SSE events into weft events as they arrive and collects the answer.
 * One instance per attempt; `onEvent` throws a BackendError for an `error` event.
 */
export class MessagesStream {
  private readonly blocks = new Map<number, Block>()
  private text = ''
  private usage: WireUsage = {}
  private model: string | undefined
  private stopReason: string | undefined
  private stopped = false

  constructor(
    private readonly emit: (event: BackendEvent) => void,
    private readonly logRaw = false,
  ) {}

  onEvent = (message: EventSourceMessage): void => {
    if (this.logRaw)
      this.emit({ type: 'log', level: 'debug', message: `sse ${message.event ?? ''} ${message.data}` })
    const data = parse(message.data)
    if (!data) return
    switch (data.type) {
      case 'message_start': {
        const m = data.message as { model?: string; usage?: WireUsage } | undefined
        this.model = m?.model
        this.usage = { ...m?.usage }
        return
      }
      case 'content_block_start':
        this.startBlock(data.index as number, data.content_block as Record<string, unknown>)
        return
      case 'content_block_delta':
        this.delta(data.index as number, data.delta as Record<string, unknown>)
        return
      case 'content_block_stop':
        this.stopBlock(data.index as number)
        return
      case 'message_delta': {
        const delta = data.delta as { stop_reason?: string } | undefined
        if (delta?.stop_reason) this.stopReason = delta.stop_reason
        // The counts here are cumulative: they replace the ones of message_start when present.
        for (const [k, v] of Object.entries((data.usage ?? {}) as WireUsage))
          if (typeof v === 'number') (this.usage as Record<string, number>)[k] = v
        return
      }
      case 'message_stop':
        this.stopped = true
        return
      case 'error':
        throw errorFromStreamEvent(data.error as { type?: string; message?: string })
      default:
        // ping, and event types added later: nothing to report.
        return
    }
  }

  /** The task's result once the stream ended; throws when it ended before `message_stop`. */
  result(): TaskResult {
    if (!this.stopped)
      throw new BackendError('server_error', 'the Anthropic stream ended before message_stop', {
        retryable: true,
      })
    if (this.stopReason === 'max_tokens')
      this.emit({ type: 'log', level: 'warn', message: 'the answer was cut off at maxTokens' })
    else if (this.stopReason === 'refusal')
      this.emit({ type: 'log', level: 'warn', message: 'the model declined to answer (stop_reason refusal)' })
    const u = this.usage
    return {
      output: this.text,
      usage: {
        // Anthropic's input_tokens already exclude cache reads and writes, as weft counts them.
        inputTokens: u.input_tokens ?? 0,
        outputTokens: u.output_tokens ?? 0,
        cacheReadTokens: u.cache_read_input_tokens ?? 0,
        cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
        ...(this.model ? { model: this.model } : {}),
      },
    }
  }

  private startBlock(index: number, block: Record<string, unknown>): void {
    const type = String(block?.type ?? 'unknown')
    const b: Block = { type, text: '' }
    if (type === 'text' && typeof block.text === 'string') b.text = block.text
    if (type === 'tool_use' || type === 'server_tool_use') {
      b.id = String(block.id ?? `tool_${index}`)
      b.name = String(block.name ?? 'tool')
    }
    this.blocks.set(index, b)
  }

  private delta(index: number, delta: Record<string, unknown>): void {
    const b = this.blocks.get(index)
    if (!b || !delta) return
    if (delta.type === 'text_delta' && typeof delta.text === 'string') {
      b.text += delta.text
      this.emit({ type: 'delta', text: delta.text })
    } else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') b.text += delta.thinking
    else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string')
      b.text += delta.partial_json
  }

  private stopBlock(index: number): void {
    const b = this.blocks.get(index)
    if (!b) return
    this.blocks.delete(index)
    if (b.type === 'text') {
      this.text += b.text
      // Deltas are live only; the message is what the event log keeps.
      this.emit({ type: 'message', role: 'assistant', text: b.text })
    } else if (b.type === 'thinking') {
      this.emit({ type: 'message', role: 'assistant', text: `[thinking] ${b.text}` })
    } else if (b.id !== undefined && b.name !== undefined) {
      // The API only asks for the call; weft does not run it, so the tool ends where it starts,
      // with the complete input that the partial JSON deltas add up to.
      const input = toolInputOf(b.text)
      this.emit({ type: 'tool_start', toolId: b.id, name: b.name, input })
      this.emit({ type: 'tool_end', toolId: b.id, name: b.name })
    }
  }
}

/** An event's data as an object; anything else (not JSON, or a bare value) is not an event. */
function parse(data: string): Record<string, unknown> | undefined {
  const value = parseJson(data)
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
}
