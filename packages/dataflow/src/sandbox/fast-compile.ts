import type { Expr } from './fast-expression.js'

export type Evaluate = (value: unknown) => unknown

/** Reads an own property only: prototypes (and what hangs off them) stay out of reach. */
export function member(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) {
    throw new TypeError(`cannot read property '${String(key)}' of ${obj === null ? 'null' : 'undefined'}`)
  }
  const k = typeof key === 'number' ? key : String(key)
  return (typeof obj === 'object' || typeof obj === 'string') && Object.hasOwn(obj as object, k)
    ? (obj as Record<string | number, unknown>)[k]
    : undefined
}

/**
 * Turns a parsed expression into a function. The tree becomes JavaScript source that the engine
 * compiles like any other function, so a map or a filter over millions of values runs at the
 * speed of hand-written code (a tree of closures costs a call per node per value).
 *
 * Why generating source is safe here: no text of the user's expression reaches the source. It is
 * built only from fixed operator tokens, the parameter `v`, calls of `member` (own properties
 * only), numbers written by `String(number)` when finite and strings written by
 * `JSON.stringify` (always one well-formed string literal); every subexpression is
 * parenthesized, so the generated code has exactly the tree's structure. Where the host forbids
 * code generation (`--disallow-code-generation-from-strings`), the closures run instead: the same
 * results, slower.
 */
export function compileTree(tree: Expr): Evaluate {
  const constants: unknown[] = []
  const body = source(tree, constants)
  // The same expression gets the same function, also across executions: a call site that always
  // sees one function stays monomorphic (and inlined); a new one per execution would not.
  const key = constants.length === 0 ? body : `${body}\u0000${constants.map(String).join(',')}`
  const cached = compiled.get(key)
  if (cached) return cached
  let fn: Evaluate
  try {
    const make = new Function('member', 'k', `"use strict"; return function (v) { return ${body} }`)
    fn = make(member, constants) as Evaluate
  } catch {
    fn = closure(tree)
  }
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, fn)
  return fn
}

/** Compiled expressions kept for reuse (the oldest goes first). */
const MAX_CACHED = 1000
const compiled = new Map<string, Evaluate>()

function source(e: Expr, constants: unknown[]): string {
  switch (e.k) {
    case 'value':
      return 'v'
    case 'const': {
      const v = e.v
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return `(${String(v)})`
      if (typeof v === 'string') return JSON.stringify(v)
      if (v === true) return 'true'
      if (v === false) return 'false'
      if (v === null) return 'null'
      if (v === undefined) return '(void 0)'
      constants.push(v)
      return `k[${constants.length - 1}]`
    }
    case 'member':
      return `member(${source(e.obj, constants)}, ${source(e.key, constants)})`
    case 'unary':
      return `(${e.op}${source(e.x, constants)})`
    case 'binary':
      return `(${source(e.l, constants)} ${e.op} ${source(e.r, constants)})`
    case 'cond':
      return `(${source(e.c, constants)} ? ${source(e.a, constants)} : ${source(e.b, constants)})`
  }
}

/** The same function as a tree of closures, for hosts that allow no code generation. */
export function closure(e: Expr): Evaluate {
  switch (e.k) {
    case 'value':
      return (v) => v
    case 'const': {
      const c = e.v
      return () => c
    }
    case 'member': {
      const obj = closure(e.obj)
      const key = closure(e.key)
      return (v) => member(obj(v), key(v))
    }
    case 'unary': {
      const x = closure(e.x)
      return e.op === '!' ? (v) => !x(v) : e.op === '-' ? (v) => -(x(v) as number) : (v) => +(x(v) as number)
    }
    case 'cond': {
      const c = closure(e.c)
      const a = closure(e.a)
      const b = closure(e.b)
      return (v) => (c(v) ? a(v) : b(v))
    }
    case 'binary':
      return combine(e.op, closure(e.l), closure(e.r))
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
