/**
 * A small OpenTelemetry collector for tests: an HTTP server on 127.0.0.1 that accepts OTLP/HTTP
 * exports in JSON (`POST /v1/traces`, `/v1/metrics`, `/v1/logs`, gzip or not), decodes them and
 * keeps the spans and metric points, so a test can check the trace a real exporter sent.
 * Protobuf bodies are answered 415: point the exporter at the JSON encoding (the default of
 * `@opentelemetry/exporter-*-otlp-http`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { renderTraceSvg, renderTraceText } from './render.js'
import type { ReceivedMetricPoint, ReceivedSpan, SpanStatus } from './types.js'

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  url: string
  /** Every span received, in arrival order. */
  spans: ReceivedSpan[]
  /** Every metric data point received, in arrival order (each export adds its points again). */
  metrics: ReceivedMetricPoint[]
  /** Requests by path (`/v1/traces`: 3). */
  requests: Record<string, number>
  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[]
  /** Resolves with the spans received once `predicate` holds; rejects after `timeoutMs` (default 10 s). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>
  /** The trace as an indented tree with times relative to its first span (see `renderTraceText`). */
  render(traceId: string): string
  /** The trace as an SVG waterfall (see `renderTraceSvg`). */
  renderSvg(traceId: string): string
  close(): Promise<void>
}

export async function startOtlpReceiver(options: { port?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const metrics: ReceivedMetricPoint[] = []
  const requests: Record<string, number> = {}
  const waiters = new Set<() => void>()

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    requests[path] = (requests[path] ?? 0) + 1
    if (req.method !== 'POST') {
      res.writeHead(405).end()
      return
    }
    readBody(req)
      .then((raw) => {
        const type = String(req.headers['content-type'] ?? '')
        if (!type.includes('json')) {
          res.writeHead(415, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ message: 'this test receiver decodes OTLP JSON only' }))
          return
        }
        const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
        if (path === '/v1/traces') spans.push(...decodeSpans(body))
        else if (path === '/v1/metrics') metrics.push(...decodeMetrics(body))
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{}')
        for (const w of waiters) w()
      })
      .catch((err: Error) => {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ message: err.message }))
      })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    requests,
    trace: (traceId) => spans.filter((s) => s.traceId === traceId),
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(spans)) return
          cleanup()
          resolve(spans)
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(
            new Error(
              `the OTLP receiver did not get the expected spans in ${timeoutMs} ms (${spans.length} received)`,
            ),
          )
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    render: (traceId) => renderTraceText(spans.filter((s) => s.traceId === traceId)),
    renderSvg: (traceId) => renderTraceSvg(spans.filter((s) => s.traceId === traceId)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const raw = Buffer.concat(chunks)
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
}

type Json = Record<string, unknown>
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : [])

/** An OTLP `AnyValue` as a plain value. */
function anyValue(v: unknown): unknown {
  const o = (v ?? {}) as Json
  if ('stringValue' in o) return o.stringValue
  if ('boolValue' in o) return o.boolValue
  if ('intValue' in o) return Number(o.intValue)
  if ('doubleValue' in o) return Number(o.doubleValue)
  if ('arrayValue' in o) return list((o.arrayValue as Json)?.values).map(anyValue)
  if ('kvlistValue' in o) return attributes((o.kvlistValue as Json)?.values)
  return undefined
}

function attributes(v: unknown): Record<string, unknown> {
  return Object.fromEntries(list(v).map((kv) => [String(kv.key), anyValue(kv.value)]))
}

/** OTLP JSON carries ids as hex (or base64 from some encoders): always hex here. */
function hexId(v: unknown): string {
  const s = typeof v === 'string' ? v : ''
  if (s === '' || /^[0-9a-f]+$/i.test(s)) return s.toLowerCase()
  return Buffer.from(s, 'base64').toString('hex')
}

const nanosToMs = (v: unknown) => Number(BigInt(String(v ?? 0)) / 1000n) / 1000

const STATUS: Record<number, SpanStatus['code']> = { 0: 'unset', 1: 'ok', 2: 'error' }
const KIND = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const

function decodeSpans(body: Json): ReceivedSpan[] {
  const out: ReceivedSpan[] = []
  for (const rs of list(body.resourceSpans)) {
    const resource = attributes((rs.resource as Json | undefined)?.attributes)
    for (const ss of list(rs.scopeSpans)) {
      const scope = String((ss.scope as Json | undefined)?.name ?? '')
      for (const s of list(ss.spans)) {
        const status = (s.status ?? {}) as Json
        const parent = hexId(s.parentSpanId)
        out.push({
          traceId: hexId(s.traceId),
          spanId: hexId(s.spanId),
          ...(parent ? { parentSpanId: parent } : {}),
          name: String(s.name),
          kind: KIND[Number(s.kind ?? 0)] ?? 'unspecified',
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          events: list(s.events).map((e) => ({
            name: String(e.name),
            timeMs: nanosToMs(e.timeUnixNano),
            attributes: attributes(e.attributes),
          })),
          status: {
            code: STATUS[Number(status.code ?? 0)] ?? 'unset',
            ...(status.message ? { message: String(status.message) } : {}),
          },
          resource,
          scope,
        })
      }
    }
  }
  return out
}

function decodeMetrics(body: Json): ReceivedMetricPoint[] {
  const out: ReceivedMetricPoint[] = []
  for (const rm of list(body.resourceMetrics)) {
    for (const sm of list(rm.scopeMetrics)) {
      for (const m of list(sm.metrics)) {
        const name = String(m.name)
        const unit = String(m.unit ?? '')
        for (const kind of ['sum', 'gauge', 'histogram'] as const) {
          const data = m[kind] as Json | undefined
          if (!data) continue
          for (const p of list(data.dataPoints)) {
            const value = 'asDouble' in p ? Number(p.asDouble) : 'asInt' in p ? Number(p.asInt) : undefined
            out.push({
              name,
              unit,
              kind,
              attributes: attributes(p.attributes),
              ...(value !== undefined ? { value } : {}),
              ...(kind === 'histogram' ? { count: Number(p.count ?? 0), sum: Number(p.sum ?? 0) } : {}),
            })
          }
        }
      }
    }
  }
  return out
}
