import { setTimeout as sleep } from 'node:timers/promises'
import { type Component, defineComponent } from '@weft/spec'
import { z } from 'zod'
import { HOST_EMIT_OWNED, HOST_OUTPUT, HOST_OUTPUT_BATCH, type HostContext } from '../execution-node.js'

const IN = [{ name: 'in' }] as const
const OUT = [{ name: 'out' }] as const

/** A component that hands every message on unchanged, from `in` to `out`. */
function forwardingComponent(id: string, label: string, description: string): Component {
  return defineComponent({
    id,
    label,
    description,
    inputs: IN,
    outputs: OUT,
    process: (ctx, _port, value) => ctx.emit('out', value),
    // The batch is this call's own: handed on as is.
    processBatch: (ctx, _port, values) => (ctx as HostContext)[HOST_EMIT_OWNED]('out', values),
  })
}

/** Where injected messages enter a graph (`weft dataflow run` feeds each input line here). */
export const inputComponent = forwardingComponent(
  'input',
  'Input',
  'Entry point: messages injected into the execution come out of `out`',
)

/** Where values leave a graph: each value reaching it is an output of the execution, in order. */
export const outputComponent = defineComponent({
  id: 'output',
  label: 'Output',
  description: 'Exit point: every value it receives is an output of the execution',
  inputs: IN,
  outputs: [],
  process: (ctx, _port, value) => (ctx as HostContext)[HOST_OUTPUT](value),
  processBatch: (ctx, _port, values) => (ctx as HostContext)[HOST_OUTPUT_BATCH](values),
})

export const passthroughComponent = forwardingComponent(
  'passthrough',
  'Passthrough',
  'Forwards every message unchanged',
)

const LoggerOptions = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  label: z.string().max(200).optional(),
})

export const loggerComponent = defineComponent<z.infer<typeof LoggerOptions>>({
  id: 'logger',
  label: 'Logger',
  description: 'Logs every message (a `node.log` event) and forwards it',
  inputs: IN,
  outputs: OUT,
  optionsSchema: LoggerOptions,
  process(ctx, _port, value) {
    const text = JSON.stringify(value) ?? String(value)
    ctx.log(ctx.options.level, ctx.options.label ? `${ctx.options.label}: ${text}` : text)
    return ctx.emit('out', value)
  },
})

const DelayOptions = z.strictObject({ ms: z.number().int().nonnegative().max(3_600_000) })

export const delayComponent = defineComponent<z.infer<typeof DelayOptions>>({
  id: 'delay',
  label: 'Delay',
  description: 'Forwards each message after `ms` milliseconds (one at a time: order is kept)',
  inputs: IN,
  outputs: OUT,
  optionsSchema: DelayOptions,
  async process(ctx, _port, value) {
    if (ctx.options.ms > 0) await sleep(ctx.options.ms, undefined, { signal: ctx.signal })
    await ctx.emit('out', value)
  },
})

const MergeOptions = z.strictObject({
  /** Names of the input ports. Any port also takes several edges (fan-in). */
  inputs: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/))
    .min(1)
    .max(64)
    .default(['in']),
  /** Emit `{ port, value }` instead of the bare value. */
  tag: z.boolean().default(false),
})

export const mergeComponent = defineComponent<z.infer<typeof MergeOptions>>({
  id: 'merge',
  label: 'Merge',
  description: 'Forwards what arrives on any of its input ports to `out`, in arrival order',
  inputs: IN,
  outputs: OUT,
  optionsSchema: MergeOptions,
  ports: (o) => ({ inputs: o.inputs.map((name) => ({ name })), outputs: OUT }),
  process: (ctx, port, value) => ctx.emit('out', ctx.options.tag ? { port, value } : value),
})
