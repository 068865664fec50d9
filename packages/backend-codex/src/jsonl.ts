import { BackendError, type BackendEvent, type Json, type TaskResult, type Usage } from '@weft/spec'

/** `turn.completed.usage` as codex-cli 0.169 prints it: OpenAI totals, cumulative over a thread. */
export interface CodexUsage {
  input_tokens?: number
  cached_input_tokens?: number
  cache_write_input_tokens?: number
  output_tokens?: number
  reasoning_output_tokens?: number
}

interface Item {
  id?: string
  type?: string
  text?: string
  message?: string
  command?: string
  aggregated_output?: string
  exit_code?: number | null
  status?: string
  changes?: Json
  server?: string
  tool?: string
  arguments?: Json
  result?: Json
  error?: { message?: string } | null
  query?: string
  items?: Json
}

/**
 * Turns `codex exec --json` lines into weft events as they arrive, and collects the result.
 * One instance per attempt. `previous` is the thread's cumulative usage before this turn, known
 * when weft ran the earlier turn: Codex reports the whole thread's usage on a resumed thread.
 */
export class CodexJsonl {
  threadId: string | undefined
  /** The last agent message: the task's output. */
  lastMessage: string | undefined
  /** The thread's cumulative usage as last reported. */
  cumulative: CodexUsage | undefined
  completed = false
  failure: BackendError | undefined
  private readonly started = new Set<string>()

  constructor(
    private readonly emit: (event: BackendEvent) => void,
    private readonly options: { logRaw?: boolean; model?: string; previous?: CodexUsage } = {},
  ) {}

  /** Feeds one stdout line. Lines that are not JSON are logged, never fatal. */
  onLine = (line: string): void => {
    const text = line.trim()
    if (text === '') return
    if (this.options.logRaw) this.emit({ type: 'log', level: 'debug', message: `jsonl ${text}` })
    let data: Record<string, unknown>
    try {
      data = JSON.parse(text) as Record<string, unknown>
    } catch {
      this.emit({ type: 'log', level: 'info', message: text, stream: 'stdout' })
      return
    }
    switch (data.type) {
      case 'thread.started':
        if (typeof data.thread_id === 'string') {
          this.threadId = data.thread_id
          this.emit({ type: 'session', sessionId: data.thread_id })
        }
        return
      case 'item.started':
      case 'item.updated':
      case 'item.completed':
        this.onItem(data.type, (data.item ?? {}) as Item)
        return
      case 'turn.completed': {
        this.completed = true
        this.cumulative = (data.usage ?? {}) as CodexUsage
        this.emit({ type: 'usage', ...this.usage() })
        return
      }
      case 'turn.failed': {
        const message = (data.error as { message?: string } | undefined)?.message ?? 'the turn failed'
        this.failure = errorFromTurnFailure(message)
        return
      }
      case 'error':
        this.emit({ type: 'log', level: 'warn', message: `codex: ${String(data.message ?? text)}` })
        return
      default:
        return
    }
  }

  /** This turn's usage in weft's convention (non-overlapping counts), as a delta on a resumed thread. */
  usage(): Partial<Usage> & { model?: string } {
    const now = this.cumulative ?? {}
    const before = this.options.previous ?? {}
    const d = (k: keyof CodexUsage) => Math.max(0, (now[k] ?? 0) - (before[k] ?? 0))
    const cached = d('cached_input_tokens')
    const cacheWrite = d('cache_write_input_tokens')
    const reasoning = d('reasoning_output_tokens')
    return {
      inputTokens: Math.max(0, d('input_tokens') - cached - cacheWrite),
      outputTokens: Math.max(0, d('output_tokens') - reasoning),
      cacheReadTokens: cached,
      cacheWriteTokens: cacheWrite,
      reasoningTokens: reasoning,
      ...(this.options.model ? { model: this.options.model } : {}),
    }
  }

  /** The result once the process exited 0. */
  result(): TaskResult {
    if (this.failure) throw this.failure
    if (!this.completed)
      throw new BackendError(
        'bad_output',
        'codex exited without completing the turn (no turn.completed line)',
        {
          retryable: true,
        },
      )
    const text = this.lastMessage ?? ''
    return {
      output: text,
      text,
      usage: this.usage(),
      ...(this.threadId ? { sessionId: this.threadId } : {}),
    }
  }

  private onItem(phase: string, item: Item): void {
    const tool = this.tool.bind(this, phase)
    const id = item.id ?? 'item'
    switch (item.type) {
      case 'agent_message':
        if (phase === 'item.completed' && typeof item.text === 'string') {
          this.lastMessage = item.text
          this.emit({ type: 'message', role: 'assistant', text: item.text })
        }
        return
      case 'reasoning':
        if (phase === 'item.completed' && item.text)
          this.emit({ type: 'message', role: 'assistant', text: `[reasoning] ${item.text}` })
        return
      case 'error':
        if (phase === 'item.completed')
          this.emit({ type: 'log', level: 'warn', message: `codex: ${item.message ?? 'error'}` })
        return
      case 'todo_list':
        if (phase === 'item.completed')
          this.emit({
            type: 'log',
            level: 'info',
            message: `codex plan: ${JSON.stringify(item.items ?? [])}`,
          })
        return
      case 'command_execution':
        tool(id, 'shell', { command: item.command ?? '' }, () => {
          const failed = item.status === 'failed' || (item.exit_code != null && item.exit_code !== 0)
          const output: Json = { exitCode: item.exit_code ?? null, output: item.aggregated_output ?? '' }
          return failed ? { output, error: `exit code ${item.exit_code ?? 'unknown'}` } : { output }
        })
        return
      case 'file_change':
        tool(id, 'file_change', { changes: item.changes ?? null }, () =>
          item.status === 'failed'
            ? { error: 'the patch was not applied' }
            : { output: item.changes ?? null },
        )
        return
      case 'mcp_tool_call':
        tool(id, `${item.server ?? 'mcp'}.${item.tool ?? 'tool'}`, item.arguments ?? null, () =>
          item.error?.message || item.status === 'failed'
            ? { error: item.error?.message ?? 'failed' }
            : { output: item.result ?? null },
        )
        return
      case 'web_search':
        tool(id, 'web_search', { query: item.query ?? '' }, () => ({}))
        return
      default:
        return
    }
  }

  private tool(
    phase: string,
    id: string,
    name: string,
    input: Json,
    end: () => { output?: Json; error?: string },
  ): void {
    if (!this.started.has(id)) {
      this.started.add(id)
      this.emit({ type: 'tool_start', toolId: id, name, input })
    }
    if (phase === 'item.completed') this.emit({ type: 'tool_end', toolId: id, name, ...end() })
  }
}

/** Maps the message of a `turn.failed` line to a BackendError with the right retry flag. */
export function errorFromTurnFailure(message: string): BackendError {
  const text = `codex: ${message}`
  // The message ends with the URL, whose port may look like a status: look at the part before it.
  const head = message.replace(/,?\s*url:\s*\S+\s*$/i, '')
  if (/\b40[13]\b|unauthori[sz]ed|forbidden|invalid api key|incorrect api key|not logged in/i.test(head))
    return new BackendError('auth', text, {
      retryable: false,
      hint: 'check the API key (with.apiKeyEnv, default OPENAI_API_KEY) or run `codex login`',
    })
  if (/\b429\b|too many requests|rate.?limit|quota/i.test(head))
    return new BackendError('rate_limit', text, { retryable: true })
  if (
    /\b5\d\d\b|high demand|internal server error|server error|overloaded|service unavailable|bad gateway/i.test(
      head,
    )
  )
    return new BackendError('server_error', text, { retryable: true })
  if (/stream disconnected|connection|timed out|reconnect/i.test(head))
    return new BackendError('server_error', text, { retryable: true })
  return new BackendError('failed', text, { retryable: false })
}
