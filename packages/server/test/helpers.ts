import { mkdtemp, rm } from 'node:fs/promises'
import { type IncomingHttpHeaders, type RequestOptions, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiErrorBodySchema } from '@weft/api'
import { createMockBackend } from '@weft/backend-mock'
import { createRuntime, type RunSummary, type Runtime, type RuntimeOptions } from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'
import { eventually, mockWorkflows, perFile } from '@weft/testing'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { expect } from 'vitest'
import {
  createServer,
  createServerMetrics,
  instrumentStore,
  type ServerOptions,
  type WeftServer,
} from '../src/index.js'

export interface LogRecord {
  level: 'info' | 'warn' | 'error'
  msg?: string
  obj: object
}

export interface Harness {
  runtime: Runtime
  server: WeftServer
  url: string
  logs: LogRecord[]
  dir: string
  close(): Promise<void>
}

/** A real runtime (mock backend; SQLite in a temp dir unless `memory`) behind a real server on 127.0.0.1:0. */
export async function startHarness(
  options: {
    memory?: boolean
    server?: ServerOptions
    runtime?: Partial<RuntimeOptions>
    /** Prepares the temp dir (e.g. a workflows folder) before the server starts. */
    setup?: (dir: string) => Promise<Partial<ServerOptions>>
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-server-'))
  const extra = (await options.setup?.(dir)) ?? {}
  const metrics = options.server?.metrics ?? createServerMetrics({ defaultMetrics: false })
  const store = options.memory
    ? undefined
    : instrumentStore(createSqliteStore({ path: join(dir, 'weft.db') }), metrics)
  const runtime = createRuntime({
    backends: [createMockBackend()],
    ...(store ? { store } : {}),
    reporter: { warn() {} },
    ...options.runtime,
  })
  const logs: LogRecord[] = []
  const log = (level: LogRecord['level']) => (obj: object, msg?: string) => {
    logs.push({ level, obj, ...(msg !== undefined ? { msg } : {}) })
  }
  const server = createServer(runtime, {
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    version: '9.9.9-test',
    ...options.server,
    ...extra,
    metrics,
  })
  const { url } = await server.listen({ port: 0 })
  return {
    runtime,
    server,
    url,
    logs,
    dir,
    async close() {
      await server.close({ graceMs: 2000 })
      await runtime.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The harness of a test file: started before its tests, closed after them. */
export function useHarness(options?: Parameters<typeof startHarness>[0]): Harness {
  return perFile(() => startHarness(options), 'the harness')
}

/** A JSON answer, read field by field in assertions (after schema checks where it matters). */
// biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely
export type Loose = any

export interface ApiAnswer<T = Loose> {
  status: number
  headers: Headers
  body: T
  text: string
}

/** One request; the body is parsed as JSON when it is JSON. */
export async function call<T = Loose>(
  url: string,
  path: string,
  init: {
    method?: string
    json?: unknown
    body?: string
    key?: string
    headers?: Record<string, string>
  } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) }
  if (init.key) headers.authorization = `Bearer ${init.key}`
  let body: string | undefined = init.body
  if (init.json !== undefined) {
    body = JSON.stringify(init.json)
    headers['content-type'] ??= 'application/json'
  }
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    ...(body !== undefined ? { body } : {}),
  })
  const text = await res.text()
  let parsed: unknown = text
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = text
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text }
}

export interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/**
 * One request through node:http, for what fetch will not send: a Host header of the test's
 * choosing, a method or a request line the HTTP parser refuses. The whole body comes back as text.
 */
export function rawRequest(url: string, options: RequestOptions, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        text += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The answer is an API error with this status and code. */
export function expectError(answer: ApiAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code })
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
  expect(ApiErrorBodySchema.safeParse(answer.body).success).toBe(true)
}

/** `eventually` with this suite's patience (30 s): polls until `check` gives a value. */
export function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  return eventually(check, what, timeoutMs)
}

export async function waitForRun(
  h: { url: string },
  runId: string,
  pred: (run: RunSummary) => boolean,
  what = 'the run',
  key?: string,
): Promise<RunSummary> {
  return waitFor(async () => {
    const r = await call(h.url, `/api/v1/runs/${runId}`, key ? { key } : {})
    return r.status === 200 && pred(r.body.run) ? (r.body.run as RunSummary) : undefined
  }, what)
}

export const isFinished = (r: RunSummary) => ['succeeded', 'failed', 'canceled'].includes(r.status)

export interface SseStream {
  status: number
  headers: Headers
  /** Parsed messages as they arrive. */
  messages: EventSourceMessage[]
  comments: string[]
  /** Resolves with the messages once the server ends the stream. */
  ended: Promise<EventSourceMessage[]>
  /** Resolves when a message matches. */
  until(pred: (m: EventSourceMessage) => boolean, what: string): Promise<EventSourceMessage>
  /** Drops the connection (the client goes away). */
  abort(): void
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController()
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  })
  const messages: EventSourceMessage[] = []
  const comments: string[] = []
  let notify: (() => void) | undefined
  const parser = createParser({
    onEvent(m) {
      messages.push(m)
      notify?.()
    },
    onComment(c) {
      comments.push(c)
      notify?.()
    },
  })
  const ended = (async () => {
    if (!res.body) return messages
    const decoder = new TextDecoder()
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }))
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err
    }
    notify?.()
    return messages
  })()
  ended.catch(() => {})
  let done = false
  void ended.finally(() => {
    done = true
    notify?.()
  })
  return {
    status: res.status,
    headers: res.headers,
    messages,
    comments,
    ended,
    abort: () => controller.abort(),
    async until(pred, what) {
      const deadline = Date.now() + 30_000
      for (;;) {
        const m = messages.find(pred)
        if (m) return m
        if (done) throw new Error(`the stream ended before ${what}`)
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200)
          notify = () => {
            clearTimeout(t)
            resolve()
          }
        })
      }
    },
  }
}

/** Workflows used across the suites (mock backend only). */
export const workflows = {
  quick: (name = 'quick') => ({
    weft: 1,
    name,
    defaults: { backend: 'mock' },
    tasks: {
      a: {
        prompt: 'first',
        with: { delayMs: 20, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.001, model: 'mock-1' } },
      },
      b: { needs: ['a'], prompt: 'second: ${{ tasks.a.output }}', with: { delayMs: 20 } },
      c: { needs: ['a'], prompt: 'third', with: { events: [{ message: 'working' }, { log: 'a log line' }] } },
    },
  }),
  /** `hang`: one task until canceled; `approval`: a gate between two tasks. */
  ...mockWorkflows,
}

/** The seqs of a list of SSE messages (event messages only). */
export function seqsOf(messages: EventSourceMessage[]): number[] {
  return messages.filter((m) => m.event !== 'end' && m.id !== undefined).map((m) => Number(m.id))
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
