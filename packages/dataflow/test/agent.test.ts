import { createMockBackend } from '@weft/backend-mock'
import { createCostModel } from '@weft/cost'
import { defineComponent, definePlugin } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { createDataflow } from '../src/index.js'
import { graph, run } from './helpers.js'

const agentGraph = (withOptions: Record<string, unknown>, onError?: 'drop' | 'fail') =>
  graph(
    {
      src: { component: 'input' },
      ask: { component: 'agent', with: withOptions, ...(onError ? { onError } : {}) },
      sink: { component: 'output' },
    },
    ['src.out -> ask.in', 'ask.out -> sink.in'],
  )

describe('the agent component', () => {
  it('sends each message through a weft backend (the mock) and counts usage and cost', async () => {
    const r = await run(
      agentGraph({
        backend: 'mock',
        prompt: 'Summarize ${{ value.title }}',
        model: 'claude-sonnet-4-5',
        emit: 'result',
        with: { usage: { inputTokens: 1000, outputTokens: 200 } },
      }),
      [{ title: 'a' }, { title: 'b' }],
      { backends: [createMockBackend()], cost: createCostModel() },
    )
    expect(r.snapshot.state).toBe('completed')
    expect(r.values.map((v) => (v as { output: unknown }).output)).toEqual([
      'mock: Summarize a',
      'mock: Summarize b',
    ])
    const usage = r.snapshot.metrics.usage
    expect(usage).toMatchObject({ inputTokens: 2000, outputTokens: 400 })
    // Priced from the catalog: a positive cost, the same for each identical call.
    expect(usage.costUsd).toBeGreaterThan(0)
    expect((r.values[0] as { costUsd: number }).costUsd * 2).toBeCloseTo(usage.costUsd, 10)
  })

  it('applies the node budget before each call: a message that would go over fails by onError', async () => {
    const r = await run(
      agentGraph(
        {
          backend: 'mock',
          with: { output: 'ok', usage: { inputTokens: 100, outputTokens: 100, costUsd: 0.4 } },
          budget: { maxCostUsd: 1 },
        },
        'drop',
      ),
      [1, 2, 3, 4],
      { backends: [createMockBackend()], cost: createCostModel() },
    )
    // The mock's reported cost is the estimate too: two calls fit ($0.80), the third would not.
    expect(r.values).toEqual(['ok', 'ok'])
    expect(r.snapshot.metrics.usage.costUsd).toBeCloseTo(0.8)
    const errors = r.execution.events().filter((e) => e.type === 'node.error')
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatchObject({
      message: expect.stringMatching(/^budget exceeded: node 'ask' has spent \$0\.8000 of \$1/),
    })
  })

  it('validates the backend name and its options', async () => {
    const df = createDataflow({ backends: [createMockBackend()] })
    const unknown = await df.validate(agentGraph({ backend: 'mok' }))
    expect(unknown.diagnostics.find((d) => d.path === 'nodes.ask.with.backend')?.message).toMatch(
      /unknown backend 'mok'/,
    )
  })
})

describe('custom components from a plugin', () => {
  it('uses a component published with definePlugin({ components })', async () => {
    const plugin = definePlugin({
      name: 'acme-dataflow',
      components: [
        defineComponent<{ by: number }>({
          id: 'acme.scale',
          inputs: [{ name: 'in', type: 'number' }],
          outputs: [{ name: 'out', type: 'number' }],
          process: (ctx, _port, value) => ctx.emit('out', (value as number) * 3),
        }),
      ],
    })
    const doc = graph(
      { src: { component: 'input' }, s: { component: 'acme.scale' }, sink: { component: 'output' } },
      ['src.out -> s.in', 's.out -> sink.in'],
    )
    expect((await run(doc, [1, 2], { plugins: [plugin] })).values).toEqual([3, 6])
  })
})
