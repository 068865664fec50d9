import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type BackendInfo, loadWorkflowFile, validateWorkflow } from '../src/index.js'

const backends = new Map<string, BackendInfo>([
  ['mock', { id: 'mock' }],
  ['shell', { id: 'shell' }],
])

async function validateFile(text: string, name = 'wf.yaml', extra = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'weft-validate-'))
  const file = join(dir, name)
  await writeFile(file, text)
  const doc = await loadWorkflowFile(file)
  return {
    file,
    ...validateWorkflow(doc.value, {
      file,
      locate: doc.locate,
      backends,
      diagnostics: doc.diagnostics,
      ...extra,
    }),
  }
}

describe('validateWorkflow', () => {
  it('accepts a good workflow and applies defaults', async () => {
    const r = await validateFile(`weft: 1
name: ok
inputs:
  repo: { type: string, default: acme/api }
defaults: { backend: mock }
tasks:
  a: { prompt: "List \${{ inputs.repo }}" }
  b: { needs: a, prompt: "Sum \${{ tasks.a.output }}" }
`)
    expect(r.diagnostics).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.workflow?.tasks.b?.needs).toEqual(['a'])
    expect(r.inputs).toEqual({ repo: 'acme/api' })
  })

  it('collects every problem at once, each with file, line, path and fix', async () => {
    const r = await validateFile(`weft: 1
name: broken
tasks:
  a: { backend: mock, needs: [c] }
  b: { backend: mock, needs: [a, nope] }
  c: { backend: mock, needs: [b], priority: 500 }
  d: { backend: mokc, prompt: "\${{ tasks.zzz.output }}" }
  e: { backend: mock, promt: hi, prompt: "\${{ inputs.missing }}" }
  f: { backend: mock, prompt: "\${{ tasks.a.output " }
  g: { backend: mock, prompt: "\${{ tasks.e.output }}" }
  "bad id": { backend: mock }
`)
    expect(r.ok).toBe(false)
    const codes = r.diagnostics.map((d) => d.code).sort()
    expect(codes).toEqual(
      [
        'bad_value', // priority 500
        'cycle',
        'task_id_malformed',
        'template_not_upstream',
        'template_syntax',
        'template_unknown_input',
        'template_unknown_task',
        'unknown_backend',
        'unknown_key',
        'unknown_need',
      ].sort(),
    )
    for (const d of r.diagnostics) {
      expect(d.file).toBe(r.file)
      expect(d.line).toBeGreaterThan(0)
      expect(d.path).toBeTruthy()
      expect(d.hint).toBeTruthy()
    }
    const cycle = r.diagnostics.find((d) => d.code === 'cycle')!
    expect(cycle.message).toContain('a → c → b → a')
    expect(r.diagnostics.find((d) => d.code === 'unknown_backend')!.hint).toContain("did you mean 'mock'")
    expect(r.diagnostics.find((d) => d.code === 'unknown_key')!.hint).toContain("did you mean 'prompt'")
    const unknownNeed = r.diagnostics.find((d) => d.code === 'unknown_need')!
    expect(unknownNeed.path).toBe('tasks.b.needs[1]')
    expect(unknownNeed.line).toBe(5)
    expect(r.diagnostics.find((d) => d.code === 'template_not_upstream')!.hint).toBe(
      "add 'e' to the needs of 'g'",
    )
  })

  it('reports duplicate task ids in YAML and JSON', async () => {
    const y = await validateFile('weft: 1\nname: d\ntasks:\n  a: { backend: mock }\n  a: { backend: mock }\n')
    expect(y.diagnostics.map((d) => d.code)).toEqual(['duplicate_key'])
    expect(y.diagnostics[0]!.line).toBe(5)
    const j = await validateFile(
      '{"weft":1,"name":"d","tasks":{"a":{"backend":"mock"},"a":{"backend":"mock"}}}',
      'wf.json',
    )
    expect(j.ok).toBe(false)
    expect(j.diagnostics[0]!.code).toBe('duplicate_key')
  })

  it('reports a missing file, a parse error and a missing version', async () => {
    const missing = await loadWorkflowFile('/nonexistent/wf.yaml')
    expect(missing.diagnostics[0]).toMatchObject({ code: 'file_not_found', file: '/nonexistent/wf.yaml' })
    const bad = await validateFile('weft: 1\nname: [unclosed\n')
    expect(bad.diagnostics[0]!.code).toBe('parse_error')
    const noVersion = await validateFile('name: x\ntasks:\n  a: { backend: mock }\n')
    expect(noVersion.diagnostics.map((d) => d.code)).toEqual(['bad_version'])
  })

  it('checks required inputs and coerces their types', () => {
    const wf = {
      weft: 1,
      name: 'inputs',
      inputs: { n: { type: 'integer' }, tags: { type: 'array', default: [] }, name: { type: 'string' } },
      tasks: { a: { backend: 'mock' } },
    }
    const missing = validateWorkflow(wf, { backends, inputs: { n: '3' } })
    expect(missing.ok).toBe(false)
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['missing_input'])
    const bad = validateWorkflow(wf, { backends, inputs: { n: 'three', name: 'x' } })
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['bad_input'])
    const good = validateWorkflow(wf, { backends, inputs: { n: '3', name: 'x' } })
    expect(good.ok).toBe(true)
    expect(good.inputs).toEqual({ n: 3, tags: [], name: 'x' })
    expect(good.diagnostics).toEqual([])
    // An input the workflow does not declare is refused (see validate-holes.test.ts).
    const extra = validateWorkflow(wf, { backends, inputs: { n: '3', name: 'x', extra: 1 } })
    expect(extra.ok).toBe(false)
    expect(extra.diagnostics.map((d) => d.code)).toEqual(['unknown_input'])
  })

  it('strict mode promotes warnings to errors', () => {
    const wf = { weft: 1, name: 's', tasks: { gate: { approval: { message: 'ok?' }, backend: 'mock' } } }
    expect(validateWorkflow(wf, { backends }).ok).toBe(true)
    const strict = validateWorkflow(wf, { backends, mode: 'strict' })
    expect(strict.ok).toBe(false)
    expect(strict.diagnostics[0]).toMatchObject({ level: 'error', code: 'approval_ignores' })
  })

  it('names the package to install for a known backend that is not installed', () => {
    const r = validateWorkflow(
      { weft: 1, name: 'n', tasks: { a: { backend: 'codex', prompt: 'hi' } } },
      { backends },
    )
    expect(r.diagnostics[0]).toMatchObject({ code: 'unknown_backend', path: 'tasks.a.backend' })
    expect(r.diagnostics[0]!.hint).toContain('pnpm add @weft/backend-codex')
  })

  it('requires a backend for every task that is not an approval gate', () => {
    const r = validateWorkflow({ weft: 1, name: 'n', tasks: { a: { prompt: 'hi' } } }, { backends })
    expect(r.diagnostics.map((d) => d.code)).toEqual(['no_backend'])
  })

  it('validates backend options with the backend schema', async () => {
    const { z } = await import('zod')
    const withSchema = new Map<string, BackendInfo>([
      ['shell', { id: 'shell', optionsSchema: z.object({ command: z.array(z.string()).min(1) }) }],
    ])
    const r = validateWorkflow(
      { weft: 1, name: 'o', tasks: { a: { backend: 'shell', with: { command: 'ls' } } } },
      { backends: withSchema },
    )
    expect(r.diagnostics[0]).toMatchObject({ code: 'bad_options', path: 'tasks.a.with.command' })
  })

  it('names each unknown backend option with the option it most likely meant, or the options there are', async () => {
    const { z } = await import('zod')
    const withSchema = new Map<string, BackendInfo>([
      [
        'shell',
        {
          id: 'shell',
          optionsSchema: z.strictObject({
            command: z.array(z.string()).min(1),
            parseJson: z.boolean().default(true),
            env: z.strictObject({ PATH: z.string() }).optional(),
          }),
        },
      ],
    ])
    const r = validateWorkflow(
      {
        weft: 1,
        name: 'o',
        tasks: {
          a: {
            backend: 'shell',
            with: { command: ['ls'], parsejson: false, output: 'json', env: { PAHT: '/' } },
          },
        },
      },
      { backends: withSchema },
    )
    const byPath = Object.fromEntries(r.diagnostics.map((d) => [d.path, d]))
    expect(byPath['tasks.a.with.parsejson']).toMatchObject({
      code: 'bad_options',
      hint: "did you mean 'parseJson'?",
    })
    expect(byPath['tasks.a.with.output']!.hint).toContain('its options: command, parseJson, env')
    expect(byPath['tasks.a.with.env.PAHT']!.hint).toBe("did you mean 'PATH'?")
  })
})
