import { defineComponent } from '@weft/spec'
import { z } from 'zod'

const AccumulatorOptions = z.strictObject({
  /** Values per emitted array. */
  size: z.number().int().positive().max(1_000_000),
  /** At the end of the input, emit the last, partial array. */
  flushPartial: z.boolean().default(true),
})

export const accumulatorComponent = defineComponent<z.infer<typeof AccumulatorOptions>>({
  id: 'accumulator',
  label: 'Accumulator',
  description: 'Collects values into arrays of `size` and emits each full array (and the rest at the end)',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out', type: 'array' }],
  optionsSchema: AccumulatorOptions,
  initialize: (ctx) => ctx.setState('batch', []),
  process(ctx, _port, value) {
    const batch = ctx.getState<unknown[]>('batch')!
    batch.push(value)
    if (batch.length < ctx.options.size) return
    ctx.setState('batch', [])
    return ctx.emit('out', batch)
  },
  flush(ctx) {
    const batch = ctx.getState<unknown[]>('batch') ?? []
    if (batch.length > 0 && ctx.options.flushPartial) {
      ctx.setState('batch', [])
      return ctx.emit('out', batch)
    }
  },
})

const WindowOptions = z.strictObject({
  /** Values in a window. */
  size: z.number().int().positive().max(100_000),
  /** Values between two windows; `size` (the default) makes tumbling windows. */
  slide: z.number().int().positive().max(100_000).optional(),
  /** What to emit per window. */
  aggregate: z.enum(['array', 'count', 'sum', 'avg', 'min', 'max']).default('array'),
})

export const windowComponent = defineComponent<z.infer<typeof WindowOptions>>({
  id: 'window',
  label: 'Window',
  description:
    'Count-based sliding or tumbling windows: emits each window (or its sum, avg, min, max, count)',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  optionsSchema: WindowOptions,
  initialize(ctx) {
    ctx.setState('values', [])
    ctx.setState('count', 0)
  },
  process(ctx, _port, value) {
    const { size, aggregate } = ctx.options
    const slide = ctx.options.slide ?? size
    const values = ctx.getState<unknown[]>('values')!
    values.push(value)
    if (values.length > size) values.shift()
    const count = ctx.getState<number>('count')! + 1
    ctx.setState('count', count)
    // A window closes at the size-th value, then every `slide` values.
    if (count < size || (count - size) % slide !== 0) return
    return ctx.emit('out', summarize(values, aggregate))
  },
})

function summarize(values: unknown[], aggregate: z.infer<typeof WindowOptions>['aggregate']): unknown {
  if (aggregate === 'array') return [...values]
  if (aggregate === 'count') return values.length
  const nums = values.map(Number)
  if (aggregate === 'sum') return nums.reduce((a, b) => a + b, 0)
  if (aggregate === 'avg') return nums.reduce((a, b) => a + b, 0) / nums.length
  return aggregate === 'min' ? Math.min(...nums) : Math.max(...nums)
}
