/**
 * The parser of `claude -p … --output-format stream-json --verbose`: one JSON object per stdout
 * line, turned into weft events as each line arrives. Shapes as observed with claude 2.1.197 (see
 * the README): `system` (init, api_retry, …), `assistant` (one content block per line), `user`
 * (tool results), `stream_event` (with `--include-partial-messages`) and a final `result`.
 */
import { BackendError, type BackendEvent, type Json, type TaskResult } from '@weft/spec'

interface ContentBlock {
  type?: string
  text?: string
  thinking?: string
  id?: string
  name?: string
  input?: unknown
  tool_use_id?: string
  content?: unknown
  is_error?: boolean
}

interface ResultLine {
  type: 'result'
  subtype?: string
  is_error?: boolean
  api_error_status?: number | null
  result?: string
  session_id?: string
  total_cost_usd?: number
  num_turns?: number
  errors?: string[]
  usage?: {
    input_tokens?: number
    output_tokens?: number
    cache_read_input_tokens?: number
    cache_creation_input_tokens?: number
  }
  modelUsage?: Record<string, unknown>
}

/** How many raw lines to keep for an error message when the output makes no sense. */
const KEEP_LINES = 5

export class ClaudeStream {
  sessionId?: string
  model?: string
  private final?: ResultLine
  private readonly toolNames = new Map<string, string>()
  private readonly lastLines: string[] = []
  private lines = 0

  constructor(
    private readonly emit: (event: BackendEvent) => void,
    private readonly logRaw: boolean,
  ) {}

  /** Feeds one line of stdout (with or without its newline). */
  readonly onLine = (raw: string): void => {
    const line = raw.replace(/\r?\n$/, '')
    if (line.trim() === '') return
    this.lines++
    this.lastLines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line)
    if (this.lastLines.length > KEEP_LINES) this.lastLines.shift()
    if (this.logRaw) this.emit({ type: 'log', level: 'debug', message: line, stream: 'stdout' })
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      // Not stream-json (a warning printed by the CLI, say): keep it visible, do not fail on it.
      this.emit({ type: 'log', level: 'info', message: line, stream: 'stdout' })
      return
    }
    if (value === null || typeof value !== 'object') return
    this.onMessage(value as Record<string, unknown>)
  }

  private onMessage(m: Record<string, unknown>): void {
    if (m.type === 'system') this.onSystem(m)
    else if (m.type === 'assistant') this.onAssistant(m)
    else if (m.type === 'user') this.onUser(m)
    else if (m.type === 'stream_event') this.onStreamEvent(m)
    else if (m.type === 'result') this.onResult(m as unknown as ResultLine)
  }

  private onSystem(m: Record<string, unknown>): void {
    if (m.subtype === 'init') {
      if (typeof m.model === 'string') this.model = m.model
      this.setSession(m.session_id)
    } else if (m.subtype === 'api_retry') {
      this.emit({
        type: 'log',
        level: 'warn',
        message: `claude retries the API call (attempt ${String(m.attempt)} of ${String(m.max_retries)}, status ${String(m.error_status)})`,
      })
    }
  }

  private onAssistant(m: Record<string, unknown>): void {
    this.setSession(m.session_id)
    const message = (m.message ?? {}) as { model?: string; content?: ContentBlock[] }
    // API and auth failures arrive as a synthetic assistant message before the failed result.
    if (message.model === '<synthetic>' || typeof m.error === 'string') {
      const text = (message.content ?? []).map((b) => b.text ?? '').join('')
      this.emit({ type: 'log', level: 'error', message: text || String(m.error) })
      return
    }
    for (const block of message.content ?? []) {
      if (block.type === 'text' && block.text) {
        this.emit({ type: 'message', role: 'assistant', text: block.text })
      } else if (block.type === 'thinking' && block.thinking) {
        this.emit({ type: 'message', role: 'assistant', text: `[thinking] ${block.thinking}` })
      } else if (block.type === 'tool_use' && block.id) {
        const name = block.name ?? 'tool'
        this.toolNames.set(block.id, name)
        this.emit({
          type: 'tool_start',
          toolId: block.id,
          name,
          ...(block.input !== undefined ? { input: block.input as Json } : {}),
        })
      }
    }
  }

  private onUser(m: Record<string, unknown>): void {
    const message = (m.message ?? {}) as { content?: unknown }
    if (!Array.isArray(message.content)) return
    for (const block of message.content as ContentBlock[]) {
      if (block.type !== 'tool_result' || !block.tool_use_id) continue
      const name = this.toolNames.get(block.tool_use_id) ?? 'tool'
      const output = toolOutput(block.content)
      this.emit({
        type: 'tool_end',
        toolId: block.tool_use_id,
        name,
        ...(block.is_error
          ? { error: typeof output === 'string' ? output : JSON.stringify(output) }
          : output !== undefined
            ? { output }
            : {}),
      })
    }
  }

  private onStreamEvent(m: Record<string, unknown>): void {
    const event = m.event as { type?: string; delta?: { type?: string; text?: string } } | undefined
    if (event?.type === 'content_block_delta' && event.delta?.type === 'text_delta' && event.delta.text)
      this.emit({ type: 'delta', text: event.delta.text })
  }

  private onResult(r: ResultLine): void {
    this.final = r
    this.setSession(r.session_id)
    const u = r.usage
    if (u || r.total_cost_usd !== undefined) {
      const model = Object.keys(r.modelUsage ?? {})[0] ?? this.model
      this.emit({
        type: 'usage',
        ...(model ? { model } : {}),
        inputTokens: u?.input_tokens ?? 0,
        outputTokens: u?.output_tokens ?? 0,
        cacheReadTokens: u?.cache_read_input_tokens ?? 0,
        cacheWriteTokens: u?.cache_creation_input_tokens ?? 0,
        ...(typeof r.total_cost_usd === 'number' ? { costUsd: r.total_cost_usd } : {}),
      })
    }
  }

  private setSession(id: unknown): void {
    if (typeof id !== 'string' || id === '' || id === this.sessionId) return
    this.sessionId = id
    this.emit({ type: 'session', sessionId: id })
  }

  /** True once the final `result` line arrived. */
  get done(): boolean {
    return this.final !== undefined
  }

  /** What the lines add up to: the task's result, or the failure the `result` line reports. */
  result(): TaskResult {
    const r = this.final
    if (!r) {
      throw new BackendError(
        'bad_output',
        this.lines === 0
          ? 'claude printed nothing on stdout'
          : `claude ended without a result line; its last output: ${this.lastLines.join('\n')}`,
        { retryable: false, details: { lines: this.lines, lastLines: this.lastLines } },
      )
    }
    if (r.is_error || (r.subtype !== undefined && r.subtype !== 'success')) throw resultError(r)
    const u = r.usage
    const model = Object.keys(r.modelUsage ?? {})[0] ?? this.model
    const output = r.result ?? ''
    return {
      output,
      text: output,
      usage: {
        inputTokens: u?.input_tokens ?? 0,
        outputTokens: u?.output_tokens ?? 0,
        cacheReadTokens: u?.cache_read_input_tokens ?? 0,
        cacheWriteTokens: u?.cache_creation_input_tokens ?? 0,
        ...(typeof r.total_cost_usd === 'number' ? { costUsd: r.total_cost_usd } : {}),
        ...(model ? { model } : {}),
      },
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    }
  }
}

/** A tool result's content: a string, or the text of its text blocks, or the blocks as JSON. */
function toolOutput(content: unknown): Json | undefined {
  if (content === undefined || content === null) return undefined
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    const blocks = content as ContentBlock[]
    if (blocks.every((b) => b?.type === 'text')) return blocks.map((b) => b.text ?? '').join('')
  }
  return content as Json
}

/** The `BackendError` for a `result` line with `is_error` or an error subtype. */
export function resultError(r: ResultLine): BackendError {
  const text = r.result ?? r.errors?.join('; ') ?? r.subtype ?? 'unknown error'
  const details: Json = {
    subtype: r.subtype ?? null,
    apiErrorStatus: r.api_error_status ?? null,
    ...(r.session_id ? { sessionId: r.session_id } : {}),
  }
  switch (r.subtype) {
    case 'error_max_turns':
      return new BackendError('max_turns', `claude stopped at its turn limit (${text})`, {
        retryable: false,
        hint: 'raise with.maxTurns, or split the task',
        details,
      })
    case 'error_max_budget_usd':
      return new BackendError('budget', `claude stopped at its budget (${text})`, {
        retryable: false,
        hint: 'raise with.maxBudgetUsd',
        details,
      })
    case 'error_during_execution':
      return new BackendError('failed', `claude failed: ${text}`, { retryable: false, details })
  }
  const status = r.api_error_status
  if (status === 401 || status === 403 || (status == null && /log ?in|api key|auth/i.test(text))) {
    return new BackendError('auth', `claude could not authenticate: ${text}`, {
      retryable: false,
      hint: 'set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), or run `claude` once to log in',
      details,
    })
  }
  if (status === 429) return new BackendError('rate_limit', `claude was rate limited: ${text}`, { details })
  if (status == null || status >= 500)
    return new BackendError('server_error', `the API failed for claude: ${text}`, {
      retryable: true,
      details,
    })
  return new BackendError('failed', `claude failed (API status ${status}): ${text}`, {
    retryable: false,
    details,
  })
}
