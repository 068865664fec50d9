import { type ComponentContext, defineComponent } from '@weft/spec'
import { z } from 'zod'
import { HOST_CONNECTED, HOST_EMIT_OWNED, HOST_ERROR, type HostContext } from '../execution-node.js'
import { type CompiledExpression, compileExpression } from '../sandbox/expression.js'
import { compileFastExpression } from '../sandbox/fast-expression.js'
import { loadQuickJS, SandboxError } from '../sandbox/quickjs.js'

/** How user code is limited: per call, per node. */
export const SandboxOptionsSchema = z.strictObject({
  timeoutMs: z.number().int().positive().max(60_000).default(1000),
  memoryMb: z.number().int().positive().max(1024).default(32),
})

const expression = z.string().min(1).max(65_536)
const sandbox = SandboxOptionsSchema.optional()
/** Run even a simple expression in QuickJS (the fast path is taken otherwise). */
const sandboxed = z.boolean().default(false)

const limitsOf = (o: { sandbox?: { timeoutMs: number; memoryMb: number } | undefined }) =>
  o.sandbox ? { timeoutMs: o.sandbox.timeoutMs, memoryBytes: o.sandbox.memoryMb * 1024 * 1024 } : undefined

/** Compiles an expression for a node (loading QuickJS only when the fast path cannot run it). */
async function prepare(
  source: string,
  o: { sandbox?: { timeoutMs: number; memoryMb: number } | undefined; sandboxed: boolean },
): Promise<CompiledExpression> {
  if (o.sandboxed || !compileFastExpression(source)) await loadQuickJS()
  const limits = limitsOf(o)
  return compileExpression(source, { ...(limits ? { limits } : {}), forceSandbox: o.sandboxed })
}

/** A syntax check for validation (QuickJS must be loaded for expressions outside the fast path). */
function checkExpression(source: string, path: (string | number)[]) {
  try {
    compileExpression(source).dispose()
    return []
  } catch (err) {
    if (err instanceof SandboxError)
      return [
        { path, message: err.message, hint: 'write a JavaScript expression over `value`, e.g. `value > 10`' },
      ]
    return []
  }
}

/** Emits two runs of values on two ports; waits (backpressure) on both. */
function emitBoth(
  ctx: ComponentContext,
  a: string,
  aValues: unknown[],
  b: string,
  bValues: unknown[],
): void | Promise<void> {
  // Both arrays are this call's own: handed over without a copy.
  const host = ctx as HostContext
  const waitA = aValues.length > 0 ? host[HOST_EMIT_OWNED](a, aValues) : undefined
  const waitB = bValues.length > 0 ? host[HOST_EMIT_OWNED](b, bValues) : undefined
  if (waitA && waitB) return Promise.all([waitA, waitB]).then(() => undefined)
  return waitA ?? waitB
}

const EXPR = 'expr'
const exprOf = (ctx: ComponentContext) => ctx.getState<CompiledExpression>(EXPR)!
const dispose = (ctx: ComponentContext) => {
  ctx.getState<CompiledExpression>(EXPR)?.dispose()
  for (const e of ctx.getState<CompiledExpression[]>('routes') ?? []) e.dispose()
}

const FilterOptions = z.strictObject({ expression, sandbox, sandboxed })

export const filterComponent = defineComponent<z.infer<typeof FilterOptions>>({
  id: 'filter',
  label: 'Filter',
  description: 'Emits on `out` the messages for which `expression` is truthy, the others on `rejected`',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }, { name: 'rejected' }],
  optionsSchema: FilterOptions,
  check: (o) => checkExpression(o.expression, ['expression']),
  async initialize(ctx) {
    ctx.setState(EXPR, await prepare(ctx.options.expression, ctx.options))
  },
  process(ctx, _port, value) {
    return ctx.emit(exprOf(ctx).evaluate(value) ? 'out' : 'rejected', value)
  },
  processBatch(ctx, port, values) {
    const host = ctx as HostContext
    const expr = exprOf(ctx)
    const evaluate = expr.evaluateRaw
    // Kept values are compacted into `values` (this call's own); rejected ones are collected only
    // when `rejected` has an edge.
    const rejected: unknown[] | undefined = host[HOST_CONNECTED]('rejected') ? [] : undefined
    let kept = 0
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      let pass: unknown
      try {
        pass = evaluate(value)
      } catch (err) {
        if (host[HOST_ERROR](port, expr.error(err))) continue
        return
      }
      if (pass) values[kept++] = value
      else rejected?.push(value)
    }
    if (kept !== values.length) values.length = kept
    return emitBoth(ctx, 'out', values, 'rejected', rejected ?? [])
  },
  cleanup: dispose,
})

const MapOptions = z.strictObject({ expression, sandbox, sandboxed })

export const mapComponent = defineComponent<z.infer<typeof MapOptions>>({
  id: 'map',
  label: 'Map',
  description: 'Emits the value of `expression` for each message',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  optionsSchema: MapOptions,
  check: (o) => checkExpression(o.expression, ['expression']),
  async initialize(ctx) {
    ctx.setState(EXPR, await prepare(ctx.options.expression, ctx.options))
  },
  process(ctx, _port, value) {
    const out = exprOf(ctx).evaluate(value)
    // JSON has no undefined: an expression that yields nothing emits null.
    return ctx.emit('out', out === undefined ? null : out)
  },
  processBatch(ctx, port, values) {
    const expr = exprOf(ctx)
    const evaluate = expr.evaluateRaw
    // The results replace the values in place: the array is this call's own.
    let kept = 0
    for (let i = 0; i < values.length; i++) {
      let out: unknown
      try {
        out = evaluate(values[i])
      } catch (err) {
        if ((ctx as HostContext)[HOST_ERROR](port, expr.error(err))) continue
        return
      }
      values[kept++] = out === undefined ? null : out
    }
    if (kept !== values.length) values.length = kept
    return (ctx as HostContext)[HOST_EMIT_OWNED]('out', values)
  },
  cleanup: dispose,
})

const PORT = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a port name is a letter or _ then letters, digits, _ or -')
const SplitOptions = z.strictObject({
  /** Output port → expression, checked in order. */
  routes: z.record(PORT, expression).refine((r) => Object.keys(r).length > 0, 'give at least one route'),
  /** `first`: the first route that matches; `all`: every route that matches. */
  mode: z.enum(['first', 'all']).default('first'),
  sandbox,
  sandboxed,
})

export const splitComponent = defineComponent<z.infer<typeof SplitOptions>>({
  id: 'split',
  label: 'Split',
  description:
    'Routes each message to the output port of the route whose expression matches, else to `default`',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'default' }],
  optionsSchema: SplitOptions,
  ports: (o) => ({
    inputs: [{ name: 'in' }],
    outputs: [...Object.keys(o.routes).map((name) => ({ name })), { name: 'default' }],
  }),
  check: (o) => Object.entries(o.routes).flatMap(([port, src]) => checkExpression(src, ['routes', port])),
  async initialize(ctx) {
    const routes: CompiledExpression[] = []
    for (const src of Object.values(ctx.options.routes)) routes.push(await prepare(src, ctx.options))
    ctx.setState('routes', routes)
    ctx.setState('ports', Object.keys(ctx.options.routes))
  },
  process(ctx, _port, value) {
    const routes = ctx.getState<CompiledExpression[]>('routes')!
    const ports = ctx.getState<string[]>('ports')!
    // No await between emits: a blocked emit queues the next ones behind it, in order.
    let wait: Promise<void> | undefined
    let matched = false
    for (let i = 0; i < routes.length; i++) {
      if (!routes[i]!.evaluate(value)) continue
      matched = true
      wait = (ctx.emit(ports[i]!, value) as Promise<void> | undefined) ?? wait
      if (ctx.options.mode === 'first') break
    }
    if (!matched) wait = ctx.emit('default', value) as Promise<void> | undefined
    return wait
  },
  cleanup: dispose,
})
