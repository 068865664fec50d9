import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { WORKFLOW_SCHEMA_URL, WorkflowSpecSchema, workflowJsonSchema } from '../src/index.js'

const schemaFile = fileURLToPath(new URL('../schema/workflow.schema.json', import.meta.url))
const examples = fileURLToPath(new URL('../../../examples/', import.meta.url))

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false })
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')))
}

describe('the JSON Schema of workflow files', () => {
  it('is current: schema/workflow.schema.json is what `pnpm --filter @weft/spec schema` writes', () => {
    // When this fails after a change to src/workflow.ts: run `pnpm --filter @weft/spec schema`.
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(workflowJsonSchema())
  })

  it('is a draft 2020-12 schema with an id, and lists every key of the zod schemas', () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'))
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.$id).toBe(WORKFLOW_SCHEMA_URL)
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(WorkflowSpecSchema.shape).sort())
    expect(schema.required).toEqual(['weft', 'name', 'tasks'])
    expect(schema.additionalProperties).toBe(false)
    const task = schema.properties.tasks.additionalProperties
    expect(task.properties.needs.description).toContain('task id')
  })

  it('accepts every example workflow', () => {
    const check = validator()
    const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThan(3)
    for (const f of [...files, 'agent-chain/workflow.yaml']) {
      const doc = parse(readFileSync(`${examples}${f}`, 'utf8'))
      expect(check(doc) ? [] : check.errors, f).toEqual([])
      // The zod schema agrees.
      expect(WorkflowSpecSchema.safeParse(doc).success, f).toBe(true)
    }
  })

  it('refuses what weft validate refuses: misspelt keys, wrong types, bad task ids, a missing version', () => {
    const check = validator()
    const ok = { weft: 1, name: 'n', tasks: { a: { backend: 'mock', needs: 'b' }, b: { backend: 'mock' } } }
    expect(check(ok)).toBe(true)
    const bad = [
      { ...ok, tasks: { a: { backend: 'mock', promt: 'hi' } } },
      { ...ok, tasks: { a: { backend: 'mock', priority: 'high' } } },
      { ...ok, tasks: { a: { backend: 'mock', priority: 500 } } },
      { ...ok, tasks: { 'bad id': { backend: 'mock' } } },
      { ...ok, weft: 2 },
      { name: 'n', tasks: {} },
      { ...ok, inputs: { n: { type: 'int' } } },
    ]
    for (const doc of bad) {
      expect(check(doc), JSON.stringify(doc)).toBe(false)
      expect(WorkflowSpecSchema.safeParse(doc).success && !JSON.stringify(doc).includes('bad id')).toBe(false)
    }
  })
})
