import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closure, compileTree } from '../src/sandbox/fast-compile.js'
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

/** Trees of the fast subset, with the constants a user can write (numbers ≥ 0, strings, keywords). */
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
        fc.constantFrom('a', 'b', 'constructor', '__proto__', "'", '"', '\\', '\u2028', '${x}', '*/'),
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

describe('fast expressions compiled to functions', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('gives what the tree of closures gives, for any expression of the subset and any value', () => {
    fc.assert(
      fc.property(exprArb, fc.array(valueArb, { minLength: 1, maxLength: 5 }), (tree, values) => {
        const compiled = compileTree(tree)
        const reference = closure(tree)
        for (const value of values) expect(outcome(compiled, value)).toEqual(outcome(reference, value))
      }),
      { numRuns: 400 },
    )
  })

  it('parses what a user writes into the same expression', () => {
    // Strings the tokenizer does not take (other escapes, line breaks) go to the sandbox instead.
    const printable = exprArb.filter((tree) => compileFastExpression(print(tree)) !== undefined)
    fc.assert(
      fc.property(printable, valueArb, (tree, value) => {
        expect(outcome(compileFastExpression(print(tree))!, value)).toEqual(outcome(closure(tree), value))
      }),
      { numRuns: 300 },
    )
  })

  it('keeps string constants exactly, whatever they contain', () => {
    for (const s of ['"', "'", '\\', '\u2028\u2029', '${value}', '*/ value /*', '</script>', '\n\t']) {
      const fn = compileTree({ k: 'binary', op: '+', l: { k: 'const', v: s }, r: { k: 'value' } })
      expect(fn('!')).toBe(`${s}!`)
    }
  })

  it('reaches no prototype through member access', () => {
    const fn = compileFastExpression('value.constructor')!
    expect(fn({})).toBeUndefined()
    expect(compileFastExpression('value["__proto__"]')!({})).toBeUndefined()
    expect(() => compileFastExpression('value.constructor.constructor')!({})).toThrow(TypeError)
  })

  it('falls back to closures where code generation is forbidden, with the same results', () => {
    vi.stubGlobal(
      'Function',
      class {
        constructor() {
          throw new EvalError('Code generation from strings disallowed for this context')
        }
      },
    )
    // A source no other test compiled: compiled functions are cached by their source.
    const fn = compileFastExpression('value * 7 + 0.25 > 10 ? "big" : value')!
    expect([fn(1), fn(2)]).toEqual([1, 'big'])
  })
})
