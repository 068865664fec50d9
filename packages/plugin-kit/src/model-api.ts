import type { BackendEvent, TaskContext, TaskRequest } from '@weft/spec'
import type { z } from 'zod'
import { abortError } from './abort.js'
import { attemptEmitter } from './attempt.js'
import { apiKeyOf, type HttpBackendOptions } from './http.js'
import { parseOptions } from './options.js'
import { type EventSourceMessage, replaySse } from './sse.js'

/** Where an HTTP model backend's endpoint and key come from when neither the task nor the options say. */
export interface ModelApiDefaults {
  /** The variable of the base URL (`OPENAI_BASE_URL`). */
  baseUrlEnv: string
  /** The URL used when nothing names one (`https://api.openai.com/v1`). */
  baseUrl: string
  /** The variable of the key (`OPENAI_API_KEY`). */
  keyEnv: string
}

/** What a task's `with` may say about the endpoint (the fields every model backend's options share). */
export interface ModelApiTaskOptions {
  baseUrl?: string | undefined
  apiKeyEnv?: string | undefined
  stub?: boolean | undefined
}

export interface ModelApiSettings {
  env: Record<string, string | undefined>
  fetch: typeof fetch
  /** The task's `with.baseUrl`, the `baseUrl` option, the variable, the default; without a trailing slash. */
  baseUrlOf(options: ModelApiTaskOptions): string
  /** The key and where it came from (see `apiKeyOf`). */
  keyOf(options: ModelApiTaskOptions): { key?: string; source: string }
  /** Stub mode: the backend option, the task's `with.stub`, else `WEFT_STUB=1`. */
  stubOf(options: ModelApiTaskOptions): boolean
}

/** The settings every HTTP model backend derives from its options in the same way. */
export function modelApiSettings(
  backendOptions: HttpBackendOptions & { baseUrl?: string; apiKey?: string },
  defaults: ModelApiDefaults,
): ModelApiSettings {
  const env = backendOptions.env ?? process.env
  return {
    env,
    fetch: backendOptions.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args)),
    baseUrlOf: (options) =>
      (options.baseUrl ?? backendOptions.baseUrl ?? env[defaults.baseUrlEnv] ?? defaults.baseUrl).replace(
        /\/+$/,
        '',
      ),
    keyOf: (options) =>
      apiKeyOf({
        apiKeyEnv: options.apiKeyEnv,
        apiKey: backendOptions.apiKey,
        defaultEnv: defaults.keyEnv,
        env,
      }),
    stubOf: (options) => backendOptions.stub ?? options.stub ?? env.WEFT_STUB === '1',
  }
}

/** Stub mode of a model backend: says so in the log and replays the recorded SSE transcript. */
export function replayStub(
  emit: (event: BackendEvent) => void,
  transcript: string,
  onEvent: (event: EventSourceMessage) => void,
): void {
  emit({ type: 'log', level: 'info', message: 'stub mode: replaying a recorded transcript, no API call' })
  replaySse(transcript, onEvent)
}

export interface ModelAttemptSetup<Schema extends z.ZodType, Stream> {
  /** The backend's id, for `bad_options` messages. */
  id: string
  /** The schema of its `with`. */
  schema: Schema
  /** The abort error's message when the signal's reason carries none. */
  canceled: string
  settings: Pick<ModelApiSettings, 'stubOf'>
  /** The recorded SSE transcript replayed in stub mode. */
  transcript: string
  /** The backend's parser of the SSE stream, over the attempt's emitter. */
  stream: (emit: (event: BackendEvent) => void, logRaw: boolean) => Stream
}

/**
 * The start of every attempt of a streaming model backend: its `with` parsed (`bad_options`), an
 * aborted signal refused, an emitter that goes quiet once the attempt is over, and the backend's
 * stream parser over it. In stub mode the transcript has been replayed into the parser
 * (`stubbed`): the attempt's result is `stream.result()`.
 */
export function beginModelAttempt<
  Schema extends z.ZodType,
  Stream extends { onEvent: (event: EventSourceMessage) => void },
>(
  request: TaskRequest,
  ctx: TaskContext,
  setup: ModelAttemptSetup<Schema, Stream>,
): { options: z.output<Schema>; emit: (event: BackendEvent) => void; stream: Stream; stubbed: boolean } {
  const options = parseOptions(setup.schema, setup.id, request.options)
  const known = options as ModelApiTaskOptions & { logRaw?: boolean }
  if (ctx.signal.aborted) throw abortError(ctx.signal, setup.canceled)
  // Nothing may reach the event log once the attempt is over.
  const emit = attemptEmitter(ctx)
  const stream = setup.stream(emit, known.logRaw === true)
  const stubbed = setup.settings.stubOf(known)
  if (stubbed) replayStub(emit, setup.transcript, stream.onEvent)
  return { options, emit, stream, stubbed }
}
