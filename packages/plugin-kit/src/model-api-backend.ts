import {
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  type BackendError,
  type BackendEvent,
  type BackendHealth,
  type TaskRequest,
  type TaskResult,
} from '@weft/spec'
import type { z } from 'zod'
import { MODEL_API_CAPABILITIES, MODEL_API_RETRY, postSse } from './http.js'
import { beginModelAttempt, type ModelApiSettings } from './model-api.js'
import type { EventSourceMessage } from './sse.js'
import { traceHeaders } from './trace.js'

/** The streaming request one attempt sends, as the backend builds it from the task. */
export interface ModelApiCall {
  url: string
  /** The endpoint's own headers (the key, the API version); the call's trace headers are added. */
  headers: Record<string, string>
  /** Sent as JSON. */
  body: unknown
  /** Maps an error status (the body is still unread) to a BackendError. */
  errorFromResponse: (response: Response) => Promise<BackendError>
}

export interface ModelApiBackendSetup<Schema extends z.ZodType, Stream> {
  /** The name workflows use in `backend:`. */
  id: string
  label: string
  /** How messages name the API (`Anthropic API`). */
  api: string
  /** The schema of a task's `with`. */
  schema: Schema
  /** From `modelApiSettings`: the fetch and the stub mode the backend uses. */
  settings: Pick<ModelApiSettings, 'fetch' | 'stubOf'>
  /** The abort error's message when the signal's reason carries none. */
  canceled: string
  /** The recorded SSE transcript replayed in stub mode. */
  transcript: string
  /** The backend's parser of the SSE stream, over the attempt's emitter. */
  stream: (emit: (event: BackendEvent) => void, logRaw: boolean) => Stream
  /**
   * The request of an attempt that is not stubbed; it throws (an `auth` error) when the endpoint
   * cannot be asked, for instance without a key.
   */
  call: (request: TaskRequest, options: z.output<Schema>) => ModelApiCall
  /** The healthcheck outside stub mode (key present, endpoint reachable). */
  health: () => Promise<BackendHealth>
}

/**
 * A backend that streams each task's prompt to an HTTP model API: every attempt parses its `with`,
 * replays the transcript in stub mode or else POSTs the backend's request with the call's trace
 * headers and feeds the SSE answer to the backend's stream parser, whose result is the task's.
 * The backend says only what differs: its request, its parser and its healthcheck.
 */
export function createModelApiBackend<
  Schema extends z.ZodType,
  Stream extends { onEvent: (event: EventSourceMessage) => void; result: () => TaskResult },
>(setup: ModelApiBackendSetup<Schema, Stream>): Backend {
  const { id, settings, canceled } = setup

  const execute: Backend['execute'] = async (request, ctx) => {
    const { options, stream, stubbed } = beginModelAttempt(request, ctx, {
      id,
      schema: setup.schema,
      canceled,
      settings,
      transcript: setup.transcript,
      stream: setup.stream,
    })
    if (stubbed) return stream.result()
    const call = setup.call(request, options)
    await postSse({
      api: setup.api,
      url: call.url,
      headers: { ...call.headers, ...traceHeaders(request) },
      body: call.body,
      signal: ctx.signal,
      canceled,
      fetch: settings.fetch,
      onEvent: stream.onEvent,
      errorFromResponse: call.errorFromResponse,
    })
    return stream.result()
  }

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id,
    label: setup.label,
    capabilities: MODEL_API_CAPABILITIES,
    optionsSchema: setup.schema,
    retry: MODEL_API_RETRY,
    execute,

    async healthcheck(): Promise<BackendHealth> {
      if (settings.stubOf({}))
        return { ok: true, details: 'stub mode: replays a recorded transcript, no network' }
      return setup.health()
    },
  }
}
