/** WEFT_SQLITE_SYNCHRONOUS chooses the SQLite store's durability for the CLI's own connections. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'

describe('WEFT_SQLITE_SYNCHRONOUS', () => {
  let ws: Workspace
  beforeAll(() => {
    ws = createWorkspace()
  })
  afterAll(() => ws.cleanup())

  it('runs with full, and refuses a value it does not know, naming the variable', async () => {
    const full = await runCli(['run', 'diamond.yaml', '--json'], {
      cwd: ws.dir,
      env: { ...ws.env, WEFT_SQLITE_SYNCHRONOUS: 'full' },
    })
    expect(full.code, full.stderr).toBe(0)
    expect((JSON.parse(full.stdout) as { status: string }).status).toBe('succeeded')

    const bad = await runCli(['runs', 'list'], {
      cwd: ws.dir,
      env: { ...ws.env, WEFT_SQLITE_SYNCHRONOUS: 'fast' },
    })
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain("WEFT_SQLITE_SYNCHRONOUS must be 'normal' or 'full', not 'fast'")
  }, 60_000)
})
