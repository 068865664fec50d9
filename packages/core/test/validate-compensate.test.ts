import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type BackendInfo, parseWorkflowText, validateWorkflow } from '../src/index.js'

/** `compensate:` is validated like a task: file, line, path and a fix for each problem. */

const backends = new Map<string, BackendInfo>([
  ['mock', { id: 'mock' }],
  [
    'shell',
    {
      id: 'shell',
      optionsSchema: z.strictObject({ command: z.union([z.string(), z.array(z.string())]) }),
      commandFields: ['command'],
    },
  ],
])

function check(text: string) {
  const doc = parseWorkflowText(text, 'wf.yaml')
  return validateWorkflow(doc.value, {
    file: 'wf.yaml',
    locate: doc.locate,
    backends,
    diagnostics: doc.diagnostics,
  })
}

const head = 'weft: 1\nname: comp\ninputs:\n  who: { default: me }\ntasks:\n'

describe('validating compensate:', () => {
  it('accepts ${{ output }}, the task itself, its upstream tasks, inputs and a map item', () => {
    const r = check(
      `${head}  plan: { backend: mock, with: { output: [1, 2] } }\n` +
        `  book:\n    backend: shell\n    needs: [plan]\n    with: { command: [echo, booked] }\n` +
        `    compensate:\n      with: { command: [echo, "\${{ output.id }}", "\${{ tasks.book.text }}", "\${{ tasks.plan.output }}", "\${{ inputs.who }}"] }\n` +
        `  each:\n    backend: mock\n    needs: [plan]\n    map: { over: "\${{ tasks.plan.output }}" }\n` +
        `    compensate: { prompt: "undo \${{ item }} at \${{ index }}: \${{ output }}" }\n`,
    )
    expect(r.diagnostics).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.workflow!.tasks.book!.compensate).toEqual({
      with: {
        command: [
          'echo',
          '${{ output.id }}',
          '${{ tasks.book.text }}',
          '${{ tasks.plan.output }}',
          '${{ inputs.who }}',
        ],
      },
    })
  })

  it('refuses `output` outside compensate:, and tasks that are not upstream inside it', () => {
    const r = check(
      `${head}  a: { backend: mock, prompt: "\${{ output }}" }\n` +
        `  b: { backend: mock, compensate: { prompt: "\${{ tasks.a.output }}" } }\n`,
    )
    expect(r.ok).toBe(false)
    expect(r.diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([
      ['template_output_outside_compensate', 'tasks.a.prompt', 6],
      ['template_not_upstream', 'tasks.b.compensate.prompt', 7],
    ])
    expect(r.diagnostics[1]!.hint).toBe("add 'a' to the needs of 'b'")
  })

  it('reports a bad field, an unknown backend, bad options and a command from an input, each with a fix', () => {
    const r = check(
      `${head}  a: { backend: mock, compensate: { backnd: shell } }\n` +
        `  b: { backend: mock, compensate: { backend: shel } }\n` +
        `  c: { backend: shell, with: { command: [true] }, compensate: { with: { comand: [echo] } } }\n` +
        `  d: { backend: shell, with: { command: [true] }, compensate: { with: { command: "\${{ inputs.who }}" } } }\n`,
    )
    expect(r.ok).toBe(false)
    const byCode = Object.fromEntries(r.diagnostics.map((d) => [d.code, d]))
    expect(r.diagnostics.every((d) => d.file === 'wf.yaml' && d.line !== undefined)).toBe(true)
    expect(r.diagnostics.find((d) => d.path === 'tasks.a.compensate.backnd')).toBeDefined()
    expect(byCode.unknown_backend).toMatchObject({
      path: 'tasks.b.compensate.backend',
      hint: expect.stringContaining("did you mean 'shell'?"),
    })
    expect(byCode.bad_options).toMatchObject({ path: expect.stringMatching(/^tasks\.c\.compensate\.with/) })
    expect(byCode.command_from_input).toMatchObject({ path: 'tasks.d.compensate.with.command' })
  })

  it('refuses compensate: on an approval gate, and on a subworkflow without a backend', () => {
    const r = check(
      `${head}  gate: { approval: { message: ok? }, compensate: { with: {} } }\n` +
        `  sub: { uses: ./other.yaml, compensate: { with: { output: x } } }\n`,
    )
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['compensate_on_approval', 'tasks.gate.compensate'],
      ['compensate_needs_backend', 'tasks.sub.compensate'],
    ])
  })
})
