import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  COMPONENT_SPECIFICATION_VERSION,
  type ComponentContext,
  defineComponent,
  definePlugin,
  PLUGIN_SPECIFICATION_VERSION,
} from '../src/index.js'

describe('component contract', () => {
  it('defines a component with its version and lets a plugin carry it', async () => {
    const double = defineComponent<{ factor: number }>({
      id: 'acme.double',
      inputs: [{ name: 'in', type: 'number' }],
      outputs: [{ name: 'out', type: 'number' }],
      optionsSchema: z.object({ factor: z.number().default(2) }),
      process: (ctx, _port, value) => ctx.emit('out', (value as number) * ctx.options.factor),
    })
    expect(double.specificationVersion).toBe(COMPONENT_SPECIFICATION_VERSION)
    const plugin = definePlugin({ name: 'acme', components: [double] })
    expect(plugin.specificationVersion).toBe(PLUGIN_SPECIFICATION_VERSION)
    expect(plugin.components?.map((c) => c.id)).toEqual(['acme.double'])

    const emitted: unknown[] = []
    const ctx = {
      options: double.optionsSchema!.parse({}),
      emit: (_port: string, value: unknown) => void emitted.push(value),
    } as unknown as ComponentContext<{ factor: number }>
    await double.process(ctx, 'in', 21)
    expect(emitted).toEqual([42])
  })
})
