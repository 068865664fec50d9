import { existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'

const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  return ws
}
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

/** Every problem in bad.yaml, with the line it is on. */
const PROBLEMS = [
  { code: 'unknown_need', line: 7 },
  { code: 'cycle', line: 13 },
  { code: 'template_syntax', line: 11 },
  { code: 'unknown_backend', line: 14 },
  { code: 'unknown_key', line: 17 },
]

describe('bad input', () => {
  it('a bad workflow file: every problem listed with file:line and a fix, exit 2, nothing stored', async () => {
    const ws = workspace()
    const run = await runCli(['run', 'bad.yaml'], { cwd: ws.dir, env: ws.env })
    expect(run.code).toBe(2)
    for (const p of PROBLEMS) {
      expect(run.stderr).toMatch(new RegExp(`bad\\.yaml:${p.line}:\\d+ +error .*\\[${p.code}\\]`))
    }
    expect(run.stderr.match(/ fix: /g)?.length ?? 0).toBeGreaterThanOrEqual(PROBLEMS.length)
    expect(run.stderr).toMatch(/✗ bad\.yaml is invalid: \d+ errors/)
    expect(run.stdout).toBe('')

    const list = await runCli(['runs', 'list', '--json'], { cwd: ws.dir, env: ws.env })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([])
  })

  it('weft validate lists the same problems (and --json gives { ok, diagnostics })', async () => {
    const ws = workspace()
    const text = await runCli(['validate', 'bad.yaml'], { cwd: ws.dir, env: ws.env })
    expect(text.code).toBe(2)
    for (const p of PROBLEMS)
      expect(text.stdout).toMatch(new RegExp(`bad\\.yaml:${p.line}:\\d+ .*\\[${p.code}\\]`))

    const json = await runCli(['validate', 'bad.yaml', '--json'], { cwd: ws.dir, env: ws.env })
    expect(json.code).toBe(2)
    const result = JSON.parse(json.stdout) as {
      ok: boolean
      diagnostics: { code: string; file: string; line: number; hint?: string }[]
    }
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(PROBLEMS.map((p) => p.code)))
    for (const d of result.diagnostics)
      expect(d).toMatchObject({ file: 'bad.yaml', line: expect.any(Number), hint: expect.any(String) })
    // validate never opens the store.
    expect(existsSync(ws.store)).toBe(false)
  })

  it('weft validate accepts a good file', async () => {
    const ws = workspace()
    const r = await runCli(['validate', 'diamond.yaml'], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('✓ diamond.yaml is valid (4 tasks)')
  })

  it('an input the workflow does not declare is refused with a "did you mean", nothing stored', async () => {
    const ws = workspace()
    const r = await runCli(['run', 'inputs.yaml', '--input', 'count=2', '--input', 'ntoe=x'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/input 'ntoe' is not declared by the workflow \[unknown_input\]/)
    expect(r.stderr).toContain("did you mean 'note'?")
    const list = await runCli(['runs', 'list', '--json'], { cwd: ws.dir, env: ws.env })
    expect(JSON.parse(list.stdout)).toEqual([])
  })

  it('a missing file exits 2 with its name', async () => {
    const ws = workspace()
    const r = await runCli(['run', 'nope.yaml'], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/nope\.yaml.*does not exist/)
  })

  it('bad flags exit 2 with a clear message', async () => {
    const ws = workspace()
    const opts = { cwd: ws.dir, env: ws.env }
    const [unknown, zero, mode, input] = await Promise.all([
      runCli(['run', 'diamond.yaml', '--bogus'], opts),
      runCli(['run', 'diamond.yaml', '--max-parallel', '0'], opts),
      runCli(['run', 'diamond.yaml', '--mode', 'sideways'], opts),
      runCli(['run', 'diamond.yaml', '--input', 'novalue'], opts),
    ])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/)
    expect(zero.code).toBe(2)
    expect(zero.stderr).toMatch(/--max-parallel <n>' argument '0' is invalid/)
    expect(mode.code).toBe(2)
    expect(mode.stderr).toMatch(/Allowed choices are eager, batched/)
    expect(input.code).toBe(2)
    expect(input.stderr).toMatch(/--input 'novalue' is not key=value \[input_invalid\]/)
    const list = await runCli(['runs', 'list', '--json'], { cwd: ws.dir, env: ws.env })
    expect(JSON.parse(list.stdout)).toEqual([])
  })

  it('an unknown run id exits 2 with a clear message and no stack trace', async () => {
    const ws = workspace()
    const commands = [
      ['runs', 'show', 'run_nope'],
      ['runs', 'events', 'run_nope', '--json'],
      ['runs', 'cancel', 'run_nope'],
    ]
    const results = await Promise.all(commands.map((args) => runCli(args, { cwd: ws.dir, env: ws.env })))
    results.forEach((r, i) => {
      expect(r.code, commands[i]!.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/there is no run 'run_nope'.*\[run_not_found\]/)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    })
  })
})

describe('weft backends', () => {
  it('lists the built-in backends with capabilities and health', async () => {
    const ws = workspace()
    const r = await runCli(['backends', '--json'], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(0)
    const backends = JSON.parse(r.stdout) as {
      id: string
      capabilities: Record<string, boolean>
      health?: { ok: boolean }
    }[]
    expect(backends.map((b) => b.id)).toEqual(expect.arrayContaining(['mock', 'shell']))
    for (const b of backends) expect(b.capabilities).toHaveProperty('cancel')
    expect(backends.find((b) => b.id === 'mock')!.health?.ok).toBe(true)
  })
})
