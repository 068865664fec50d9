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
 * Turns a parsed expression into a tree of closures, one per node. Nothing is evaluated as code:
 * each closure applies one operator of the subset (as JavaScript defines it) to what its children
 * return. Engines inline such small closures where a call site sees only a few of them, so a map
 * or filter over many values costs little more than hand-written code.
 */
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
