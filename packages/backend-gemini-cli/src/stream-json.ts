import type { BackendEvent, Json, TaskResult } from '@weft/spec'

interface Line {
  type?: unknown
  [key: string]: unknown
}

/** What the final `result` line said when it reported an error. */
export interface ResultError {
  type?: string
  message: string
}

/**
 * Turns the JSONL of `gemini --output-format stream-json` into weft events, line by line as it
 * arrives, and remembers what the task's result needs (session, final text, usage).
 *
 * Lines: `init` (session_id, model), `message` (role user|assistant, content, delta?), `tool_use`
 * (tool_name, tool_id, parameters), `tool_result` (tool_id, status, output | error), `error`
 * (severity, message) and a final `result` (status, error?, stats).
 */
export class StreamJsonParser {
  sessionId?: string
  model?: string
  /** Set once the `result` line arrived. */
  finished = false
  resultError?: ResultError
  usage?: TaskResult['usage']
  /** Text of the assistant message being streamed (since the last tool call). */
  private current = ''
  /** The last complete assistant message: the task's output, as in the CLI's own `json` output. */
  private lastMessage?: string
  private readonly toolNames = new Map<string, string>()

  constructor(
    private readonly emit: (event: BackendEvent) => void,
    private readonly logRaw = false,
  ) {}

  /** Feeds one stdout line. */
  onLine = (raw: string): void => {
    const text = raw.trim()
    if (text === '') return
    if (this.logRaw) this.emit({ type: 'log', level: 'debug', message: text, stream: 'stdout' })
    let line: Line
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object')
      line = parsed as Line
    } catch {
      // Not JSONL: a stray print of the CLI or of a tool. Keep it visible, do not fail on it.
      if (!this.logRaw) this.emit({ type: 'log', level: 'debug', message: text, stream: 'stdout' })
      return
    }
    this.onObject(line)
  }

  private onObject(line: Line): void {
    switch (line.type) {
      case 'init': {
        if (typeof line.model === 'string') this.model = line.model
        if (typeof line.session_id === 'string' && line.session_id !== '') {
          this.sessionId = line.session_id
          this.emit({ type: 'session', sessionId: line.session_id })
        }
        return
      }
      case 'message': {
        if (line.role !== 'assistant') return
        const content = typeof line.content === 'string' ? line.content : ''
        if (line.delta === true) {
          if (content === '') return
          this.current += content
          this.emit({ type: 'delta', text: content })
        } else {
          // A whole message at once: close what was streaming, then report this one.
          this.flush()
          this.current = content
          this.flush()
        }
        return
      }
      case 'tool_use': {
        this.flush()
        const toolId = str(line.tool_id) ?? `tool_${this.toolNames.size + 1}`
        const name = str(line.tool_name) ?? 'unknown'
        this.toolNames.set(toolId, name)
        this.emit({
          type: 'tool_start',
          toolId,
          name,
          ...(line.parameters !== undefined ? { input: line.parameters as Json } : {}),
        })
        return
      }
      case 'tool_result': {
        const toolId = str(line.tool_id) ?? 'unknown'
        const name = this.toolNames.get(toolId) ?? 'unknown'
        const err = line.error as { message?: unknown; type?: unknown } | undefined
        const failed = line.status === 'error' || err !== undefined
        this.emit({
          type: 'tool_end',
          toolId,
          name,
          ...(line.output !== undefined ? { output: line.output as Json } : {}),
          ...(failed
            ? { error: typeof err?.message === 'string' ? err.message : `tool ${name} failed` }
            : {}),
        })
        return
      }
      case 'error': {
        const message = typeof line.message === 'string' ? line.message : JSON.stringify(line)
        this.emit({
          type: 'log',
          level: 'warn',
          message: `gemini: ${line.severity ? `${String(line.severity)}: ` : ''}${message}`,
        })
        return
      }
      case 'result': {
        this.flush()
        this.finished = true
        if (line.status === 'error' || line.error !== undefined) {
          const e = line.error as { type?: unknown; message?: unknown } | undefined
          this.resultError = {
            ...(typeof e?.type === 'string' ? { type: e.type } : {}),
            message: typeof e?.message === 'string' ? e.message : 'the Gemini CLI reported an error',
          }
        }
        const usage = usageOf(line.stats, this.model)
        if (usage) {
          this.usage = usage
          this.emit({ type: 'usage', ...usage })
        }
        return
      }
      default:
        return
    }
  }

  /** Ends the assistant message being streamed, if any, as a `message` event. */
  private flush(): void {
    if (this.current === '') return
    this.lastMessage = this.current
    this.current = ''
    this.emit({ type: 'message', role: 'assistant', text: this.lastMessage })
  }

  /** The task's result once the stream ended. */
  result(): TaskResult {
    this.flush()
    const text = this.lastMessage ?? ''
    return {
      output: text,
      text,
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    }
  }
}

/**
 * `stats` of the result line: `input_tokens` includes the cached tokens, which weft counts apart
 * (`inputTokens` is the uncached input only).
 */
function usageOf(stats: unknown, fallbackModel?: string): TaskResult['usage'] | undefined {
  if (stats === null || typeof stats !== 'object') return undefined
  const s = stats as Record<string, unknown>
  const input = count(s.input_tokens)
  const output = count(s.output_tokens)
  const cached = count(s.cached)
  const models = s.models && typeof s.models === 'object' ? Object.keys(s.models) : []
  const model = models.length === 1 ? models[0] : fallbackModel
  return {
    inputTokens: Math.max(0, input - cached),
    outputTokens: output,
    cacheReadTokens: cached,
    ...(model ? { model } : {}),
  }
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}
