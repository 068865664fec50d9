import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDataflow } from '../src/index.js'
import { graph } from './helpers.js'

const df = createDataflow()
const codes = (r: { diagnostics: { code: string }[] }) => r.diagnostics.map((d) => d.code)

describe('graph validation', () => {
  it('accepts the minimal shape from YAML and plans it in topological order', async () => {
    const r = await df.validateFile(
      new URL('../../../examples/dataflow/evens.yaml', import.meta.url).pathname,
    )
    expect(r.diagnostics).toEqual([])
    expect(r.plan?.nodes.map((n) => n.id)).toEqual(['src', 'keep', 'sq', 'sink'])
    expect(r.plan?.topology).toMatchObject({
      inputs: ['src'],
      outputs: ['sink'],
      levels: { src: 0, keep: 1, sq: 2, sink: 3 },
    })
  })

  it('names the file, line, path and fix of each problem, all at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-df-'))
    const file = join(dir, 'bad.yaml')
    await writeFile(
      file,
      [
        'weft: 1',
        'kind: dataflow',
        'name: bad',
        'nodes:',
        '  src: { component: input }',
        '  keep: { component: fliter }',
        '  sq: { component: map, with: { expresion: "value * value" } }',
        '  sink: { component: output }',
        'edges:',
        '  - { from: src.out, to: keep.in }',
        '  - { from: src.otu, to: sink.in }',
        '  - { from: sink.in, to: src.in }',
        '  - { from: nope.out, to: sink.in }',
        '',
      ].join('\n'),
    )
    const r = await df.validateFile(file)
    expect(r.ok).toBe(false)
    const unknown = r.diagnostics.find((d) => d.code === 'unknown_component')!
    expect(unknown).toMatchObject({
      file,
      line: 6,
      path: 'nodes.keep.component',
      hint: "did you mean 'filter'?",
    })
    const option = r.diagnostics.find((d) => d.code === 'unknown_option')!
    expect(option).toMatchObject({
      line: 7,
      path: 'nodes.sq.with.expresion',
      hint: "did you mean 'expression'?",
    })
    expect(r.diagnostics.find((d) => d.code === 'missing_option')?.path).toBe('nodes.sq.with.expression')
    expect(r.diagnostics.find((d) => d.code === 'unknown_port')).toMatchObject({
      line: 11,
      path: 'edges[1].from',
      hint: "did you mean 'src.out'?",
    })
    expect(r.diagnostics.find((d) => d.code === 'wrong_direction')?.path).toBe('edges[2].from')
    expect(r.diagnostics.find((d) => d.code === 'unknown_node')?.path).toBe('edges[3].from')
  })

  it('names each cycle (Kahn leaves its nodes unordered)', async () => {
    const r = await df.validate(
      graph(
        {
          src: { component: 'input' },
          a: { component: 'merge', with: { inputs: ['in', 'back'] } },
          b: { component: 'passthrough' },
          sink: { component: 'output' },
        },
        ['src.out -> a.in', 'a.out -> b.in', 'b.out -> a.back', 'b.out -> sink.in'],
      ),
    )
    expect(r.ok).toBe(false)
    const cycle = r.diagnostics.find((d) => d.code === 'cycle')!
    expect(cycle.message).toBe('the graph has a cycle: a → b → a')
    expect(cycle.hint).toMatch(/acyclic/)
  })

  it('refuses mismatched port types and names both ends', async () => {
    const r = await df.validate(
      graph(
        {
          src: { component: 'input' },
          acc: { component: 'accumulator', with: { size: 2 } },
          http: { component: 'http-request' },
          sink: { component: 'output' },
        },
        ['src.out -> acc.in', 'acc.out -> sink.in', 'http.out -> acc.in'],
      ),
    )
    expect(codes(r)).toContain('unconnected_input')
    expect(r.diagnostics.find((d) => d.code === 'port_type_mismatch')?.message).toBeUndefined()
    // A typed input port: a custom component that takes numbers only.
    const typed = createDataflow({
      components: [
        {
          specificationVersion: 'weft.component.v1',
          id: 'sum',
          inputs: [{ name: 'in', type: 'number' }],
          outputs: [{ name: 'out', type: 'number' }],
          process: () => {},
        },
      ],
    })
    const m = await typed.validate(
      graph(
        {
          src: { component: 'input' },
          acc: { component: 'accumulator', with: { size: 2 } },
          s: { component: 'sum' },
        },
        ['src.out -> acc.in', 'acc.out -> s.in'],
      ),
    )
    expect(m.diagnostics.find((d) => d.code === 'port_type_mismatch')).toMatchObject({
      message: 'acc.out emits array but s.in takes number',
      path: 'edges[1]',
    })
  })

  it('checks a component’s with: against its schema and compiles expressions', async () => {
    const r = await df.validate(
      graph(
        {
          src: { component: 'input' },
          bad: { component: 'map', with: { expression: 'value +* 2' } },
          slow: { component: 'delay', with: { ms: -1 } },
          sink: { component: 'output' },
        },
        ['src.out -> bad.in', 'bad.out -> slow.in', 'slow.out -> sink.in'],
      ),
    )
    const syntax = r.diagnostics.find((d) => d.path === 'nodes.bad.with.expression')!
    expect(syntax.code).toBe('bad_option')
    expect(syntax.message).toMatch(/is not valid JavaScript/)
    expect(r.diagnostics.find((d) => d.path === 'nodes.slow.with.ms')?.code).toBe('bad_option')
  })

  it('reports the document shape: version, kind, unknown keys', async () => {
    const r = await df.validate({ weft: 2, kind: 'workflow', name: 'x', nodez: {}, nodes: {} })
    expect(codes(r)).toEqual(
      expect.arrayContaining(['bad_version', 'not_dataflow', 'unknown_key', 'no_nodes']),
    )
    expect(r.diagnostics.find((d) => d.code === 'unknown_key')?.hint).toBe("did you mean 'nodes'?")
  })
})
