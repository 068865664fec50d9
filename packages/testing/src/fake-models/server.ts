import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { anthropicError, anthropicStream } from './anthropic.js'
import { geminiError, geminiStream } from './gemini.js'
import { openaiChatStream, openaiError } from './openai-chat.js'
import { openaiResponsesStream } from './openai-responses.js'
import { DEFAULT_TEXT } from './sse.js'
import type {
  FakeFormat,
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  RecordedRequest,
  SseChunk,
} from './types.js'

const GEMINI_PATH = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):streamGenerateContent$/

/**
 * Starts a model server on 127.0.0.1 that speaks the real streaming wire formats of Anthropic
 * Messages, OpenAI Chat Completions and Responses, and Gemini, so HTTP backends and agent CLIs
 * can be tested end to end without a network or a key. Every request is recorded.
 */
export async function startFakeModelServer(options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = []
  const queue: FakeReply[] = []
  let closing = false

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake must show up in the test, not hang it.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`fake model server error: ${err instanceof Error ? err.message : String(err)}`)
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const raw = await readBody(req)
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseJson(raw),
      clientAborted: false,
      completed: false,
    }
    requests.push(recorded)
    res.on('finish', () => {
      recorded.completed = true
    })
    res.on('close', () => {
      if (!recorded.completed && !dropped.has(res)) recorded.clientAborted = true
    })

    // Reachability probes (healthchecks) and model listings.
    if (req.method === 'HEAD') return void res.writeHead(200).end()
    if (req.method === 'GET' && /^(\/v1)?\/models\/?$/.test(url.pathname)) {
      return json(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'weft' }],
      })
    }
    const route = routeOf(req.method ?? 'GET', url.pathname)
    if (!route) return json(res, 404, { error: { message: `fake model server: no route ${url.pathname}` } })
    recorded.format = route.format

    const reply = queue.shift() ??
      options.respond?.(recorded) ??
      options.defaultReply ?? { text: DEFAULT_TEXT }
    recorded.reply = reply
    if (reply.status !== undefined && reply.status >= 400) {
      return json(res, reply.status, reply.body ?? errorBody(route.format, reply.status), reply.headers)
    }
    const body = (recorded.body ?? {}) as Record<string, unknown>
    const model = reply.model ?? (typeof body.model === 'string' ? body.model : (route.model ?? 'fake-model'))
    const chunks = streamOf(route.format, reply, model, body)
    await stream(res, chunks, reply)
  }

  const dropped = new WeakSet<ServerResponse>()

  async function stream(res: ServerResponse, chunks: SseChunk[], reply: FakeReply): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...reply.headers,
    })
    res.flushHeaders()
    for (const [i, chunk] of chunks.entries()) {
      if (reply.dropAfterChunks !== undefined && i >= reply.dropAfterChunks) {
        dropped.add(res)
        // Let what was written reach the client first, so it sees a stream that stops, not none.
        await delay(20, res)
        res.socket?.destroy()
        return
      }
      if (reply.slowMs) await delay(reply.slowMs, res)
      if (res.destroyed || closing) return
      res.write(chunk)
    }
    res.end()
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script(next) {
      queue.push(...(Array.isArray(next) ? next : [next]))
    },
    async close() {
      closing = true
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Streams in progress (a slow reply nobody aborted) would keep close() waiting forever.
        server.closeAllConnections()
      })
    },
  }
}

function routeOf(method: string, path: string): { format: FakeFormat; model?: string } | undefined {
  if (method !== 'POST') return undefined
  if (path === '/v1/messages') return { format: 'anthropic' }
  if (path === '/v1/chat/completions' || path === '/chat/completions') return { format: 'openai-chat' }
  if (path === '/v1/responses' || path === '/responses') return { format: 'openai-responses' }
  const gemini = GEMINI_PATH.exec(path)
  if (gemini) return { format: 'gemini', model: decodeURIComponent(gemini[1]!) }
  return undefined
}

function streamOf(format: FakeFormat, reply: FakeReply, model: string, body: Record<string, unknown>) {
  switch (format) {
    case 'anthropic':
      return anthropicStream(reply, model)
    case 'openai-chat': {
      const streamOptions = body.stream_options as { include_usage?: boolean } | undefined
      return openaiChatStream(reply, model, streamOptions?.include_usage === true)
    }
    case 'openai-responses':
      return openaiResponsesStream(reply, model)
    case 'gemini':
      return geminiStream(reply, model)
  }
}

function errorBody(format: FakeFormat, status: number): unknown {
  if (format === 'anthropic') return anthropicError(status)
  if (format === 'gemini') return geminiError(status)
  return openaiError(status)
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}

function parseJson(raw: string): unknown {
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}

/** Waits `ms`, or less when the response closes (the client left or the server is closing). */
function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      res.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    res.once('close', done)
  })
}
