import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { closure } from '../src/sandbox/fast-closures.js'
import { type BinaryOp, compileFastExpression, type Expr } from '../src/sandbox/fast-expression.js'

const BINARY: BinaryOp[] = [
  '||',
  '&&',
  '==',
  '!=',
  '===',
  '!==',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
]

/**
 * Trees of the fast subset, with the constants a user can write (numbers ≥ 0, strings, keywords).
 * No constant names a property of a prototype: the fast path reads own properties only, so there
 * it differs from JavaScript on purpose (see the test below).
 */
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Expr>({ k: 'value' }),
    fc
      .oneof(
        fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => Math.abs(d)),
        fc.constant(Number.POSITIVE_INFINITY),
        fc.nat(20),
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.constantFrom('a', 'b', '0', 'length', "'", '"', '\\', '\u2028', '${x}', '*/'),
        fc.constantFrom(true, false, null, undefined),
      )
      .map((v): Expr => ({ k: 'const', v })),
    fc.record({ k: fc.constant('member' as const), obj: tie('expr'), key: tie('expr') }),
    fc.record({ k: fc.constant('unary' as const), op: fc.constantFrom('!', '-', '+'), x: tie('expr') }),
    fc.record({
      k: fc.constant('binary' as const),
      op: fc.constantFrom(...BINARY),
      l: tie('expr'),
      r: tie('expr'),
    }),
    fc.record({ k: fc.constant('cond' as const), c: tie('expr'), a: tie('expr'), b: tie('expr') }),
  ),
})).expr

/** JSON-like values an expression sees. */
const valueArb = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(
    fc.constantFrom('a', 'b', '0', 'constructor'),
    fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
  ),
  fc.array(fc.integer(), { maxLength: 3 }),
)

/** What calling `fn` gives: its value, or the message of what it threw. */
function outcome(fn: (v: unknown) => unknown, value: unknown): { value?: unknown; threw?: string } {
  try {
    return { value: fn(value) }
  } catch (err) {
    return { threw: `${(err as Error).name}: ${(err as Error).message}` }
  }
}

/** The tree written as the user would, every subexpression in parentheses. */
function print(e: Expr): string {
  switch (e.k) {
    case 'value':
      return 'value'
    case 'const':
      if (typeof e.v === 'string') return JSON.stringify(e.v)
      return e.v === undefined ? 'undefined' : String(e.v)
    case 'member':
      return `(${print(e.obj)})[${print(e.key)}]`
    case 'unary':
      return `${e.op}(${print(e.x)})`
    case 'binary':
      return `(${print(e.l)}) ${e.op} (${print(e.r)})`
    case 'cond':
      return `(${print(e.c)}) ? (${print(e.a)}) : (${print(e.b)})`
  }
}

/** JavaScript itself, as the oracle (test code only: the engine never evaluates code). */
function javascript(e: Expr): (v: unknown) => unknown {
  return new Function('value', `"use strict"; return (${print(e)})`) as (v: unknown) => unknown
}

describe('the fast path for expressions', () => {
  it("gives JavaScript's result for any expression of the subset and any value (or throws where it throws)", () => {
    fc.assert(
      fc.property(exprArb, fc.array(valueArb, { minLength: 1, maxLength: 5 }), (tree, values) => {
        const fast = compileFastExpression(print(tree))
        // Strings the tokenizer does not take (other escapes, line breaks) go to the sandbox.
        fc.pre(fast !== undefined)
        const js = javascript(tree)
        for (const value of values) {
          const got = outcome(fast!, value)
          const want = outcome(js, value)
          if (want.threw !== undefined) expect(got.threw).toMatch(/^TypeError/)
          else expect(got).toEqual(want)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('parses what a user writes into the tree it means', () => {
    fc.assert(
      fc.property(exprArb, valueArb, (tree, value) => {
        const fast = compileFastExpression(print(tree))
        fc.pre(fast !== undefined)
        expect(outcome(fast!, value)).toEqual(outcome(closure(tree), value))
      }),
      { numRuns: 300 },
    )
  })

  it('reaches no prototype through member access', () => {
    expect(compileFastExpression('value.constructor')!({})).toBeUndefined()
    expect(compileFastExpression('value["__proto__"]')!({})).toBeUndefined()
    expect(compileFastExpression('value.toFixed')!(5)).toBeUndefined()
    expect(() => compileFastExpression('value.constructor.constructor')!({})).toThrow(TypeError)
  })

  it('gives the same function for the same expression (one call target for hot loops)', () => {
    expect(compileFastExpression('value * 3 + 1')).toBe(compileFastExpression('value * 3 + 1'))
    expect(compileFastExpression('value * 3 + 1')).not.toBe(compileFastExpression('value * 3 + 2'))
  })
})
