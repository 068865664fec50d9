/**
 * `weft run --detach` on a store shared with workers (a fresh PostgreSQL database): the run is
 * only recorded, the command says a `weft worker` runs it (and that none is up, when none is), and
 * a worker started afterwards takes the run and finishes it without any other process.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliProcess, createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'

const SERVER = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const psql = (sql: string) => execFileSync('psql', [SERVER, '-v', 'ON_ERROR_STOP=1', '-Atc', sql])
const database = `weft_detach_${randomBytes(6).toString('hex')}`
let url: string
let ws: Workspace
let worker: CliProcess | undefined

beforeAll(() => {
  psql(`CREATE DATABASE ${database}`)
  const u = new URL(SERVER)
  u.pathname = `/${database}`
  url = u.toString()
  ws = createWorkspace()
  writeFileSync(
    join(ws.dir, 'one.yaml'),
    'weft: 1\nname: one\ntasks:\n  hi:\n    backend: shell\n    with: { command: [echo, hi] }\n',
  )
})
afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.interrupt('SIGTERM')
    await worker.result.catch(() => {})
  }
  ws.cleanup()
  psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
})

describe('weft run --detach on a store shared with workers', { timeout: 120_000 }, () => {
  const weft = (args: string[]) =>
    runCli([...args, '--store', url], { cwd: ws.dir, env: { WEFT_STORE: '' }, timeoutMs: 60_000 })

  /** The run's status once it has ended (polled: the test's timeout is the only limit). */
  const settled = async (runId: string): Promise<string> => {
    for (;;) {
      const shown = await weft(['runs', 'show', runId, '--json'])
      const status = JSON.parse(shown.stdout).run.status as string
      if (['succeeded', 'failed', 'canceled'].includes(status)) return status
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  it('records the run and says no worker is up; a worker started later runs it to the end', async () => {
    const first = await weft(['run', 'one.yaml', '--detach'])
    expect(first.code, first.stderr).toBe(0)
    const runId = first.stdout.trim()
    expect(runId).toMatch(/^run_\w+$/)
    expect(first.stderr).toContain('goes on in the background: a `weft worker` on this store runs it')
    expect(first.stderr).toContain(
      `note: no \`weft worker\` is up on this store: the run waits until one starts`,
    )
    const pending = await weft(['runs', 'show', runId, '--json'])
    expect(JSON.parse(pending.stdout).run.status).toBe('pending')

    worker = startCli(['worker', '--store', url, '--name', 'detach-1', '--concurrency', '2'], {
      cwd: ws.dir,
      env: { WEFT_STORE: '' },
      timeoutMs: 110_000,
    })
    expect(await settled(runId)).toBe('succeeded')

    // With the worker up (it has registered by now: it ran the first run), no note.
    const second = await weft(['run', 'one.yaml', '--detach'])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).not.toContain('note: no `weft worker` is up')
    expect(await settled(second.stdout.trim())).toBe('succeeded')
  })
})
