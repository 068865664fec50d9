/**
 * parseWorkflow reads simple tasks without zod: for random workflows it must give exactly what
 * `WorkflowSpecSchema.safeParse` gives (the same data, with its keys in the same order, or the
 * same issues).
 */
import { TaskSpecSchema, WorkflowSpecSchema } from '@weft/spec'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSimpleTask, parseWorkflow } from '../src/workflow/parse-workflow.js'

const FIELDS = Object.keys(TaskSpecSchema.shape)

const valueArb = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constant(''),
  fc.integer({ min: -5, max: 120 }),
  fc.constantFrom(
    0,
    -0,
    1.5,
    1e300,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    Number.NaN,
    Infinity,
  ),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'command', 'maxAttempts'), fc.oneof(fc.string(), fc.integer()), {
    maxKeys: 2,
  }),
  // Options (`with`): JSON, and values the schema refuses or reads its own way.
  fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
  fc.dictionary(
    fc.constantFrom('a', '1', 'b'),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(undefined, Number.NaN, -0, Infinity),
      // biome-ignore lint/suspicious/noSparseArray: a hole (the schema refuses it) is the point
      fc.constant([1, , 3]),
      fc.constant(new Date(0)),
      fc.constant({ nested: undefined }),
      fc.constant(Object.create(null)),
    ),
    { maxKeys: 3 },
  ),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}, "a": 1}')),
  fc.constant(Object.assign(Object.create(null), { a: [1, { b: null }] })),
  fc.constant(Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false })),
  fc.constant({ [Symbol('s')]: 1, a: 1 }),
)

const taskArb = fc.dictionary(
  fc.oneof(
    fc.constantFrom(...FIELDS),
    fc.constantFrom('needs', 'backend', 'priority'),
    fc.constantFrom('bogus'),
  ),
  valueArb,
  { maxKeys: 5 },
)

const workflowArb = fc.record({
  weft: fc.constantFrom(1, 2),
  name: fc.constantFrom('w', ''),
  tasks: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', '1'), taskArb, { maxKeys: 4 }),
})

/** The same value with its keys in the same order, all the way down. */
const ordered = (v: unknown): string => JSON.stringify(v, (_k, x) => (x === undefined ? '<undefined>' : x))

describe('parseWorkflow', () => {
  it('gives what the schema gives, for random workflows', () => {
    fc.assert(
      fc.property(workflowArb, (raw) => {
        const fast = parseWorkflow(raw)
        const zod = WorkflowSpecSchema.safeParse(raw)
        expect(fast.success).toBe(zod.success)
        if (zod.success) expect(ordered(fast.data)).toBe(ordered(zod.data))
        else expect(fast.error!.issues).toEqual(zod.error.issues)
      }),
      { numRuns: 3000 },
    )
  })

  it('reads simple tasks itself and leaves the rest to the schema', () => {
    expect(parseSimpleTask({ needs: 'a', priority: 3, backend: 'mock' })).toEqual({
      needs: ['a'],
      backend: 'mock',
      priority: 3,
    })
    // Options made of plain JSON are simple too, and copied.
    const options = { command: 'x', args: [1, { deep: null }] }
    const parsed = parseSimpleTask({ with: options })
    expect(parsed).toEqual({ with: options })
    expect(parsed!.with).not.toBe(options)
    expect((parsed!.with!.args as unknown[])[1]).not.toBe(options.args[1])
    // Not simple: options the schema reads its own way, a bad value, an unknown field, an
    // inherited enumerable field.
    expect(parseSimpleTask({ with: { n: Number.NaN } })).toBeUndefined()
    expect(parseSimpleTask({ with: JSON.parse('{"__proto__": 1}') })).toBeUndefined()
    expect(parseSimpleTask({ priority: 101 })).toBeUndefined()
    expect(parseSimpleTask({ timeoutMs: 1.5 })).toBeUndefined()
    expect(parseSimpleTask({ backend: '' })).toBeUndefined()
    expect(parseSimpleTask({ needs: ['a', 1] })).toBeUndefined()
    expect(parseSimpleTask({ bogus: 1 })).toBeUndefined()
    expect(parseSimpleTask(Object.create({ prompt: 'x' }))).toBeUndefined()
  })

  it('copies the needs list, as the schema does', () => {
    const needs = ['a']
    const parsed = parseWorkflow({ weft: 1, name: 'w', tasks: { a: {}, b: { needs } } })
    expect(parsed.success).toBe(true)
    expect(parsed.data!.tasks.b!.needs).toEqual(['a'])
    expect(parsed.data!.tasks.b!.needs).not.toBe(needs)
  })
})
