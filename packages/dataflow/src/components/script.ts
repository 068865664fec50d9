import { type ComponentContext, defineComponent } from '@weft/spec'
import { z } from 'zod'
import { loadQuickJS, SandboxError } from '../sandbox/quickjs.js'
import { ScriptInstance } from '../sandbox/script.js'
import { SandboxOptionsSchema } from './expression-components.js'

const PORT = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/)
const ScriptOptions = z.strictObject({
  /** JavaScript defining `process(ctx, port, value)`, and optionally `initialize(ctx)` and `flush(ctx)`. */
  source: z.string().min(1).max(1_048_576),
  inputs: z.array(PORT).min(1).max(64).default(['in']),
  outputs: z.array(PORT).max(64).default(['out']),
  sandbox: SandboxOptionsSchema.default({ timeoutMs: 1000, memoryMb: 32 }),
})
type Options = z.infer<typeof ScriptOptions>

const INSTANCE = 'script'

function instanceOf(ctx: { getState<T>(key: string): T | undefined }): ScriptInstance {
  return ctx.getState<ScriptInstance>(INSTANCE)!
}

/**
 * A component written inline in the graph, run in its own QuickJS sandbox with a time limit per
 * call and a memory limit. Globals persist between calls of the same node (its state).
 */
export const scriptComponent = defineComponent<Options>({
  id: 'script',
  label: 'Script (sandboxed)',
  description: 'Inline JavaScript component run in QuickJS/WebAssembly with time and memory limits',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  optionsSchema: ScriptOptions,
  ports: (o) => ({
    inputs: o.inputs.map((name) => ({ name })),
    outputs: o.outputs.map((name) => ({ name })),
  }),
  check(o) {
    try {
      new ScriptInstance(o.source, 'check', {
        timeoutMs: o.sandbox.timeoutMs,
        memoryBytes: o.sandbox.memoryMb * 1048576,
      }).dispose()
      return []
    } catch (err) {
      if (!(err instanceof SandboxError)) return []
      return [
        {
          path: ['source'],
          message: err.message,
          hint: 'the source is a script that defines function process(ctx, port, value)',
        },
      ]
    }
  },
  async initialize(ctx) {
    await loadQuickJS()
    const o = ctx.options
    const instance = new ScriptInstance(o.source, ctx.nodeId, {
      timeoutMs: o.sandbox.timeoutMs,
      memoryBytes: o.sandbox.memoryMb * 1048576,
    })
    ctx.setState(INSTANCE, instance)
    return route(
      ctx,
      instance.run('initialize', undefined, undefined, `initialize() of node '${ctx.nodeId}'`),
    )
  },
  process(ctx, port, value) {
    return route(ctx, instanceOf(ctx).run('process', port, value, `process() of node '${ctx.nodeId}'`))
  },
  flush(ctx) {
    return route(ctx, instanceOf(ctx).run('flush', undefined, undefined, `flush() of node '${ctx.nodeId}'`))
  },
  cleanup(ctx) {
    ctx.getState<ScriptInstance>(INSTANCE)?.dispose()
  },
})

function route(
  ctx: ComponentContext<Options>,
  result: { out: [string, unknown][]; logs: [string, string][] },
): void | Promise<void> {
  for (const [level, message] of result.logs) {
    ctx.log(level === 'debug' || level === 'warn' || level === 'error' ? level : 'info', message)
  }
  let wait: Promise<void> | undefined
  for (const [port, value] of result.out) wait = (ctx.emit(port, value) as Promise<void> | undefined) ?? wait
  return wait
}
