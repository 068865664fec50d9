import { abortError, MODEL_API_CAPABILITIES, parseOptions, sleep, untilAborted } from '@weft/plugin-kit'
import {
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  BackendError,
  type Json,
  type TaskContext,
  type TaskRequest,
  type TaskResult,
} from '@weft/spec'
import { type MockEvent, type MockOptions, MockOptionsSchema } from './options.js'

export interface MockBackendOptions {
  /** The name workflows use in `backend:`. Default `mock`; change it to register several mocks. */
  id?: string
  label?: string
  /** Wait this long in every task that does not set `with.delayMs`. Default 0. */
  delayMs?: number
  /** Computes the output of tasks that do not set `with.output` (for tests written in code). */
  respond?: (request: TaskRequest) => Json | Promise<Json>
}

/** Creates the scripted, deterministic backend: no keys, no network, the same answer every time. */
export function createMockBackend(backendOptions: MockBackendOptions = {}): Backend {
  const id = backendOptions.id ?? 'mock'
  const parse = acceptedOptions(id)
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id,
    label: backendOptions.label ?? 'Mock (scripted, deterministic)',
    // It stands in for a model API backend, whose scripts also report tool calls.
    capabilities: { ...MODEL_API_CAPABILITIES, tools: true },
    optionsSchema: MockOptionsSchema,
    // `with.error` fails, `with.failTimes` fails retryably; it runs no process (no exit codes).
    errorCodes: ['failed', 'server_error', 'timeout', 'canceled', 'bad_options'],

    /**
     * A scripted mock knows what it will report: `with.usage` is its estimate, so budgets stop a
     * run before the task that would go over, not after.
     */
    estimate(request: TaskRequest) {
      // Only `with.usage` gives an estimate: without it there is nothing to parse (the runtime
      // asks before every attempt, right after parsing the same options itself).
      if (request.options?.usage === undefined) return undefined
      const parsed = MockOptionsSchema.safeParse(request.options)
      if (!parsed.success || !parsed.data.usage) return undefined
      const { model: _model, ...counts } = parsed.data.usage
      return counts
    },

    async execute(request: TaskRequest, ctx: TaskContext): Promise<TaskResult> {
      const options = parse(request.options)
      const { signal } = ctx
      if (signal.aborted) throw abortError(signal)

      for (const [index, event] of (options.events ?? []).entries()) {
        if (event.delayMs) await sleep(event.delayMs, signal)
        if (signal.aborted) throw abortError(signal)
        emitScripted(ctx, event, index)
      }
      if (options.hang) return untilAborted(signal)
      await sleep(options.delayMs ?? backendOptions.delayMs ?? 0, signal)

      if (options.error !== undefined) throw new BackendError('failed', options.error, { retryable: false })
      if (options.failTimes !== undefined && ctx.attempt <= options.failTimes) {
        throw new BackendError(
          'server_error',
          `mock failure on attempt ${ctx.attempt} of ${options.failTimes} scripted failures`,
          {
            retryable: true,
          },
        )
      }

      const output: Json =
        options.output !== undefined
          ? options.output
          : backendOptions.respond
            ? await backendOptions.respond(request)
            : defaultOutput(request)
      if (signal.aborted) throw abortError(signal)
      const text = typeof output === 'string' ? output : JSON.stringify(output)
      if (options.stream) {
        for (const chunk of chunks(text)) ctx.emit({ type: 'delta', text: chunk })
        // Deltas are live only; the message is what the event log keeps.
        ctx.emit({ type: 'message', role: 'assistant', text })
      }
      return {
        output,
        // `text` is only for outputs whose plain rendering differs from the output itself.
        ...(typeof output === 'string' ? {} : { text }),
        // Returned, not emitted: the runtime then counts it exactly once.
        usage: usageOf(options, request, text),
        ...(options.memory ? { memory: options.memory } : {}),
      }
    },

    async healthcheck() {
      return { ok: true, details: 'scripted backend; needs nothing' }
    },
  }
}

/**
 * `parseOptions` that remembers the options it accepted as they were, by their JSON text (at most
 * 64 texts of up to 4 KB): every task of a big run, and every attempt a worker runs, comes with
 * the same `with`, and a walk through the schema for each (8 µs in a process that has run a few
 * thousand, a zod schema's code still cold) becomes a `JSON.stringify` and a `JSON.parse`. Only
 * options the schema returned unchanged are remembered (nothing coerced, nothing filled in), so the
 * copy read back from the text is what a parse would have given. Anything else is parsed each time.
 */
function acceptedOptions(id: string): (raw: unknown) => MockOptions {
  const accepted = new Set<string>()
  const textOf = (value: unknown): string | undefined => {
    try {
      return JSON.stringify(value)
    } catch {
      return undefined
    }
  }
  return (raw) => {
    const value = raw ?? {}
    let text: string | undefined
    if (accepted.size > 0) {
      text = textOf(value)
      if (text !== undefined && accepted.has(text)) return JSON.parse(text) as MockOptions
    }
    const options = parseOptions(MockOptionsSchema, id, value)
    if (accepted.size < 64) {
      text ??= textOf(value)
      if (text !== undefined && text.length <= 4096 && textOf(options) === text) accepted.add(text)
    }
    return options
  }
}

/** Deterministic for the same request: the same prompt always gives the same output. */
function defaultOutput(request: TaskRequest): string {
  const source =
    request.prompt ?? (request.input !== undefined ? JSON.stringify(request.input) : `task ${request.taskId}`)
  return `mock: ${source.slice(0, 60)}`
}

function emitScripted(ctx: TaskContext, event: MockEvent, index: number): void {
  if ('message' in event) ctx.emit({ type: 'message', role: event.role ?? 'assistant', text: event.message })
  else if ('delta' in event) ctx.emit({ type: 'delta', text: event.delta })
  else if ('tool' in event) {
    // Derived from the position in the script, so a rerun produces the same ids.
    const toolId = event.id ?? `${ctx.taskId}-${ctx.attempt}-tool-${index + 1}`
    ctx.emit({
      type: 'tool_start',
      toolId,
      name: event.tool,
      ...(event.input !== undefined ? { input: event.input } : {}),
    })
    ctx.emit({
      type: 'tool_end',
      toolId,
      name: event.tool,
      ...(event.output !== undefined ? { output: event.output } : {}),
      ...(event.error !== undefined ? { error: event.error } : {}),
    })
  } else if ('log' in event) {
    ctx.emit({
      type: 'log',
      level: event.level ?? 'info',
      message: event.log,
      ...(event.stream ? { stream: event.stream } : {}),
    })
  } else ctx.emit({ type: 'session', sessionId: event.session })
}

/** Splits text into at most four pieces, the way a model streams a short answer. */
function chunks(text: string): string[] {
  if (text.length === 0) return []
  const size = Math.max(1, Math.ceil(text.length / 4))
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** What `with.usage` says, else a rough estimate (4 characters a token) so budgets see something. */
function usageOf(options: MockOptions, request: TaskRequest, text: string): NonNullable<TaskResult['usage']> {
  if (options.usage) {
    const { model, ...counts } = options.usage
    const usage: NonNullable<TaskResult['usage']> = {}
    for (const [k, v] of Object.entries(counts)) if (v !== undefined) (usage as Record<string, number>)[k] = v
    const m = model ?? request.model
    return m ? { ...usage, model: m } : usage
  }
  const promptChars =
    (request.prompt ?? '').length + (request.input !== undefined ? JSON.stringify(request.input).length : 0)
  return {
    inputTokens: Math.ceil(promptChars / 4),
    outputTokens: Math.ceil(text.length / 4),
    ...(request.model ? { model: request.model } : {}),
  }
}
