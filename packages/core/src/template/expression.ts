/**
 * The expression language inside `${{ }}`: paths into the run's data, literals, comparisons and
 * boolean operators. It is parsed and interpreted here, never evaluated as JavaScript, so a value
 * that flows through a template cannot run code.
 *
 *   expr    := or
 *   or      := and ('||' and)*
 *   and     := cmp ('&&' cmp)*
 *   cmp     := unary (('==' | '!=' | '<' | '<=' | '>' | '>=') unary)?
 *   unary   := '!' unary | primary
 *   primary := literal | path | '(' expr ')'
 *   path    := ident ('.' ident | '[' (number | string) ']')*
 */
import type { Json } from '@weft/spec'
import { WORKFLOW_LIMITS } from '../workflow/limits.js'

export type PathSegment = string | number
export type Expression =
  | { kind: 'literal'; value: Json }
  | { kind: 'path'; segments: PathSegment[]; source: string }
  | { kind: 'not'; operand: Expression }
  | { kind: 'binary'; op: BinaryOp; left: Expression; right: Expression }

type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>='

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError'
  /** Set when the expression is refused for its size, not its syntax. */
  readonly limit?: 'length' | 'depth'
  constructor(message: string, limit?: 'length' | 'depth') {
    super(message)
    if (limit) this.limit = limit
  }
}

/** Bounds on one expression; the defaults are `WORKFLOW_LIMITS`. */
export interface ExpressionLimits {
  maxLength?: number
  maxDepth?: number
}

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'end'; pos: number }

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '.', '[', ']', '(', ')']
// Sticky patterns match at `lastIndex` without copying the rest of the text for every token.
const SPACE = /\s+/y
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y
const NUMBER = /-?[0-9]+(\.[0-9]+)?/y

function matchAt(re: RegExp, src: string, i: number): string | undefined {
  re.lastIndex = i
  return re.exec(src)?.[0]
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    const space = matchAt(SPACE, src, i)
    if (space) {
      i += space.length
      continue
    }
    const ident = matchAt(IDENT, src, i)
    if (ident) {
      tokens.push({ t: 'ident', v: ident, pos: i })
      i += ident.length
      continue
    }
    const num = matchAt(NUMBER, src, i)
    if (num) {
      tokens.push({ t: 'num', v: Number(num), pos: i })
      i += num.length
      continue
    }
    if (c === "'" || c === '"') {
      let j = i + 1
      let value = ''
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++
        value += src[j]
        j++
      }
      if (j >= src.length) throw new ExpressionError(`unterminated string starting at column ${i + 1}`)
      tokens.push({ t: 'str', v: value, pos: i })
      i = j + 1
      continue
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i))
    if (!op) throw new ExpressionError(`unexpected character '${c}' at column ${i + 1}`)
    tokens.push({ t: 'op', v: op, pos: i })
    i += op.length
  }
  tokens.push({ t: 'end', pos: src.length })
  return tokens
}

/**
 * Parses one expression. `&&` and `||` chains are read in loops; only `(` and `!` recurse, and
 * their nesting is bounded by `maxDepth`, so no expression can exhaust the stack here or in the
 * functions that walk the result.
 */
export function parseExpression(src: string, limits: ExpressionLimits = {}): Expression {
  const maxLength = limits.maxLength ?? WORKFLOW_LIMITS.maxExpressionLength
  const maxDepth = limits.maxDepth ?? WORKFLOW_LIMITS.maxExpressionDepth
  if (src.trim() === '') throw new ExpressionError('empty expression')
  if (src.length > maxLength) {
    throw new ExpressionError(
      `expression is ${src.length} characters long, longer than the limit of ${maxLength}`,
      'length',
    )
  }
  const tokens = tokenize(src)
  let p = 0
  let depth = 0
  const peek = () => tokens[p]!
  const isOp = (v: string) => {
    const t = peek()
    return t.t === 'op' && t.v === v
  }
  const expectOp = (v: string) => {
    if (!isOp(v)) throw new ExpressionError(`expected '${v}' at column ${peek().pos + 1}`)
    p++
  }
  const deeper = (levels: number, at: number) => {
    depth += levels
    if (depth > maxDepth) {
      throw new ExpressionError(
        `expression nests deeper than ${maxDepth} levels (at column ${at + 1}; each '(' and '!' is a level)`,
        'depth',
      )
    }
  }

  const parseOr = (): Expression => {
    let left = parseAnd()
    while (isOp('||')) {
      p++
      left = { kind: 'binary', op: '||', left, right: parseAnd() }
    }
    return left
  }
  const parseAnd = (): Expression => {
    let left = parseCmp()
    while (isOp('&&')) {
      p++
      left = { kind: 'binary', op: '&&', left, right: parseCmp() }
    }
    return left
  }
  const parseCmp = (): Expression => {
    const left = parseUnary()
    const t = peek()
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      p++
      return { kind: 'binary', op: t.v as BinaryOp, left, right: parseUnary() }
    }
    return left
  }
  const parseUnary = (): Expression => {
    let nots = 0
    while (isOp('!')) {
      p++
      nots++
    }
    if (nots === 0) return parsePrimary()
    deeper(nots, peek().pos)
    let expr = parsePrimary()
    depth -= nots
    for (let i = 0; i < nots; i++) expr = { kind: 'not', operand: expr }
    return expr
  }
  const parsePrimary = (): Expression => {
    const t = peek()
    if (t.t === 'num') {
      p++
      return { kind: 'literal', value: t.v }
    }
    if (t.t === 'str') {
      p++
      return { kind: 'literal', value: t.v }
    }
    if (t.t === 'op' && t.v === '(') {
      deeper(1, t.pos)
      p++
      const inner = parseOr()
      expectOp(')')
      depth--
      return inner
    }
    if (t.t === 'ident') {
      if (t.v === 'true' || t.v === 'false') {
        p++
        return { kind: 'literal', value: t.v === 'true' }
      }
      if (t.v === 'null') {
        p++
        return { kind: 'literal', value: null }
      }
      return parsePath()
    }
    if (t.t === 'end') throw new ExpressionError('unexpected end of expression')
    throw new ExpressionError(`unexpected '${t.v}' at column ${t.pos + 1}`)
  }
  const parsePath = (): Expression => {
    const start = peek().pos
    const segments: PathSegment[] = [(tokens[p++] as { v: string }).v]
    for (;;) {
      if (isOp('.')) {
        p++
        const t = peek()
        if (t.t !== 'ident') throw new ExpressionError(`expected a name after '.' at column ${t.pos + 1}`)
        segments.push(t.v)
        p++
      } else if (isOp('[')) {
        p++
        const t = peek()
        if (t.t !== 'num' && t.t !== 'str') {
          throw new ExpressionError(`expected a number or a quoted key inside [] at column ${t.pos + 1}`)
        }
        segments.push(t.v)
        p++
        expectOp(']')
      } else break
    }
    return { kind: 'path', segments, source: src.slice(start, peek().pos).trim() }
  }

  const expr = parseOr()
  const rest = peek()
  if (rest.t !== 'end') {
    throw new ExpressionError(`unexpected '${'v' in rest ? rest.v : ''}' at column ${rest.pos + 1}`)
  }
  return expr
}

/** Every path an expression reads, left to right, for validation. Walks with its own stack. */
export function expressionPaths(expr: Expression): Extract<Expression, { kind: 'path' }>[] {
  const out: Extract<Expression, { kind: 'path' }>[] = []
  const todo: Expression[] = [expr]
  while (todo.length) {
    const e = todo.pop()!
    if (e.kind === 'path') out.push(e)
    else if (e.kind === 'not') todo.push(e.operand)
    else if (e.kind === 'binary') todo.push(e.right, e.left)
  }
  return out
}

export type Scope = { [key: string]: unknown }

function describeSegments(segments: PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('')
}

export function resolvePath(segments: PathSegment[], scope: Scope): unknown {
  let value: unknown = scope
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    const here = describeSegments(segments.slice(0, i))
    if (value === null || typeof value !== 'object') {
      throw new ExpressionError(
        `${here} is ${value === null ? 'null' : typeof value}, it has no member '${seg}'`,
      )
    }
    if (Array.isArray(value) && typeof seg === 'number') {
      if (seg < 0 || seg >= value.length) {
        throw new ExpressionError(`${here} has ${value.length} item(s); index ${seg} is out of range`)
      }
      value = value[seg]
      continue
    }
    if (!Object.hasOwn(value, String(seg))) {
      const keys = Object.keys(value)
      const where = i === 0 ? 'the template scope' : here
      throw new ExpressionError(
        `${where} has no member '${seg}'${keys.length ? ` (it has: ${keys.slice(0, 10).join(', ')})` : ''}`,
      )
    }
    value = (value as Record<string, unknown>)[String(seg)]
  }
  return value
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  return Boolean(v)
}

/**
 * The operands of a chain of one operator, left to right: `a && b && c` parses as
 * `((a && b) && c)`, and a long chain is walked here in a loop instead of one call per link.
 */
function chainOperands(expr: Extract<Expression, { kind: 'binary' }>): Expression[] {
  const rights: Expression[] = []
  let e: Expression = expr
  while (e.kind === 'binary' && e.op === expr.op) {
    rights.push(e.right)
    e = e.left
  }
  rights.push(e)
  return rights.reverse()
}

export function evaluateExpression(expr: Expression, scope: Scope): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value
    case 'path':
      return resolvePath(expr.segments, scope)
    case 'not':
      return !truthy(evaluateExpression(expr.operand, scope))
    case 'binary': {
      if (expr.op === '&&' || expr.op === '||') {
        // Short-circuit: `&&` stops at the first falsy operand, `||` at the first truthy one.
        const stopWhen = expr.op === '||'
        let value: unknown
        for (const operand of chainOperands(expr)) {
          value = evaluateExpression(operand, scope)
          if (truthy(value) === stopWhen) return value
        }
        return value
      }
      const l = evaluateExpression(expr.left, scope)
      const r = evaluateExpression(expr.right, scope)
      switch (expr.op) {
        case '==':
          return JSON.stringify(l) === JSON.stringify(r)
        case '!=':
          return JSON.stringify(l) !== JSON.stringify(r)
        case '<':
          return (l as number) < (r as number)
        case '<=':
          return (l as number) <= (r as number)
        case '>':
          return (l as number) > (r as number)
        case '>=':
          return (l as number) >= (r as number)
      }
    }
  }
}

export { truthy as isTruthy }
