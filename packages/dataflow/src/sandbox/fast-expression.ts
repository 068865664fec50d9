/**
 * The fast path for expressions: a safe subset of JavaScript expressions (literals, `value`, member
 * access, arithmetic, comparisons, logic and `?:`) parsed here and compiled to closures. It runs in
 * the host without ever evaluating code: there are no calls, no assignments, and member access
 * reads own properties only, so `value.constructor` is undefined and no prototype is reachable.
 * Anything outside the subset (a call, `=>`, a regex, a global) is not handled here and runs in
 * the QuickJS sandbox instead. Both give JavaScript's result for what the subset covers.
 */

export type Evaluate = (value: unknown) => unknown

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

/** Reads an own property only: prototypes (and what hangs off them) stay out of reach. */
function member(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) {
    throw new TypeError(`cannot read property '${String(key)}' of ${obj === null ? 'null' : 'undefined'}`)
  }
  const k = typeof key === 'number' ? key : String(key)
  return (typeof obj === 'object' || typeof obj === 'string') && Object.hasOwn(obj as object, k)
    ? (obj as Record<string | number, unknown>)[k]
    : undefined
}

/** Compiles `src` when it is in the safe subset; undefined when the sandbox must run it. */
export function compileFastExpression(src: string): Evaluate | undefined {
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

  const ternary = (): Evaluate => {
    if (++depth > MAX_DEPTH) throw new Unsupported()
    const cond = binary(0)
    let out = cond
    if (isOp('?')) {
      pos++
      const a = ternary()
      expect(':')
      const b = ternary()
      out = (v) => (cond(v) ? a(v) : b(v))
    }
    depth--
    return out
  }

  const LEVELS: string[][] = [
    ['||'],
    ['&&'],
    ['==', '!=', '===', '!=='],
    ['<', '<=', '>', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ]
  const binary = (level: number): Evaluate => {
    if (level === LEVELS.length) return unary()
    let left = binary(level + 1)
    while (peek()?.t === 'op' && LEVELS[level]!.includes(peek()!.v as string)) {
      const op = toks[pos++]!.v as string
      const right = binary(level + 1)
      left = combine(op, left, right)
    }
    return left
  }

  const unary = (): Evaluate => {
    if (isOp('!') || isOp('-') || isOp('+')) {
      const op = toks[pos++]!.v
      if (++depth > MAX_DEPTH) throw new Unsupported()
      const operand = unary()
      depth--
      return op === '!'
        ? (v) => !operand(v)
        : op === '-'
          ? (v) => -(operand(v) as number)
          : (v) => +(operand(v) as number)
    }
    return postfix()
  }

  const postfix = (): Evaluate => {
    let target = primary()
    for (;;) {
      if (isOp('.')) {
        pos++
        const name = peek()
        if (name?.t !== 'id') throw new Unsupported()
        pos++
        const obj = target
        const key = name.v
        target = (v) => member(obj(v), key)
      } else if (isOp('[')) {
        pos++
        const obj = target
        const key = ternary()
        expect(']')
        target = (v) => member(obj(v), key(v))
      } else if (isOp('(')) {
        throw new Unsupported() // a call: the sandbox runs it
      } else return target
    }
  }

  const primary = (): Evaluate => {
    const tok = toks[pos++]
    if (!tok) throw new Unsupported()
    if (tok.t === 'num' || tok.t === 'str') {
      const c = tok.v
      return () => c
    }
    if (tok.t === 'id') {
      if (tok.v === 'value') return (v) => v
      if (tok.v === 'true') return () => true
      if (tok.v === 'false') return () => false
      if (tok.v === 'null') return () => null
      if (tok.v === 'undefined') return () => undefined
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
    const fn = ternary()
    if (pos !== toks.length) return undefined
    return fn
  } catch (err) {
    if (err instanceof Unsupported) return undefined
    throw err
  }
}

function combine(op: string, l: Evaluate, r: Evaluate): Evaluate {
  // Operands are JSON-like values; `==` and `+` on objects use the plain Object.prototype
  // conversions, which run no user code.
  switch (op) {
    case '||':
      return (v) => l(v) || r(v)
    case '&&':
      return (v) => l(v) && r(v)
    case '==':
      // biome-ignore lint/suspicious/noDoubleEquals: JavaScript's loose equality, as the user wrote it
      return (v) => l(v) == r(v)
    case '!=':
      // biome-ignore lint/suspicious/noDoubleEquals: JavaScript's loose inequality, as the user wrote it
      return (v) => l(v) != r(v)
    case '===':
      return (v) => l(v) === r(v)
    case '!==':
      return (v) => l(v) !== r(v)
    case '<':
      return (v) => (l(v) as number) < (r(v) as number)
    case '<=':
      return (v) => (l(v) as number) <= (r(v) as number)
    case '>':
      return (v) => (l(v) as number) > (r(v) as number)
    case '>=':
      return (v) => (l(v) as number) >= (r(v) as number)
    case '+':
      return (v) => (l(v) as number) + (r(v) as number)
    case '-':
      return (v) => (l(v) as number) - (r(v) as number)
    case '*':
      return (v) => (l(v) as number) * (r(v) as number)
    case '/':
      return (v) => (l(v) as number) / (r(v) as number)
    default:
      return (v) => (l(v) as number) % (r(v) as number)
  }
}
