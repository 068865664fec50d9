import type { IncomingHttpHeaders } from 'node:http'

/**
 * Token counts of a scripted reply, in weft's convention (they do not overlap). Each wire format
 * renders them its own way: OpenAI's `prompt_tokens` includes the cached tokens and its
 * `completion_tokens` the reasoning tokens, so a backend under test has to subtract them again.
 */
export interface FakeUsage {
  inputTokens?: number
  outputTokens?: number
  cacheReadTokens?: number
  cacheWriteTokens?: number
  reasoningTokens?: number
}

/** What the fake server answers to one request. Fields combine: `{ thinking, text, usage }`. */
export interface FakeReply {
  /** The answer text, streamed in a few deltas. Default: `Hello from the fake model.` */
  text?: string
  /** A reasoning/thinking block streamed before the text. */
  thinking?: string
  /** A tool call streamed after the text (its input arrives as partial JSON). */
  toolCall?: { name: string; input: Record<string, unknown>; id?: string }
  /** Answer with this HTTP status and an error body in the format's shape instead of a stream. */
  status?: number
  /** The error body to send with `status` (default: the format's own error shape). */
  body?: unknown
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>
  /** Wait this long before each chunk, so a test can cancel mid-stream. */
  slowMs?: number
  /** Send this many chunks, then destroy the socket: a connection that drops mid-stream. */
  dropAfterChunks?: number
  usage?: FakeUsage
  /** The model name the reply reports. Default: the model of the request. */
  model?: string
}

export type FakeFormat = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini'

export interface RecordedRequest {
  method: string
  /** The path without the query string, e.g. `/v1/messages`. */
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body?: unknown
  /** Which wire format answered it, when one did. */
  format?: FakeFormat
  /** The reply the request got (resolved from the script, `respond` or the default). */
  reply?: FakeReply
  /** Set when the client went away before the reply finished (e.g. an aborted fetch). */
  clientAborted: boolean
  /** Set when the reply finished completely. */
  completed: boolean
}

export interface FakeModelServerOptions {
  /** The reply when nothing is scripted. */
  defaultReply?: FakeReply
  /**
   * Chooses a reply for a request when the script is empty (return undefined for the default).
   * Useful when requests arrive in no fixed order, as in a conformance suite.
   */
  respond?: (request: RecordedRequest) => FakeReply | undefined
  /** Port to listen on; default 0 (any free port). */
  port?: number
}

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string
  port: number
  /** Every request received, in order. */
  requests: RecordedRequest[]
  /** Queues replies for the next requests, one each, before `respond` and the default apply. */
  script(next: FakeReply | FakeReply[]): void
  close(): Promise<void>
}

/** One SSE chunk as written to the socket (`event: …\ndata: …\n\n`). */
export type SseChunk = string
