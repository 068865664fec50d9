/**
 * Generated malformed workflows (objects, JSON text, YAML text; see `arbitraryMalformedWorkflow`
 * in @weft/testing) through parsing, loading from a file and validation: every outcome is a list
 * of diagnostics or a valid workflow, never a thrown error. A valid one keeps every task it was
 * given, names only tasks it has in `needs`, and its templates render or fail with a
 * TemplateError. The seed is printed; rerun a failure with WEFT_FUZZ_SEED=<seed> (and
 * WEFT_FUZZ_RUNS=<n> for more cases).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Json, WeftError } from '@weft/spec'
import { arbitraryMalformedWorkflow, fuzzSettings, type MalformedWorkflowCase } from '@weft/testing/fuzz'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTemplate, TemplateError } from '../src/template/template.js'
import { type LoadedDocument, loadWorkflowFile, parseWorkflowText } from '../src/workflow/load.js'
import { type BackendInfo, type ValidationResult, validateWorkflow } from '../src/workflow/validate.js'

const { seed, numRuns } = fuzzSettings({ runs: 1000 })
const backends = new Map<string, BackendInfo>([
  ['mock', { id: 'mock' }],
  ['shell', { id: 'shell', commandFields: ['command'] }],
])
const agents = { writer: { backend: 'mock' } }

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-fuzz-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

let n = 0
async function documentOf(c: MalformedWorkflowCase): Promise<LoadedDocument | undefined> {
  if (c.form === 'object') return undefined
  // Every fifth text goes through a real file, the rest through parseWorkflowText.
  if (n++ % 5 !== 0) return parseWorkflowText(c.text, `fuzz.${c.form}`)
  const file = join(dir, `case-${n}.${c.form}`)
  await writeFile(file, c.text)
  return loadWorkflowFile(file)
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const v of value) strings(v, out)
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out)
  return out
}

function checkResult(raw: unknown, r: ValidationResult) {
  for (const d of r.diagnostics) {
    expect(['error', 'warning']).toContain(d.level)
    expect(d.code).toMatch(/^[a-z_]+$/)
    expect(typeof d.message).toBe('string')
  }
  if (!r.ok) {
    expect(r.diagnostics.some((d) => d.level === 'error')).toBe(true)
    return
  }
  // Nothing given is lost between the document and the validated workflow.
  const rawTasks = (raw as { tasks: object }).tasks
  const tasks = r.workflow!.tasks
  expect(Object.keys(tasks)).toEqual(Object.keys(rawTasks))
  for (const t of Object.values(tasks))
    for (const need of t.needs ?? []) expect(Object.hasOwn(tasks, need)).toBe(true)
  const scope = { inputs: r.inputs ?? {}, tasks: {}, run: { id: 'run_fuzz' } }
  for (const text of strings(tasks)) {
    try {
      renderTemplate(text, scope)
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError)
    }
  }
}

describe('validation fuzz', () => {
  it(`answers ${numRuns} malformed workflows with diagnostics, never a crash (seed ${seed})`, async () => {
    console.log(`validation fuzz: seed ${seed}, ${numRuns} cases (WEFT_FUZZ_SEED / WEFT_FUZZ_RUNS to change)`)
    const forms = { object: 0, json: 0, yaml: 0, valid: 0 }
    await fc.assert(
      fc.asyncProperty(arbitraryMalformedWorkflow(), async (c) => {
        forms[c.form]++
        let doc: LoadedDocument | undefined
        let result: ValidationResult
        try {
          doc = await documentOf(c)
          const raw = doc ? doc.value : c.form === 'object' ? c.workflow : undefined
          const inputs = c.inputs as Record<string, Json> | undefined
          result = validateWorkflow(raw, {
            ...(doc ? { file: doc.file, locate: doc.locate, diagnostics: doc.diagnostics } : {}),
            backends,
            agents,
            ...(inputs ? { inputs } : {}),
          })
          // Locating a diagnostic walks the document too.
          for (const d of result.diagnostics.slice(0, 5)) if (d.path) doc?.locate(d.path.split('.'))
          checkResult(raw, result)
          if (c.form === 'object') {
            // The same workflow as a request body: JSON.parse keeps `__proto__` keys, validation must see them.
            const body = JSON.parse(c.requestBody) as { workflow: unknown; inputs?: Record<string, Json> }
            const fromJson = validateWorkflow(body.workflow, {
              backends,
              agents,
              ...(body.inputs ? { inputs: body.inputs } : {}),
            })
            checkResult(body.workflow, fromJson)
          }
        } catch (err) {
          if (err instanceof WeftError) return
          throw err
        }
        if (result.ok) forms.valid++
      }),
      { seed, numRuns, endOnFailure: true },
    )
    console.log(`validation fuzz: ${JSON.stringify(forms)}`)
    expect(forms.object + forms.json + forms.yaml).toBe(numRuns)
  }, 600_000)
})
