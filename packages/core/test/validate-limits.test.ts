/**
 * Crafted workflows end in diagnostics, never in a stack overflow: deep templates, deep YAML and
 * JSON, huge documents, too many tasks (issue 18, item 6).
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WORKFLOW_LIMITS } from '../src/workflow/limits.js'
import { loadWorkflowFile, parseWorkflowText } from '../src/workflow/load.js'
import { type BackendInfo, validateWorkflow } from '../src/workflow/validate.js'

const backends = new Map<string, BackendInfo>([['mock', { id: 'mock' }]])
const withWhen = (when: string) => ({ weft: 1, name: 'deep', tasks: { a: { backend: 'mock', when } } })

async function validateFile(text: string, name = 'wf.yaml') {
  const dir = await mkdtemp(join(tmpdir(), 'weft-limits-'))
  const file = join(dir, name)
  await writeFile(file, text)
  const doc = await loadWorkflowFile(file)
  return {
    file,
    ...validateWorkflow(doc.value, { file, locate: doc.locate, backends, diagnostics: doc.diagnostics }),
  }
}

describe('template limits', () => {
  it('refuses 10,000 `!` and 10,000 chained `&&` with a diagnostic instead of a stack overflow', async () => {
    for (const expr of ['!'.repeat(10_000) + 'true', Array(10_000).fill('true').join(' && ')]) {
      const r = await validateFile(
        `weft: 1\nname: deep\ntasks:\n  a:\n    backend: mock\n    when: "\${{ ${expr} }}"\n`,
      )
      expect(r.ok).toBe(false)
      expect(r.diagnostics).toHaveLength(1)
      expect(r.diagnostics[0]).toMatchObject({
        code: 'template_too_long',
        file: r.file,
        line: 6,
        path: 'tasks.a.when',
      })
      // The message quotes the start of the expression, not all of it.
      expect(r.diagnostics[0]!.message.length).toBeLessThan(300)
    }
  })

  it('says "expression nests deeper than N" for nesting within the length limit', () => {
    const depth = WORKFLOW_LIMITS.maxExpressionDepth + 1
    for (const expr of ['!'.repeat(depth) + 'true', '('.repeat(depth) + 'true' + ')'.repeat(depth)]) {
      const r = validateWorkflow(withWhen(`\${{ ${expr} }}`), { backends, file: 'wf.yaml' })
      expect(r.ok).toBe(false)
      expect(r.diagnostics[0]).toMatchObject({
        code: 'template_too_deep',
        file: 'wf.yaml',
        path: 'tasks.a.when',
      })
      expect(r.diagnostics[0]!.message).toContain(
        `expression nests deeper than ${WORKFLOW_LIMITS.maxExpressionDepth} levels`,
      )
    }
    const atLimit = WORKFLOW_LIMITS.maxExpressionDepth
    expect(validateWorkflow(withWhen(`\${{ ${'!'.repeat(atLimit)}true }}`), { backends }).ok).toBe(true)
  })

  it('accepts a long `&&` chain within the length limit (analysed without recursion)', () => {
    const chain = Array(1300).fill('1').join('&&')
    expect(chain.length).toBeLessThanOrEqual(WORKFLOW_LIMITS.maxExpressionLength)
    expect(validateWorkflow(withWhen(`\${{ ${chain} }}`), { backends }).diagnostics).toEqual([])
  })

  it('takes stricter limits from the caller', () => {
    const r = validateWorkflow(withWhen('${{ !!true }}'), { backends, limits: { maxExpressionDepth: 1 } })
    expect(r.diagnostics.map((d) => d.code)).toEqual(['template_too_deep'])
    const long = validateWorkflow(withWhen('${{ true == true }}'), {
      backends,
      limits: { maxExpressionLength: 5 },
    })
    expect(long.diagnostics.map((d) => d.code)).toEqual(['template_too_long'])
  })
})

describe('document limits', () => {
  it('refuses deeply nested YAML flow collections with the line, not a stack overflow', async () => {
    const n = 100_000
    const r = await validateFile(
      `weft: 1\nname: deep\ntasks:\n  a: { backend: mock, input: ${'['.repeat(n)}${']'.repeat(n)} }\n`,
    )
    expect(r.ok).toBe(false)
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: 'too_deep',
        file: r.file,
        line: 4,
        message: `the document nests deeper than ${WORKFLOW_LIMITS.maxDepth} levels of mappings and sequences`,
      }),
    ])
  })

  it('refuses deeply nested YAML block sequences and mappings', () => {
    const seq = parseWorkflowText(`${'- '.repeat(50_000)}x\n`, 'seq.yaml')
    expect(seq.diagnostics.map((d) => d.code)).toEqual(['too_deep'])
    let block = 'weft: 1\nname: deep\ntasks:\n  a:\n    backend: mock\n    input:\n'
    // The input mapping is level 4 (on line 7); level 65 is on line 68.
    for (let i = 0; i < 200; i++) block += `${' '.repeat(6 + i)}k:\n`
    const map = parseWorkflowText(block, 'map.yaml')
    expect(map.diagnostics).toEqual([
      expect.objectContaining({ code: 'too_deep', file: 'map.yaml', line: 68 }),
    ])
    expect(map.value).toBeUndefined()
  })

  it('refuses deep flow nesting before parsing, but not brackets in text', () => {
    const deepFlow = parseWorkflowText(
      `weft: 1\nname: d\ntasks: { a: { input: ${'[{"k": '.repeat(5000)} } }\n`,
      'd.yaml',
    )
    expect(deepFlow.diagnostics).toEqual([expect.objectContaining({ code: 'too_deep', line: 3 })])
    const b = '['.repeat(100)
    const c = '{'.repeat(100)
    const text = [
      'weft: 1',
      'name: brackets',
      `# ${b}`,
      'tasks:',
      `  a: { backend: mock, prompt: "${b}", description: '${c}' }`,
      // Plain scalars may hold brackets in block context only (in a flow collection they are structure).
      '  b:',
      '    backend: mock',
      `    prompt: x${b}`,
      '  c:',
      '    backend: mock',
      `    prompt: don't ${c}`,
      '    input: |',
      `      ${b}`,
      `        ${c}`,
      '',
      `      ${c}`,
      '    description: >-',
      `      ${b}`,
      '',
    ].join('\n')
    const doc = parseWorkflowText(text, 'b.yaml')
    expect(doc.diagnostics).toEqual([])
    expect(validateWorkflow(doc.value, { backends }).ok).toBe(true)
  })

  it('refuses deeply nested JSON text and objects in code', async () => {
    const n = 50_000
    const text = `{"weft":1,"name":"deep","tasks":{"a":{"backend":"mock","input":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}}}`
    const fromText = await validateFile(text, 'wf.json')
    expect(fromText.diagnostics.map((d) => d.code)).toEqual(['too_deep'])
    // JSON.parse reads any depth; validation must refuse it before the schema recurses.
    const fromObject = validateWorkflow(JSON.parse(text), { backends })
    expect(fromObject.ok).toBe(false)
    expect(fromObject.diagnostics).toEqual([
      expect.objectContaining({ code: 'too_deep', path: expect.stringMatching(/^tasks\.a\.input(\.a)+$/) }),
    ])
  })

  it("refuses a run's inputs nested too deep, and quotes a bad input briefly", () => {
    let value: unknown = 1
    for (let i = 0; i < 20_000; i++) value = [value]
    const wf = { weft: 1, name: 'i', inputs: { data: { type: 'json' } }, tasks: { a: { backend: 'mock' } } }
    const r = validateWorkflow(wf, { backends, inputs: { data: value as never } })
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'input_too_deep', path: 'inputs.data' })])
    // The same as text (`--input data='[[[…]]]'`), parsed for a json input.
    const text = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
    const fromText = validateWorkflow(wf, { backends, inputs: { data: text } })
    expect(fromText.diagnostics).toEqual([
      expect.objectContaining({ code: 'input_too_deep', path: 'inputs.data' }),
    ])
    const bad = validateWorkflow(
      { ...wf, inputs: { n: { type: 'number' } } },
      { backends, inputs: { n: 'x'.repeat(10_000) } },
    )
    expect(bad.diagnostics).toEqual([expect.objectContaining({ code: 'bad_input' })])
    expect(bad.diagnostics[0]!.message.length).toBeLessThan(200)
  })

  it('reports an object that contains itself as too deep instead of looping', () => {
    const input: Record<string, unknown> = {}
    input.self = input
    const r = validateWorkflow(
      { weft: 1, name: 'loop', tasks: { a: { backend: 'mock', input } } },
      { backends },
    )
    expect(r.diagnostics.map((d) => d.code)).toEqual(['too_deep'])
  })

  it('refuses a document over the size limit before parsing it', () => {
    const doc = parseWorkflowText(`weft: 1\nname: big\n# ${'x'.repeat(2000)}\n`, 'big.yaml', {
      limits: { maxDocumentBytes: 1000 },
    })
    expect(doc.value).toBeUndefined()
    expect(doc.diagnostics).toEqual([
      expect.objectContaining({ code: 'document_too_large', file: 'big.yaml', level: 'error' }),
    ])
  })

  it('refuses a file over the size limit without reading it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-limits-'))
    const file = join(dir, 'big.yaml')
    await writeFile(file, `weft: 1\n# ${'x'.repeat(5000)}\n`)
    const doc = await loadWorkflowFile(file, { limits: { maxDocumentBytes: 1000 } })
    expect(doc.diagnostics).toEqual([expect.objectContaining({ code: 'document_too_large', file })])
    expect((await loadWorkflowFile(file)).diagnostics).toEqual([])
  })

  it('refuses more tasks than the limit', () => {
    const tasks = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, { backend: 'mock' }]))
    const r = validateWorkflow({ weft: 1, name: 'many', tasks }, { backends, limits: { maxTasks: 10 } })
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: 'too_many_tasks',
        path: 'tasks',
        message: expect.stringContaining('11 tasks'),
      }),
    ])
    expect(validateWorkflow({ weft: 1, name: 'many', tasks }, { backends }).ok).toBe(true)
  })

  it('bounds what a workflow full of mistakes produces: diagnostics, cycles, hints, quoted names', () => {
    const n = 3000
    const chain = Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `t${i}`,
        { backend: 'mock', needs: i ? [`t${i - 1}`, `t${n - 1}`] : [] },
      ]),
    )
    const cycles = validateWorkflow({ weft: 1, name: 'c', tasks: chain }, { backends })
    const reported = cycles.diagnostics.filter((d) => d.code === 'cycle')
    expect(reported.length).toBeGreaterThan(0)
    expect(reported.length).toBeLessThanOrEqual(10)
    for (const d of reported) expect(d.message.length).toBeLessThan(400)

    const unknown = Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`t${i}`, { backend: 'mock', needs: ['z'.repeat(300) + i] }]),
    )
    const r = validateWorkflow({ weft: 1, name: 'u', tasks: unknown }, { backends })
    expect(r.ok).toBe(false)
    expect(r.diagnostics).toHaveLength(1001)
    expect(r.diagnostics[1000]).toMatchObject({
      code: 'too_many_diagnostics',
      level: 'error',
      message: '2000 more problem(s) are not listed',
    })
    expect(r.diagnostics[0]!.message).toContain('(301 characters)')
    expect(r.diagnostics[0]!.hint).toMatch(/^known tasks: t0, t1, .*, … \(3000 in all\)$/)
    for (const d of r.diagnostics) expect(d.message.length + (d.hint?.length ?? 0)).toBeLessThan(400)
  })

  it('reports a mapping key that is a collection instead of printing a warning', () => {
    const doc = parseWorkflowText('weft: 1\nname: k\ntasks:\n  ? [a, b]\n  : { backend: mock }\n', 'k.yaml')
    expect(doc.diagnostics).toEqual([expect.objectContaining({ code: 'complex_key', line: 4 })])
  })
})
