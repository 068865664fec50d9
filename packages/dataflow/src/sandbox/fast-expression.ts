/**
 * The fast path for expressions: a safe subset of JavaScript expressions (literals, `value`, member
 * access, arithmetic, comparisons, logic and `?:`) parsed here into a small tree, which
 * `fast-closures.ts` turns into closures. No code is ever evaluated. There are no calls, no assignments, and member access
 * reads own properties only, so `value.constructor` is undefined and no prototype is reachable.
 * Anything outside the subset (a call, `=>`, a regex, a global) is not handled here and runs in
 * the QuickJS sandbox instead. Both give JavaScript's result for what the subset covers.
 */

import { closure, type Evaluate } from './fast-closures.js'

export type { Evaluate } from './fast-closures.js'

/** An expression of the subset, parsed. */
export type Expr =
  | { k: 'const'; v: string | number | boolean | null | undefined }
  | { k: 'value' }
  | { k: 'member'; obj: Expr; key: Expr }
  | { k: 'unary'; op: '!' | '-' | '+'; x: Expr }
  | { k: 'binary'; op: BinaryOp; l: Expr; r: Expr }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }

export type BinaryOp =
  | '||'
  | '&&'
  | '=='
  | '!='
  | '==='
  | '!=='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'

/** Longest expression the fast path compiles; longer ones go to the sandbox. */
const MAX_LENGTH = 4096
const MAX_DEPTH = 32

type Tok = { t: 'num' | 'str' | 'id' | 'op'; v: string | number }

const OPS = [
  '===',
  '!==',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '?',
  ':',
  '.',
  '[',
  ']',
  '(',
  ')',
]

function tokenize(src: string): Tok[] | undefined {
  const out: Tok[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if ((c >= '0' && c <= '9') || (c === '.' && src[i + 1]! >= '0' && src[i + 1]! <= '9')) {
      const m = /^(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(src.slice(i))
      if (!m) return undefined
      out.push({ t: 'num', v: Number(m[0]) })
      i += m[0].length
      continue
    }
    if (c === '"' || c === "'") {
      let j = i + 1
      let s = ''
      while (j < src.length && src[j] !== c) {
        // Escapes other than the simple ones are left to the sandbox.
        if (src[j] === '\\') {
          const e = src[j + 1]
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' }
          if (e === undefined || simple[e] === undefined) return undefined
          s += simple[e]
          j += 2
          continue
        }
        s += src[j]
        j++
      }
      if (j >= src.length) return undefined
      out.push({ t: 'str', v: s })
      i = j + 1
      continue
    }
    const id = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i, i + 256))
    if (id) {
      out.push({ t: 'id', v: id[0] })
      i += id[0].length
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (!op) return undefined
    out.push({ t: 'op', v: op })
    i += op.length
  }
  return out
}

class Unsupported extends Error {}

/** Compiles `src` when it is in the safe subset; undefined when the sandbox must run it. */
export function compileFastExpression(src: string): Evaluate | undefined {
  // The same expression gets the same function, also across executions: a call site that always
  // sees one function stays monomorphic (and inlined); new closures per execution would not.
  const cached = compiled.get(src)
  if (cached) return cached
  const tree = parseFastExpression(src)
  if (!tree) return undefined
  const fn = closure(tree)
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!)
  compiled.set(src, fn)
  return fn
}

/** Compiled expressions kept for reuse (the oldest goes first). */
const MAX_CACHED = 1000
const compiled = new Map<string, Evaluate>()

/** Parses `src` when it is in the safe subset; undefined when the sandbox must run it. */
export function parseFastExpression(src: string): Expr | undefined {
  if (src.length > MAX_LENGTH) return undefined
  const toks = tokenize(src)
  if (!toks || toks.length === 0) return undefined
  let pos = 0
  let depth = 0
  const peek = () => toks[pos]
  const isOp = (v: string) => toks[pos]?.t === 'op' && toks[pos]!.v === v
  const expect = (v: string) => {
    if (!isOp(v)) throw new Unsupported()
    pos++
  }

  const ternary = (): Expr => {
    if (++depth > MAX_DEPTH) throw new Unsupported()
    const cond = binary(0)
    let out = cond
    if (isOp('?')) {
      pos++
      const a = ternary()
      expect(':')
      const b = ternary()
      out = { k: 'cond', c: cond, a, b }
    }
    depth--
    return out
  }

  const LEVELS: BinaryOp[][] = [
    ['||'],
    ['&&'],
    ['==', '!=', '===', '!=='],
    ['<', '<=', '>', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ]
  const binary = (level: number): Expr => {
    if (level === LEVELS.length) return unary()
    let left = binary(level + 1)
    while (peek()?.t === 'op' && (LEVELS[level] as string[]).includes(peek()!.v as string)) {
      const op = toks[pos++]!.v as BinaryOp
      const right = binary(level + 1)
      left = { k: 'binary', op, l: left, r: right }
    }
    return left
  }

  const unary = (): Expr => {
    if (isOp('!') || isOp('-') || isOp('+')) {
      const op = toks[pos++]!.v as '!' | '-' | '+'
      if (++depth > MAX_DEPTH) throw new Unsupported()
      const x = unary()
      depth--
      return { k: 'unary', op, x }
    }
    return postfix()
  }

  const postfix = (): Expr => {
    let target = primary()
    for (;;) {
      if (isOp('.')) {
        pos++
        const name = peek()
        if (name?.t !== 'id') throw new Unsupported()
        pos++
        target = { k: 'member', obj: target, key: { k: 'const', v: name.v } }
      } else if (isOp('[')) {
        pos++
        const key = ternary()
        expect(']')
        target = { k: 'member', obj: target, key }
      } else if (isOp('(')) {
        throw new Unsupported() // a call: the sandbox runs it
      } else return target
    }
  }

  const primary = (): Expr => {
    const tok = toks[pos++]
    if (!tok) throw new Unsupported()
    if (tok.t === 'num' || tok.t === 'str') return { k: 'const', v: tok.v }
    if (tok.t === 'id') {
      if (tok.v === 'value') return { k: 'value' }
      if (tok.v === 'true') return { k: 'const', v: true }
      if (tok.v === 'false') return { k: 'const', v: false }
      if (tok.v === 'null') return { k: 'const', v: null }
      if (tok.v === 'undefined') return { k: 'const', v: undefined }
      throw new Unsupported() // a global (Math, JSON, …): the sandbox has it
    }
    if (tok.v === '(') {
      const inner = ternary()
      expect(')')
      return inner
    }
    throw new Unsupported()
  }

  try {
    const tree = ternary()
    if (pos !== toks.length) return undefined
    return tree
  } catch (err) {
    if (err instanceof Unsupported) return undefined
    throw err
  }
}
