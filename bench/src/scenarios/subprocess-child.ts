/**
 * One child process of scenario 3: `n` independent tasks that each run `true`, 8 at a time,
 * through weft's shell backend, through execa directly, or through node:child_process.spawn.
 */
import { spawn } from 'node:child_process'
import { createShellBackend } from '@weft/backend-shell'
import { createMemoryStore, createRuntime } from '@weft/core'
import { execa } from 'execa'
import { childInput, childOutput } from '../lib/child.js'

export interface SubprocessChildInput {
  system: 'weft' | 'execa' | 'spawn'
  n: number
  parallelism: number
  warmup: number
  runs: number
}

const input = childInput<SubprocessChildInput>()

/** At most `parallelism` of `n` jobs at a time. */
async function pool(n: number, parallelism: number, job: () => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < n) {
      next++
      await job()
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallelism, n) }, worker))
}

async function once(): Promise<number> {
  const t0 = performance.now()
  if (input.system === 'weft') {
    const runtime = createRuntime({
      store: createMemoryStore(),
      backends: [createShellBackend()],
      maxParallelism: input.parallelism,
    })
    const tasks: Record<string, { with: { command: string[] } }> = {}
    for (let i = 0; i < input.n; i++) tasks[`t${i}`] = { with: { command: ['true'] } }
    const run = await runtime.start({
      workflow: {
        weft: 1,
        name: 'shell',
        maxParallelism: input.parallelism,
        defaults: { backend: 'shell' },
        tasks,
      },
    })
    const done = await runtime.wait(run.id)
    await runtime.close()
    if (done.status !== 'succeeded') throw new Error(`the weft run ${done.status}`)
  } else if (input.system === 'execa') {
    await pool(input.n, input.parallelism, async () => {
      const r = await execa('true', [], { reject: false, stdin: 'ignore' })
      if (r.exitCode !== 0) throw new Error(`true exited ${r.exitCode}`)
    })
  } else {
    await pool(
      input.n,
      input.parallelism,
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn('true', [], { stdio: 'ignore' })
          child.on('error', reject)
          child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))))
        }),
    )
  }
  return performance.now() - t0
}

const samples: number[] = []
for (let i = 0; i < input.warmup + input.runs; i++) {
  const ms = await once()
  if (i >= input.warmup) samples.push(ms)
}
childOutput({ samples })
