import { compileFastExpression } from './fast-expression.js'
import { loadedQuickJS, Sandbox, SandboxError, type SandboxLimits } from './quickjs.js'

/** A compiled user expression over `value`. */
export interface CompiledExpression {
  readonly source: string
  /** True when it runs in QuickJS (outside the fast subset). */
  readonly sandboxed: boolean
  evaluate(value: unknown): unknown
  /**
   * `evaluate` for loops over many values: it may throw the bare error, which `error` turns into
   * what `evaluate` would have thrown. (A call less per value, and one function at the call site.)
   */
  readonly evaluateRaw: (value: unknown) => unknown
  error(err: unknown): unknown
  dispose(): void
}

export interface ExpressionOptions {
  limits?: SandboxLimits
  /** Always run in QuickJS, even when the fast path could (for measuring, or for strict parity). */
  forceSandbox?: boolean
}

/**
 * Compiles a JavaScript expression over `value`: in the fast safe subset when it fits, else in its
 * own QuickJS sandbox (call `loadQuickJS()` first). Throws `SandboxError` ('syntax') when it does
 * not compile.
 */
export function compileExpression(source: string, options: ExpressionOptions = {}): CompiledExpression {
  const fast = options.forceSandbox ? undefined : compileFastExpression(source)
  if (fast) {
    const error = (err: unknown) =>
      new SandboxError('runtime', `expression \`${brief(source)}\` threw ${(err as Error).message}`)
    return {
      source,
      sandboxed: false,
      evaluate(value) {
        try {
          return fast(value)
        } catch (err) {
          throw error(err)
        }
      },
      evaluateRaw: fast,
      error,
      dispose() {},
    }
  }
  const module = loadedQuickJS()
  if (!module)
    throw new Error('QuickJS is not loaded: await loadQuickJS() before compiling a sandboxed expression')
  const what = `expression \`${brief(source)}\``
  let sandbox = new Sandbox(module, options.limits)
  const compile = (sb: Sandbox) => sb.evalHandle(`(function (value) { return (\n${source}\n) })`, what)
  let fn = compileOrDispose(sandbox, compile)
  const evaluate = (value: unknown): unknown => {
    try {
      return sandbox.call(fn, [value], what)
    } catch (err) {
      // After a memory or time overrun the runtime may hold garbage of the failed call: start a
      // fresh one (an expression keeps no state).
      if (
        err instanceof SandboxError &&
        (err.kind === 'memory' || err.kind === 'timeout' || err.kind === 'stack')
      ) {
        fn.dispose()
        sandbox.dispose()
        sandbox = new Sandbox(module, options.limits)
        fn = compileOrDispose(sandbox, compile)
      }
      throw err
    }
  }
  return {
    source,
    sandboxed: true,
    evaluate,
    evaluateRaw: evaluate,
    error: (err) => err,
    dispose() {
      if (fn.alive) fn.dispose()
      sandbox.dispose()
    },
  }
}

function compileOrDispose<T>(sandbox: Sandbox, compile: (sb: Sandbox) => T): T {
  try {
    return compile(sandbox)
  } catch (err) {
    sandbox.dispose()
    throw err
  }
}

export function brief(source: string): string {
  const oneLine = source.replace(/\s+/g, ' ').trim()
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}…` : oneLine
}
