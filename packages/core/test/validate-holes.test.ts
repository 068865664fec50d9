import { describe, expect, it } from 'vitest'
import { type BackendInfo, parseWorkflowText, validateWorkflow } from '../src/index.js'

/** Holes a new user hit (issue 15, part 9): each case as they wrote it. */

const backends = new Map<string, BackendInfo>([['mock', { id: 'mock' }]])

function check(text: string, extra: { inputs?: Record<string, string | number> } = {}) {
  const doc = parseWorkflowText(text, 'wf.yaml')
  return validateWorkflow(doc.value, {
    file: 'wf.yaml',
    locate: doc.locate,
    backends,
    diagnostics: doc.diagnostics,
    ...extra,
  })
}

const head = 'weft: 1\nname: holes\n'

describe('validation holes', () => {
  it('checks a default against its declared type', () => {
    const r = check(
      `${head}inputs:\n  n: { type: integer, default: three }\ntasks:\n  a: { backend: mock }\n`,
    )
    expect(r.ok).toBe(false)
    expect(r.diagnostics).toHaveLength(1)
    expect(r.diagnostics[0]).toMatchObject({
      code: 'bad_default',
      path: 'inputs.n.default',
      line: 4,
      message: `input 'n' is of type integer, but its default is "three"`,
    })
    // Defaults that fit (or that a command line would coerce the same way) stay accepted.
    const fine = check(
      `${head}inputs:\n  n: { type: integer, default: 3 }\n  s: { default: x }\n  j: { type: json, default: { a: 1 } }\n  f: { type: boolean, default: false }\ntasks:\n  a: { backend: mock }\n`,
    )
    expect(fine.diagnostics).toEqual([])
    expect(fine.inputs).toEqual({ n: 3, s: 'x', j: { a: 1 }, f: false })
  })

  it('reports a field of the wrong type as such, not as "is required"', () => {
    const r = check(
      `${head}tasks:\n  a: { backend: mock, priority: high, prompt: 5, retry: 3, needs: { x: 1 } }\n  b:\n  c: { backend: mock, model: }\n`,
    )
    const byPath = Object.fromEntries(r.diagnostics.map((d) => [d.path, d]))
    expect(byPath['tasks.a.priority']).toMatchObject({
      code: 'bad_value',
      message: 'tasks.a.priority must be a number, got the string "high"',
    })
    expect(byPath['tasks.a.prompt']!.message).toBe('tasks.a.prompt must be a string, got the number 5')
    expect(byPath['tasks.a.retry']!.message).toBe('tasks.a.retry must be a mapping, got the number 3')
    expect(byPath['tasks.a.needs']!.message).toBe('tasks.a.needs has the wrong type, got a mapping')
    expect(byPath['tasks.b']!.message).toBe('tasks.b must be a mapping, got nothing (an empty value)')
    expect(byPath['tasks.c.model']!.message).toBe(
      'tasks.c.model must be a string, got nothing (an empty value)',
    )
    for (const d of r.diagnostics) expect(d.message).not.toContain('required')
    // A field that is really absent is still "required".
    const absent = check('weft: 1\ntasks:\n  a: { backend: mock }\n')
    expect(absent.diagnostics).toMatchObject([{ code: 'missing_field', message: 'name is required' }])
  })

  it('suggests the right path for a misspelt template path', () => {
    const r = check(
      `${head}inputs:\n  repo: { default: acme/api }\ntasks:\n  a: { backend: mock }\n  b:\n    backend: mock\n    needs: a\n    prompt: "\${{ tasks.a.outptu }} \${{ input.repo }} \${{ tasks.a.txet }} \${{ repo }} \${{ a.output.x }} \${{ task.a.output }} \${{ tasks.a.items }}"\n`,
    )
    expect(r.diagnostics.map((d) => d.hint)).toEqual([
      "did you mean 'tasks.a.output'?",
      "did you mean 'inputs.repo'?",
      "did you mean 'tasks.a.text'?",
      "did you mean 'inputs.repo'?",
      "did you mean 'tasks.a.output.x'?",
      "did you mean 'tasks.a.output'?",
      // A name that is no misspelling of a task's fields is read as a member of the output.
      "write 'tasks.a.output.items' to read a member of its output",
    ])
  })

  it('reports one YAML syntax slip once, not once per following line', () => {
    let tasks = ''
    for (let i = 0; i < 200; i++) tasks += `  t${i}:\n    backend: mock\n    prompt: hi\n`
    const slips = [
      `${head}tasks:\n   a:\n    backend: mock\n${tasks}`, // one task indented by three spaces
      `${head}tasks:\n  a: { prompt: "x", }}\n${tasks}`, // a stray }
      `{"weft": 1, "name": "x", "tasks": {"a": {"prompt": "x"}\n${tasks}`, // an unclosed JSON object
    ]
    for (const text of slips) {
      const r = check(text)
      expect(r.ok).toBe(false)
      expect(r.diagnostics).toHaveLength(1)
      // An unclosed `{` reads as ever deeper nesting: one `too_deep` whose hint names the bracket.
      expect(['parse_error', 'too_deep']).toContain(r.diagnostics[0]!.code)
      expect(r.diagnostics[0]!.hint).toMatch(/the lines after it were not checked|left open/)
    }
    expect(check(`${head}tasks:\n   a:\n    backend: mock\n${tasks}`).diagnostics[0]!.hint).toContain(
      'the lines after it were not checked',
    )
    // Duplicate keys are each their own problem: all are still listed.
    const dup = check(`${head}tasks:\n  a: { backend: mock }\n  a: { backend: mock }\n  b: {}\n  b: {}\n`)
    expect(dup.diagnostics.map((d) => d.code)).toEqual(['duplicate_key', 'duplicate_key'])
  })

  it('refuses inputs the workflow does not declare, with a "did you mean"', () => {
    const text = `${head}inputs:\n  repo: { default: acme/api }\n  count: { type: integer, default: 1 }\ntasks:\n  a: { backend: mock }\n`
    const r = check(text, { inputs: { rpeo: 'acme/web' } })
    expect(r.ok).toBe(false)
    expect(r.diagnostics).toMatchObject([
      { level: 'error', code: 'unknown_input', message: "input 'rpeo' is not declared by the workflow" },
    ])
    expect(r.diagnostics[0]!.hint).toBe("did you mean 'repo'?")
    expect(check(text, { inputs: { zzz: 1 } }).diagnostics[0]!.hint).toBe(
      "the workflow's inputs: repo, count",
    )
    const none = check(`${head}tasks:\n  a: { backend: mock }\n`, { inputs: { x: 1 } })
    expect(none.diagnostics[0]!.hint).toContain('declares no inputs')
    expect(check(text, { inputs: { repo: 'acme/web', count: '2' } })).toMatchObject({
      ok: true,
      inputs: { repo: 'acme/web', count: 2 },
    })
  })

  it('words backend option problems the same way', async () => {
    const { z } = await import('zod')
    const withSchema = new Map<string, BackendInfo>([
      [
        'shell',
        {
          id: 'shell',
          optionsSchema: z.strictObject({ command: z.array(z.string()), cwd: z.string().optional() }),
        },
      ],
    ])
    const r = validateWorkflow(
      {
        weft: 1,
        name: 'o',
        tasks: { a: { backend: 'shell', with: { command: ['ls'], cwd: 3 } }, b: { backend: 'shell' } },
      },
      { backends: withSchema },
    )
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "tasks.a.with.cwd must be a string, got the number 3 (options of backend 'shell')",
      "tasks.b.with.command is required (options of backend 'shell')",
    ])
  })
})
