import { describe, expect, it } from 'vitest'
import { createDataflow } from '../src/index.js'

describe('smoke', () => {
  it('runs evens', async () => {
    const df = createDataflow()
    const v = await df.validateFile(
      new URL('../../../examples/dataflow/evens.yaml', import.meta.url).pathname,
    )
    expect(v.diagnostics).toEqual([])
    const ex = await df.createExecution(v.plan)
    const out: unknown[] = []
    ex.onOutput((_n, value) => out.push(value))
    await ex.start()
    for (let i = 1; i <= 10; i++) ex.inject(i)
    ex.end()
    const snap = await ex.done
    expect(snap.state).toBe('completed')
    expect(out).toEqual([4, 16, 36, 64, 100])
  })
})
