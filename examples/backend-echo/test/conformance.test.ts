import { createRuntime } from '@weft/core'
import { describeBackend } from '@weft/testing'
import { expect, it } from 'vitest'
import { createEchoBackend, plugin } from '../src/index.js'

describeBackend('echo', () => createEchoBackend(), {
  succeed: {
    request: { prompt: 'hello', options: { upper: true } },
    expect: (r) => expect(r.output).toBe('HELLO'),
  },
  fail: { request: { options: {} }, code: 'bad_options' },
  emitsEvents: { request: { prompt: 'hi', options: {} } },
  hang: { request: { prompt: 'slow', options: { delayMs: 600_000 } } },
})

it('runs as a plugin in a workflow', async () => {
  const runtime = createRuntime({ plugins: [plugin] })
  const run = await runtime.start({
    workflow: { weft: 1, name: 'echo', tasks: { a: { backend: 'echo', prompt: 'hi', with: { times: 2 } } } },
  })
  expect(await runtime.wait(run.id)).toMatchObject({ status: 'succeeded', outputs: { a: 'hi hi' } })
  await runtime.close()
})
