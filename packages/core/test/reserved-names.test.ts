/**
 * Task ids, agent names and input names are looked up as own properties only, and the names every
 * object already has are refused (issue 18, item 6).
 */
import { describe, expect, it } from 'vitest'
import { parseWorkflowText } from '../src/workflow/load.js'
import { type BackendInfo, validateWorkflow } from '../src/workflow/validate.js'

const backends = new Map<string, BackendInfo>([['mock', { id: 'mock' }]])

function validateText(text: string, extra = {}) {
  const doc = parseWorkflowText(text, 'wf')
  return validateWorkflow(doc.value, {
    file: 'wf',
    locate: doc.locate,
    backends,
    diagnostics: doc.diagnostics,
    ...extra,
  })
}

describe('reserved names', () => {
  it('refuses a task named __proto__ in JSON text and in a JSON.parse result, instead of "0 tasks"', () => {
    const json = '{"weft":1,"name":"p","tasks":{"__proto__":{"backend":"mock"}}}'
    for (const r of [validateText(json), validateWorkflow(JSON.parse(json), { backends })]) {
      expect(r.ok).toBe(false)
      expect(r.workflow).toBeUndefined()
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ code: 'task_id_reserved', path: 'tasks.__proto__', level: 'error' }),
      ])
    }
  })

  it('keeps a __proto__ key as a real key when parsing text', () => {
    const doc = parseWorkflowText('{"weft":1,"name":"p","tasks":{"__proto__":{"backend":"mock"}}}')
    const tasks = (doc.value as { tasks: object }).tasks
    expect(Object.keys(tasks)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(tasks)).toBe(Object.prototype)
  })

  it('refuses a YAML task __proto__ that another task needs (it crashed the topological sort)', () => {
    const r = validateText(
      'weft: 1\nname: p\ntasks:\n  __proto__: { backend: mock }\n  b: { backend: mock, needs: [__proto__] }\n',
    )
    expect(r.ok).toBe(false)
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'task_id_reserved', line: 4 })])
  })

  it('refuses constructor and prototype as task ids, input names and output names', () => {
    for (const name of ['constructor', 'prototype', '__proto__']) {
      const r = validateWorkflow(
        {
          weft: 1,
          name: 'p',
          inputs: JSON.parse(`{"${name}": {"type": "string", "default": "x"}}`),
          outputs: JSON.parse(`{"${name}": "\${{ tasks.ok.output }}"}`),
          tasks: JSON.parse(`{"${name}": {"backend": "mock"}, "ok": {"backend": "mock"}}`),
        },
        { backends },
      )
      expect(r.diagnostics.map((d) => `${d.code} ${d.path}`).sort()).toEqual([
        `input_name_reserved inputs.${name}`,
        `output_name_reserved outputs.${name}`,
        `task_id_reserved tasks.${name}`,
      ])
    }
  })

  it('finds only agents that are defined, never members of Object.prototype', () => {
    const agents = { writer: { backend: 'mock' } }
    for (const name of ['toString', '__proto__', 'hasOwnProperty', 'constructor']) {
      const r = validateWorkflow(
        { weft: 1, name: 'a', defaults: { backend: 'mock' }, tasks: { t: { agent: name } } },
        { backends, agents },
      )
      expect(r.ok).toBe(false)
      expect(r.diagnostics).toEqual([
        expect.objectContaining({
          code: 'unknown_agent',
          path: 'tasks.t.agent',
          message: expect.stringContaining(name),
        }),
      ])
    }
    const good = validateWorkflow(
      { weft: 1, name: 'a', tasks: { t: { agent: 'writer' } } },
      { backends, agents },
    )
    expect(good.ok).toBe(true)
  })

  it('refuses a __proto__ key inside options and inputs, which the schema would drop', () => {
    const r = validateWorkflow(
      JSON.parse(
        '{"weft":1,"name":"p","tasks":{"a":{"backend":"mock","with":{"__proto__":{"x":1}},"input":{"k":{"__proto__":1}}}}}',
      ),
      { backends },
    )
    expect(r.diagnostics.map((d) => `${d.code} ${d.path}`)).toEqual([
      'reserved_key tasks.a.with.__proto__',
      'reserved_key tasks.a.input.k.__proto__',
    ])
    const strict = validateWorkflow(
      JSON.parse('{"weft":1,"name":"p","__proto__":{},"tasks":{"a":{"backend":"mock"}}}'),
      {
        backends,
      },
    )
    // One report, not also an "unknown key".
    expect(strict.diagnostics.map((d) => `${d.code} ${d.path}`)).toEqual(['reserved_key __proto__'])
  })

  it('still resolves inputs and tasks named like other Object.prototype members', () => {
    const r = validateWorkflow(
      {
        weft: 1,
        name: 'p',
        inputs: { toString: { type: 'string', default: 'x' } },
        tasks: { valueOf: { backend: 'mock', prompt: '${{ inputs.toString }}' } },
      },
      { backends },
    )
    expect(r.diagnostics).toEqual([])
    expect(Object.keys(r.workflow!.tasks)).toEqual(['valueOf'])
    const unknown = validateWorkflow(
      { weft: 1, name: 'p', tasks: { a: { backend: 'mock', prompt: '${{ inputs.hasOwnProperty }}' } } },
      { backends },
    )
    expect(unknown.diagnostics.map((d) => d.code)).toEqual(['template_unknown_input'])
  })
})
