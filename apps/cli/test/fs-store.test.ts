import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'

describe('--store fs:DIR', () => {
  let ws: Workspace
  beforeAll(() => {
    ws = createWorkspace()
  })
  afterAll(() => ws.cleanup())

  it('runs on the file store and leaves a run directory a person can read', async () => {
    const env = { ...ws.env, WEFT_STORE: '' }
    const run = await runCli(['run', 'diamond.yaml', '--store', 'fs:runs-here', '--json'], {
      cwd: ws.dir,
      env,
    })
    expect(run.code, run.stderr).toBe(0)
    const summary = JSON.parse(run.stdout) as { id: string; status: string; lastSeq: number }
    expect(summary.status).toBe('succeeded')

    const dir = join(ws.dir, 'runs-here', 'runs', summary.id)
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { id: string; status: string }
    expect(meta).toMatchObject({ id: summary.id, status: 'succeeded' })
    expect(existsSync(join(dir, 'spec.json'))).toBe(true)
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(lines.map((_, i) => i + 1))
    expect(lines).toHaveLength(summary.lastSeq)

    const list = await runCli(['runs', 'list', '--store', 'fs:runs-here', '--json'], { cwd: ws.dir, env })
    expect((JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id)).toEqual([summary.id])
    const events = await runCli(['runs', 'events', summary.id, '--store', 'fs:runs-here', '--json'], {
      cwd: ws.dir,
      env,
    })
    expect(events.stdout.trim().split('\n')).toHaveLength(summary.lastSeq)
  }, 60_000)
})
