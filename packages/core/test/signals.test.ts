import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const tsx = pathToFileURL(createRequire(resolve(here, '../../../package.json')).resolve('tsx')).href

it('shutdownOnSignals: SIGTERM stops dispatch, lets running tasks finish within the grace, records the rest', async () => {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', tsx, join(here, 'fixtures/signal-child.ts')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString()
    // Stop once the hanging task has started and the quick one is still running.
    if (out.includes('"type":"task.started","taskId":"stuck"') && !child.killed) child.kill('SIGTERM')
  })
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString()
  })
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)))
  expect(code, err).toBe(143)
  expect(err).toContain('SIGTERM: shutting down')
  const events = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; taskId?: string })
  const of = (type: string) => events.filter((e) => e.type === type).map((e) => e.taskId)
  expect(of('task.succeeded')).toEqual(['quick'])
  expect(of('task.interrupted')).toEqual(['stuck'])
  expect(of('task.started')).not.toContain('after')
}, 30_000)
