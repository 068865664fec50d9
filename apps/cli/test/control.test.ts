import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, readEvents, runCli, showRun, startCli, type Workspace } from './helpers/cli.js'

const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  return ws
}
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

describe('approval gates', () => {
  it('pauses with a resume command; resume in a new process finishes; bad and reused tokens exit 2', async () => {
    const ws = workspace()
    const run = await runCli(['run', 'approval.yaml'], { cwd: ws.dir, env: ws.env })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/⏸ approve waiting for approval: Publish these notes\?/)
    const m = /weft runs resume (run_\w+) --token (\S+) \[--input JSON\]/.exec(run.stdout)
    expect(m, run.stdout).not.toBeNull()
    const [, runId, token] = m!

    const bad = await runCli(['runs', 'resume', runId!, '--token', 'tok_wrong'], { cwd: ws.dir, env: ws.env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/has no approval with token 'tok_wrong'.*\[resume_token_invalid\]/)
    expect(bad.stderr).toMatch(/hint:/)
    expect(bad.stderr).not.toMatch(/\n\s+at /) // no stack trace

    const ok = await runCli(['runs', 'resume', runId!, '--token', token!, '--input', '{"note":"ship it"}'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/✓ approve approved/)
    expect(ok.stdout).toMatch(/✓ publish succeeded/)
    expect(ok.stdout).toMatch(/publish: published: ship it/)
    expect(ok.stdout).toMatch(/✓ approval run_\w+ succeeded/)

    const again = await runCli(['runs', 'resume', runId!, '--token', token!], { cwd: ws.dir, env: ws.env })
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/resume_token_used/)

    const events = await readEvents(ws, runId!)
    expect(events.filter((e) => e.type === 'task.approved')).toHaveLength(1)
    expect(events.filter((e) => e.type === 'task.started' && e.taskId === 'publish')).toHaveLength(1)
    expect(events.at(-1)!.type).toBe('run.succeeded')
  })
})

describe('rejecting an approval', () => {
  it('examples/approval-reject.yaml: --reject takes the onReject path; runs show says who and why', async () => {
    const ws = workspace()
    const example = fileURLToPath(new URL('../../../examples/approval-reject.yaml', import.meta.url))
    const env = { ...ws.env, WEFT_USER: 'ana' }
    const run = await runCli(['run', example], { cwd: ws.dir, env })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('waiting for approval: Publish Release 1.2 (2 items)?')
    expect(run.stdout).toContain('(or --reject REASON)')
    const [, runId, token] = /weft runs resume (run_\w+) --token (\S+)/.exec(run.stdout)!

    const noToken = await runCli(['runs', 'resume', runId!, '--reject', 'no'], { cwd: ws.dir, env })
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toContain('--reject answers an approval: pass its --token too')

    const rejected = await runCli(
      ['runs', 'resume', runId!, '--token', token!, '--reject', 'the numbers are off'],
      {
        cwd: ws.dir,
        env,
      },
    )
    expect(rejected.code, rejected.stderr).toBe(0)
    expect(rejected.stdout).toMatch(/✗ review rejected by cli:ana: the numbers are off/)
    expect(rejected.stdout).toMatch(/publish skipped/)
    expect(rejected.stdout).toMatch(/✓ revise succeeded/)

    const show = await runCli(['runs', 'show', runId!], { cwd: ws.dir, env })
    expect(show.stdout).toMatch(/approval\s+review rejected by cli:ana: the numbers are off/)
    const events = await readEvents(ws, runId!)
    expect(events.find((e) => e.type === 'task.rejected')).toMatchObject({
      taskId: 'review',
      data: { token, reason: 'the numbers are off', by: 'cli:ana' },
    })

    const reused = await runCli(['runs', 'resume', runId!, '--token', token!, '--reject', 'again'], {
      cwd: ws.dir,
      env,
    })
    expect(reused.code).toBe(2)
    expect(reused.stderr).toMatch(/resume_token_used/)
  })
})

describe('stopping a run', () => {
  it('Ctrl-C during a hanging task cancels the run, records it, and exits 130', async () => {
    const ws = workspace()
    const cli = startCli(['run', 'hang.yaml'], { cwd: ws.dir, env: ws.env })
    const [, runId] = await cli.waitFor(/run (run_\w+) created/)
    await cli.waitFor(/▶ stuck started/)
    cli.interrupt('SIGINT')
    const result = await cli.result
    expect(result.code, result.stderr).toBe(130)
    expect(result.stdout).toMatch(/■ run canceled/)
    const { run, tasks } = await showRun(ws, runId!)
    expect(run.status).toBe('canceled')
    const status = Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))
    expect(status).toEqual({ quick: 'succeeded', stuck: 'canceled', after: 'canceled' })
  })

  it('weft runs cancel from a second process cancels the run the first is running', async () => {
    const ws = workspace()
    const cli = startCli(['run', 'hang.yaml'], { cwd: ws.dir, env: ws.env })
    const [, runId] = await cli.waitFor(/run (run_\w+) created/)
    await cli.waitFor(/▶ stuck started/)
    const cancel = await runCli(['runs', 'cancel', runId!], { cwd: ws.dir, env: ws.env })
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout).toMatch(new RegExp(`run ${runId} canceled`))
    const first = await cli.result
    expect(first.code).toBe(1)
    expect(first.stdout).toMatch(/■ stuck canceled/)
    expect(first.stdout).toMatch(/■ hang run_\w+ canceled/)
    const { run, tasks } = await showRun(ws, runId!)
    expect(run.status).toBe('canceled')
    expect(tasks.find((t) => t.taskId === 'stuck')!.status).toBe('canceled')
  })

  it('weft runs pause from a second process pauses the run; runs resume continues it to the end', async () => {
    const ws = workspace()
    const cli = startCli(['run', 'slow.yaml'], { cwd: ws.dir, env: ws.env })
    const [, runId] = await cli.waitFor(/run (run_\w+) created/)
    await cli.waitFor(/▶ first started/)
    const pause = await runCli(['runs', 'pause', runId!], { cwd: ws.dir, env: ws.env })
    expect(pause.code, pause.stderr).toBe(0)
    expect(pause.stdout).toMatch(new RegExp(`weft runs resume ${runId}`))
    // The running task finishes; nothing new starts; the first process stops with exit 0.
    const first = await cli.result
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/✓ first succeeded/)
    expect(first.stdout).not.toMatch(/second started/)
    expect(first.stdout).toMatch(new RegExp(`weft runs resume ${runId}\\n`))

    const resumed = await runCli(['runs', 'resume', runId!], { cwd: ws.dir, env: ws.env })
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/✓ second succeeded/)
    expect((await showRun(ws, runId!)).run.status).toBe('succeeded')
  })
})
