import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { startOtlpReceiver } from '../src/index.js'

const T = '5b8efff798038103d269b633813fc60c'
const span = (
  id: string,
  name: string,
  parent: string | undefined,
  start: number,
  end: number,
  extra = {},
) => ({
  traceId: T,
  spanId: id,
  ...(parent ? { parentSpanId: parent } : {}),
  name,
  kind: 1,
  startTimeUnixNano: String(BigInt(start) * 1_000_000n),
  endTimeUnixNano: String(BigInt(end) * 1_000_000n),
  attributes: [],
  events: [],
  status: {},
  ...extra,
})

describe('startOtlpReceiver', () => {
  it('decodes OTLP/HTTP JSON traces and metrics (gzip too) and draws the trace', async () => {
    const r = await startOtlpReceiver()
    try {
      const traces = {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
            scopeSpans: [
              {
                scope: { name: 'test' },
                spans: [
                  span('1111111111111111', 'root', undefined, 1000, 1100),
                  span('2222222222222222', 'child', '1111111111111111', 1010, 1050, {
                    kind: 3,
                    attributes: [
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
                      { key: 'gen_ai.usage.output_tokens', value: { intValue: 3 } },
                      { key: 'ok', value: { boolValue: true } },
                      {
                        key: 'list',
                        value: { arrayValue: { values: [{ stringValue: 'a' }, { doubleValue: 1.5 }] } },
                      },
                    ],
                    events: [{ name: 'retry', timeUnixNano: String(1020n * 1_000_000n), attributes: [] }],
                    status: { code: 2, message: 'boom' },
                  }),
                ],
              },
            ],
          },
        ],
      }
      const res = await fetch(`${r.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(traces)),
      })
      expect(res.status).toBe(200)
      const metrics = {
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'c',
                    unit: '1',
                    sum: {
                      dataPoints: [{ asInt: '4', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }],
                    },
                  },
                  {
                    name: 'h',
                    unit: 's',
                    histogram: { dataPoints: [{ count: '2', sum: 0.5, attributes: [] }] },
                  },
                ],
              },
            ],
          },
        ],
      }
      await fetch(`${r.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(metrics),
      })
      const proto = await fetch(`${r.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array([1, 2, 3]),
      })
      expect(proto.status).toBe(415)

      await r.waitFor((s) => s.length === 2, 1000)
      const child = r.spans.find((s) => s.name === 'child')!
      expect(child).toMatchObject({
        traceId: T,
        parentSpanId: '1111111111111111',
        kind: 'client',
        startMs: 1010,
        endMs: 1050,
        status: { code: 'error', message: 'boom' },
        attributes: {
          'gen_ai.usage.input_tokens': 12,
          'gen_ai.usage.output_tokens': 3,
          ok: true,
          list: ['a', 1.5],
        },
        resource: { 'service.name': 'svc' },
        scope: 'test',
      })
      expect(r.metrics).toEqual([
        { name: 'c', unit: '1', kind: 'sum', attributes: { k: 'v' }, value: 4 },
        { name: 'h', unit: 's', kind: 'histogram', attributes: {}, count: 2, sum: 0.5 },
      ])
      expect(r.render(T).split('\n')).toEqual([
        'root      0 ms → 100 ms',
        '└─ child  10 ms → 50 ms  [ERROR; tokens in/out=12/3; events: retry]',
      ])
      expect(r.renderSvg(T)).toMatch(/^<svg [^>]*>[\s\S]*child[\s\S]*<\/svg>\n$/)
      expect(r.requests).toEqual({ '/v1/traces': 2, '/v1/metrics': 1 })
    } finally {
      await r.close()
    }
  })
})
