import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataflowEvent } from '../src/index.js'
import { graph, run } from './helpers.js'

/** input → the node under test → output (one port each way). */
const through = (component: string, options?: Record<string, unknown>, onError?: 'drop' | 'route' | 'fail') =>
  graph(
    {
      src: { component: 'input' },
      n: { component, ...(options ? { with: options } : {}), ...(onError ? { onError } : {}) },
      sink: { component: 'output' },
    },
    ['src.out -> n.in', 'n.out -> sink.in'],
  )

describe('built-in components', () => {
  it('passthrough forwards unchanged', async () => {
    expect((await run(through('passthrough'), [1, 'two', { three: 3 }, null])).values).toEqual([
      1,
      'two',
      { three: 3 },
      null,
    ])
  })

  it('logger logs each message as a node.log event and forwards it', async () => {
    const r = await run(through('logger', { level: 'warn', label: 'seen' }), [{ a: 1 }])
    expect(r.values).toEqual([{ a: 1 }])
    expect(r.execution.events().find((e) => e.type === 'node.log')).toMatchObject({
      nodeId: 'n',
      level: 'warn',
      message: 'seen: {"a":1}',
    })
  })

  it('delay forwards after ms, in order', async () => {
    const r = await run(through('delay', { ms: 5 }), [3, 2, 1])
    expect(r.values).toEqual([3, 2, 1])
    expect(r.snapshot.metrics.nodes.n!.latency.maxMs).toBeGreaterThanOrEqual(4)
  })

  it('filter splits on a JavaScript expression into out and rejected', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        f: { component: 'filter', with: { expression: 'value.n > 10 && value.tag !== "skip"' } },
        yes: { component: 'output' },
        no: { component: 'output' },
      },
      ['src.out -> f.in', 'f.out -> yes.in', 'f.rejected -> no.in'],
    )
    const r = await run(doc, [{ n: 5 }, { n: 11 }, { n: 12, tag: 'skip' }, { n: 20 }])
    expect(r.outputs.filter((o) => o.node === 'yes').map((o) => o.value)).toEqual([{ n: 11 }, { n: 20 }])
    expect(r.outputs.filter((o) => o.node === 'no')).toHaveLength(2)
  })

  it('map transforms, in the fast path and in the sandbox alike', async () => {
    expect((await run(through('map', { expression: 'value * 2 + 1' }), [1, 2])).values).toEqual([3, 5])
    expect(
      (await run(through('map', { expression: 'value * 2 + 1', sandboxed: true }), [1, 2])).values,
    ).toEqual([3, 5])
    // Outside the fast subset (a call): QuickJS runs it.
    expect(
      (await run(through('map', { expression: 'Math.max(...value.xs)' }), [{ xs: [3, 9, 4] }])).values,
    ).toEqual([9])
    expect(
      (await run(through('map', { expression: '({ n: value, even: value % 2 === 0 })' }), [2])).values,
    ).toEqual([{ n: 2, even: true }])
  })

  it('merge takes several named input ports into one output', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        a: { component: 'map', with: { expression: 'value + 1' } },
        b: { component: 'map', with: { expression: 'value - 1' } },
        m: { component: 'merge', with: { inputs: ['left', 'right'], tag: true } },
        sink: { component: 'output' },
      },
      ['src.out -> a.in', 'src.out -> b.in', 'a.out -> m.left', 'b.out -> m.right', 'm.out -> sink.in'],
    )
    const r = await run(doc, [10])
    expect(r.values).toEqual(
      expect.arrayContaining([
        { port: 'left', value: 11 },
        { port: 'right', value: 9 },
      ]),
    )
    expect(r.values).toHaveLength(2)
  })

  it('split routes by the first matching expression, else to default', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        s: { component: 'split', with: { routes: { big: 'value >= 100', small: 'value < 10' } } },
        big: { component: 'output' },
        small: { component: 'output' },
        mid: { component: 'output' },
      },
      ['src.out -> s.in', 's.big -> big.in', 's.small -> small.in', 's.default -> mid.in'],
    )
    const r = await run(doc, [5, 50, 500, 1])
    const by = (n: string) => r.outputs.filter((o) => o.node === n).map((o) => o.value)
    expect([by('big'), by('small'), by('mid')]).toEqual([[500], [5, 1], [50]])
  })

  it('accumulator emits full batches and flushes the rest at the end', async () => {
    expect((await run(through('accumulator', { size: 3 }), [1, 2, 3, 4, 5, 6, 7])).values).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7],
    ])
  })

  it('window emits tumbling and sliding aggregates', async () => {
    expect((await run(through('window', { size: 2, aggregate: 'sum' }), [1, 2, 3, 4, 5])).values).toEqual([
      3, 7,
    ])
    expect(
      (await run(through('window', { size: 3, slide: 1, aggregate: 'max' }), [1, 5, 2, 0, 0])).values,
    ).toEqual([5, 5, 2])
  })

  it('json-transform extracts a path, picks, renames and sets keys', async () => {
    const r = await run(
      through('json-transform', {
        path: 'data.items[1]',
        pick: ['id', 'name'],
        rename: { name: 'title' },
        set: { source: 'api' },
      }),
      [{ data: { items: [{ id: 1 }, { id: 2, name: 'b', secret: 'x' }] } }, { data: {} }],
    )
    expect(r.values).toEqual([{ id: 2, title: 'b', source: 'api' }, null])
  })

  describe('http-request (a real server on 127.0.0.1)', () => {
    let server: Server
    let base: string
    let flaky = 0
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (c) => {
          body += c
        })
        req.on('end', () => {
          if (req.url === '/flaky' && flaky++ < 2) {
            res.writeHead(503).end('busy')
            return
          }
          if (req.url === '/slow') {
            setTimeout(() => res.end('late'), 500)
            return
          }
          if (req.url === '/missing') {
            res.writeHead(404).end('no such thing')
            return
          }
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ method: req.method, url: req.url, got: body ? JSON.parse(body) : null }))
        })
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(() => new Promise<void>((r) => server.close(() => r())))

    it('posts each message and emits the parsed response', async () => {
      const r = await run(through('http-request', { url: `${base}/echo`, method: 'POST' }), [{ q: 1 }])
      expect(r.values).toEqual([
        expect.objectContaining({ status: 200, body: { method: 'POST', url: '/echo', got: { q: 1 } } }),
      ])
    })

    it('retries 5xx with backoff, and times out a slow answer with a clear error', async () => {
      const ok = await run(through('http-request', { url: `${base}/flaky`, retries: 2, retryDelayMs: 5 }), [
        {},
      ])
      expect(ok.values).toEqual([expect.objectContaining({ status: 200 })])
      const slow = await run(through('http-request', { url: `${base}/slow`, timeoutMs: 50 }, 'drop'), [{}])
      expect(slow.values).toEqual([])
      const err = slow.execution
        .events()
        .find((e): e is Extract<DataflowEvent, { type: 'node.error' }> => e.type === 'node.error')
      expect(err?.message).toMatch(/timed out after 50 ms \(after 1 attempt\)/)
      const missing = await run(through('http-request', { retries: 3 }, 'drop'), [{ url: `${base}/missing` }])
      expect(missing.execution.events().find((e) => e.type === 'node.error')).toMatchObject({
        message: expect.stringMatching(/answered 404: no such thing/),
      })
    })
  })
})
