// A runtime composed in code, the way an application embeds weft: pick the store, the backends
// and the policies, start a run, follow its events, read its summary.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMockBackend } from '@weft/backend-mock'
import { createContextPipeline } from '@weft/context'
import { createRuntime } from '@weft/core'
import { createCostModel } from '@weft/cost'
import { createSqliteStore } from '@weft/storage-sqlite'
import { plugin as echo } from 'weft-backend-echo'

const dir = mkdtempSync(join(tmpdir(), 'weft-custom-'))
const runtime = createRuntime({
  store: createSqliteStore({ path: join(dir, 'weft.db') }),
  backends: [createMockBackend()],
  plugins: [echo],
  cost: createCostModel(),
  context: createContextPipeline(),
  maxParallelism: 4,
})

const run = await runtime.start({
  workflow: {
    weft: 1,
    name: 'custom-runtime',
    defaults: { model: 'claude-haiku-4-5' },
    tasks: {
      greet: { backend: 'echo', prompt: 'hello from a custom runtime', with: { upper: true } },
      answer: {
        backend: 'mock',
        needs: ['greet'],
        prompt: 'Reply to: ${{ tasks.greet.output }}',
        with: { usage: { inputTokens: 1200, outputTokens: 300 } },
      },
    },
  },
})

for await (const event of runtime.events(run.id, { follow: true })) {
  console.log(`${String(event.seq).padStart(3)} ${event.type}${event.taskId ? ` ${event.taskId}` : ''}`)
}
const done = await runtime.wait(run.id)
console.log(`${done.status}: ${JSON.stringify(done.outputs)} — cost $${done.usage.costUsd?.toFixed(6)}`)
await runtime.close()
if (done.status !== 'succeeded') process.exit(1)
