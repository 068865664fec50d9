import { describe, expect, it } from 'vitest'
import {
  ExpressionError,
  evaluateExpression,
  expressionPaths,
  parseExpression,
} from '../src/template/expression.js'
import { renderDeep, renderTemplate, TemplateError } from '../src/template/template.js'
import { WORKFLOW_LIMITS } from '../src/workflow/limits.js'

const scope = { inputs: { a: 1, b: 0, s: 'x' } }

describe('template limits', () => {
  it('refuses nesting deeper than the limit with an ExpressionError, not a RangeError', () => {
    const n = WORKFLOW_LIMITS.maxExpressionDepth + 1
    for (const src of [
      '!'.repeat(n) + 'true',
      `${'('.repeat(n)}1${')'.repeat(n)}`,
      `!(!(!(${'!'.repeat(n)}1)))`,
    ]) {
      const err = (() => {
        try {
          parseExpression(src)
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(ExpressionError)
      expect((err as ExpressionError).limit).toBe('depth')
      expect((err as Error).message).toMatch(/^expression nests deeper than 32 levels/)
    }
  })

  it('refuses an expression longer than the limit, and a template says where', () => {
    const src = Array(5000).fill('1').join('&&')
    expect(() => parseExpression(src)).toThrow(/longer than the limit of 4096/)
    expect(() => renderTemplate(`\${{ ${src} }}`, scope)).toThrow(TemplateError)
    expect(parseExpression(src, { maxLength: 20_000 }).kind).toBe('binary')
  })

  it('evaluates long && / || chains in order, short-circuiting like nested ones', () => {
    const chain = (op: string, items: string[]) => parseExpression(items.join(` ${op} `), { maxLength: 1e6 })
    const many = Array(20_000).fill('inputs.a')
    expect(evaluateExpression(chain('&&', many), scope)).toBe(1)
    expect(evaluateExpression(chain('&&', [...many, 'inputs.b', 'inputs.missing']), scope)).toBe(0)
    expect(evaluateExpression(chain('||', [...Array(20_000).fill('inputs.b'), 'inputs.s']), scope)).toBe('x')
    expect(evaluateExpression(chain('||', ['inputs.b', 'false']), scope)).toBe(false)
    expect(evaluateExpression(parseExpression('inputs.a && inputs.b || inputs.s'), scope)).toBe('x')
    expect(expressionPaths(chain('&&', many))).toHaveLength(20_000)
    expect(
      expressionPaths(parseExpression('inputs.a == 1 || !(inputs.b && inputs.s)')).map((p) => p.source),
    ).toEqual(['inputs.a', 'inputs.b', 'inputs.s'])
  })

  it('fails with a TemplateError, not a RangeError, on values nested too deep to compare or print', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    const s = { tasks: { a: { output: deep } } }
    expect(() => renderTemplate('x ${{ tasks.a.output }}', s)).toThrow(TemplateError)
    expect(() => renderTemplate('${{ tasks.a.output == tasks.a.output }}', s)).toThrow(TemplateError)
  })

  it('keeps a __proto__ key as a key when rendering', () => {
    const value = JSON.parse('{"__proto__": {"x": "${{ inputs.s }}"}, "y": 1}')
    const out = renderDeep(value, scope) as Record<string, unknown>
    expect(Object.keys(out)).toEqual(['__proto__', 'y'])
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: 'x' })
  })
})
