/**
 * Backend options are checked with zod once per distinct value (workflow/backend-options.ts), and
 * each attempt still gets options of its own: templated options are rendered per attempt, and a
 * backend that changes the options it was given does not change them for the next attempt.
 */
import { stubBackend } from '@weft/testing/doubles'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { BackendError, createMemoryStore, createRuntime, type Json } from '../src/index.js'
import { checkOptions, isStatic } from '../src/workflow/backend-options.js'

function countingSchema() {
  let parses = 0
  const schema = z
    .object({ level: z.number().int().default(1), tags: z.array(z.string()).optional() })
    .strict()
    .refine(() => {
      parses++
      return true
    })
  return { schema, parses: () => parses }
}

describe('checkOptions', () => {
  it('parses each distinct value once and gives every caller a copy of its own', () => {
    const { schema, parses } = countingSchema()
    const a = checkOptions(schema, { tags: ['x'] })
    const b = checkOptions(schema, { tags: ['x'] })
    expect(parses()).toBe(1)
    expect(a).toEqual({ success: true, data: { level: 1, tags: ['x'] } })
    expect(b.success && a.success && b.data !== a.data).toBe(true)
    if (a.success) (a.data as Record<string, unknown>).level = 99
    expect(checkOptions(schema, { tags: ['x'] })).toEqual({ success: true, data: { level: 1, tags: ['x'] } })
    checkOptions(schema, { level: 2 })
    expect(parses()).toBe(2)
  })

  it('remembers failures with their issues', () => {
    const { schema } = countingSchema()
    const bad = checkOptions(schema, { level: 'high' })
    expect(bad.success).toBe(false)
    expect(checkOptions(schema, { level: 'high' })).toBe(bad)
    expect(checkOptions(schema, { levle: 1 }).success).toBe(false)
  })
})

describe('isStatic', () => {
  it('is false for any template, however deep', () => {
    expect(isStatic({ a: 1, b: ['x', { c: 'plain' }] })).toBe(true)
    expect(isStatic({ a: 1, b: ['x', { c: 'v ${{ inputs.v }}' }] })).toBe(false)
    expect(isStatic('${{ tasks.a.output }}')).toBe(false)
    expect(isStatic(null)).toBe(true)
  })
})

describe('options in a run', () => {
  it('checks static options once for many tasks, renders templated ones per attempt, and isolates attempts', async () => {
    const { schema, parses } = countingSchema()
    const seen: { taskId: string; attempt: number; options: Record<string, Json> }[] = []
    const backend = stubBackend({
      id: 'opts',
      optionsSchema: schema,
      async execute(req) {
        seen.push({ taskId: req.taskId, attempt: req.attempt, options: structuredClone(req.options) })
        // A backend that changes what it was given: the next attempt must not see it.
        ;(req.options as Record<string, Json>).level = 42
        if (req.taskId === 'flaky' && req.attempt === 1) throw new BackendError('server_error', 'once')
        return { output: req.options.level as Json }
      },
    })
    const runtime = createRuntime({ store: createMemoryStore(), backends: [backend] })
    try {
      const tasks: Record<string, unknown> = {
        flaky: { with: { tags: ['same'] }, retry: { maxAttempts: 2, backoffMs: 1, jitter: 0 } },
        templated: { with: { tags: ['${{ inputs.tag }}'] } },
      }
      for (let i = 0; i < 50; i++) tasks[`t${i}`] = { with: { tags: ['same'] } }
      const run = await runtime.start({
        workflow: {
          weft: 1,
          name: 'opts',
          inputs: { tag: { type: 'string', default: 'from-input' } },
          defaults: { backend: 'opts' },
          tasks,
        } as never,
      })
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('succeeded')
      // Two distinct values: { tags: ['same'] } of 51 tasks (checked when the workflow was
      // validated, and for 52 attempts), and the templated task's rendered value.
      expect(parses()).toBe(2)
      const flaky = seen.filter((s) => s.taskId === 'flaky')
      expect(flaky.map((s) => s.options)).toEqual([
        { level: 1, tags: ['same'] },
        { level: 1, tags: ['same'] },
      ])
      expect(seen.find((s) => s.taskId === 'templated')?.options).toEqual({ level: 1, tags: ['from-input'] })
      expect(seen.filter((s) => s.taskId.startsWith('t')).every((s) => s.options.level === 1)).toBe(true)
    } finally {
      await runtime.close()
    }
  })
})
