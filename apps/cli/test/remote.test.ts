/**
 * `--server`: the same commands against a real weft server started in this process, with the
 * same output and exit codes as against the local store.
 */
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliOptions, createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'
import { startTestServer, type TestServer } from './helpers/server.js'

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples')

const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = createWorkspace()
  mkdirSync(join(ws.dir, 'examples'))
  cpSync(join(EXAMPLES, 'hello.yaml'), join(ws.dir, 'examples/hello.yaml'))
  cpSync(join(EXAMPLES, 'failure.yaml'), join(ws.dir, 'examples/failure.yaml'))
  workspaces.push(ws)
  return ws
}

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server.close()
  for (const ws of workspaces) ws.cleanup()
})

/** Output without what differs between two runs: ids, clock times, durations, column padding. */
function normalize(text: string): string {
  return text
    .replace(/run_[0-9A-Za-z]+/g, 'RUN')
    .replace(/\b\d\d:\d\d:\d\d\b/g, 'TIME')
    .replace(/\b\d+m \d\ds\b/g, 'DUR')
    .replace(/\b\d+(\.\d+)?(ms|s)\b/g, 'DUR')
    .replace(/ {2,}/g, '  ')
    .replace(/ +$/gm, '')
}

/** `weft …` as a child process, with room for a busy machine. */
const weft = (args: string[], options: CliOptions) => runCli(args, { timeoutMs: 90_000, ...options })

const runIdOf = (text: string) => /run_[0-9A-Za-z]+/.exec(text)![0]

/** The newest run on the test server, as `weft runs list` prints it. */
async function lastRunId(ws: Workspace): Promise<string> {
  const list = await weft(['runs', 'list', '--server', server.url], { cwd: ws.dir, env: ws.env })
  return list.stdout
}

// Many processes per test, on a machine that may be busy: generous timeouts.
describe.concurrent('weft run --server', { timeout: 120_000 }, () => {
  it('runs examples/hello.yaml on the server with the same progress, summary and exit code as a local run', async ({
    expect,
  }) => {
    const ws = workspace()
    const [local, remote] = await Promise.all([
      weft(['run', 'examples/hello.yaml'], { cwd: ws.dir, env: ws.env }),
      weft(['run', 'examples/hello.yaml', '--server', server.url], { cwd: ws.dir, env: ws.env }),
    ])
    expect(local.code, local.stderr).toBe(0)
    expect(remote.code, remote.stderr).toBe(0)
    expect(remote.stdout).toMatch(/✓ hello run_\w+ succeeded/)
    expect(remote.stdout).toMatch(/tokens\s+1,328/)
    expect(normalize(remote.stdout)).toBe(normalize(local.stdout))
    expect(remote.stderr).toBe('')
    // The run is the server's: it is in its store, not in the local one.
    const runId = runIdOf(remote.stdout)
    expect((await server.runtime.get(runId))?.status).toBe('succeeded')
    const localList = await weft(['runs', 'list', '--json'], { cwd: ws.dir, env: ws.env })
    expect((JSON.parse(localList.stdout) as { id: string }[]).map((r) => r.id)).not.toContain(runId)
  })

  it('a failing workflow exits 1 like a local run, with the same summary', async ({ expect }) => {
    const ws = workspace()
    const [local, remote] = await Promise.all([
      weft(['run', 'examples/failure.yaml', '--quiet'], { cwd: ws.dir, env: ws.env }),
      weft(['run', 'examples/failure.yaml', '--quiet', '--server', server.url], { cwd: ws.dir, env: ws.env }),
    ])
    expect(local.code).toBe(1)
    expect(remote.code).toBe(1)
    expect(remote.stdout).toMatch(/3 lint errors in src\/index\.ts/)
    expect(normalize(remote.stdout)).toBe(normalize(local.stdout))
  })

  it('an invalid workflow exits 2 with the same file:line diagnostics, and nothing starts', async ({
    expect,
  }) => {
    const ws = workspace()
    const [local, remote] = await Promise.all([
      weft(['run', 'bad.yaml'], { cwd: ws.dir, env: ws.env }),
      weft(['run', 'bad.yaml', '--server', server.url], { cwd: ws.dir, env: ws.env }),
    ])
    expect(local.code).toBe(2)
    expect(remote.code).toBe(2)
    expect(remote.stderr).toMatch(/bad\.yaml:7:\d+ +error .*\[unknown_need\]/)
    expect(remote.stderr).toMatch(/bad\.yaml:14:\d+ +error .*\[unknown_backend\]/)
    expect(remote.stderr).toMatch(/✗ bad\.yaml is invalid: \d+ errors/)
    expect(remote.stderr).toBe(local.stderr)
    expect(remote.stdout).toBe('')
    expect((await server.runtime.list({ name: 'bad', limit: 10 })).items).toEqual([])
  })

  it('--json prints the final summary; WEFT_SERVER does what --server does', async ({ expect }) => {
    const ws = workspace()
    const r = await weft(['run', 'diamond.yaml', '--json'], {
      cwd: ws.dir,
      env: { ...ws.env, WEFT_SERVER: server.url },
    })
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as { id: string; status: string; initiator: string; source?: string }
    expect(summary.status).toBe('succeeded')
    // Recorded as the CLI's run of that file, as a local run would be.
    expect(summary).toMatchObject({ initiator: 'cli', source: 'diamond.yaml' })
    expect((await server.runtime.get(summary.id))?.status).toBe('succeeded')
  })

  it('Ctrl-C cancels the run on the server and exits 130', async ({ expect }) => {
    const ws = workspace()
    const cli = startCli(['run', 'hang.yaml', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 100_000,
    })
    const [, runId] = await cli.waitFor(/run (run_\w+) created/, 60_000)
    await cli.waitFor(/▶ stuck started/, 60_000)
    cli.interrupt('SIGINT')
    const result = await cli.result
    expect(result.code, result.stderr).toBe(130)
    expect(result.stdout).toMatch(/■ run canceled/)
    expect(result.stdout).toMatch(/■ hang run_\w+ canceled/)
    expect((await server.runtime.get(runId!))?.status).toBe('canceled')
  })

  it('an approval gate pauses with exit 0 and a resume command that names the server; resuming follows it to the end', async ({
    expect,
  }) => {
    const ws = workspace()
    const run = await weft(['run', 'approval.yaml', '--server', server.url], { cwd: ws.dir, env: ws.env })
    expect(run.code, run.stderr).toBe(0)
    const m = new RegExp(
      `weft runs resume (run_\\w+) --token (\\S+) \\[--input JSON\\] --server ${server.url}`,
    ).exec(run.stdout)
    expect(m, run.stdout).not.toBeNull()
    const resumed = await weft(
      ['runs', 'resume', m![1]!, '--token', m![2]!, '--input', '{"note":"ship it"}', '--server', server.url],
      { cwd: ws.dir, env: ws.env },
    )
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/✓ publish succeeded/)
    expect(resumed.stdout).toMatch(/publish: published: ship it/)
    const again = await weft(['runs', 'resume', m![1]!, '--token', m![2]!, '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/\[(resume_token_used|run_finished|run_not_paused)\]/)
  })
})

describe.concurrent('weft runs … --server', { timeout: 120_000 }, () => {
  it('list, show and events print what the same commands print on the server’s store', async ({ expect }) => {
    const ws = workspace()
    const run = await weft(['run', 'diamond.yaml', '--quiet', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(run.code, run.stderr).toBe(0)
    const runId = runIdOf(run.stdout)
    const same = async (args: string[]) => {
      const [remote, local] = await Promise.all([
        weft([...args, '--server', server.url], { cwd: ws.dir, env: ws.env }),
        weft([...args, '--store', server.store], { cwd: ws.dir, env: ws.env }),
      ])
      expect(remote.code, remote.stderr).toBe(0)
      expect(local.code, local.stderr).toBe(0)
      // A JSON document may order its keys differently (the API's schemas order them); its content is the same.
      if (args.includes('--json') && args[1] === 'show')
        expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout))
      else expect(remote.stdout).toBe(local.stdout)
      expect(remote.stderr).toBe(local.stderr)
      return remote
    }
    await same(['runs', 'show', runId])
    await same(['runs', 'show', runId, '--json'])
    const events = await same(['runs', 'events', runId, '--json'])
    const seqs = events.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq)
    expect(seqs).toEqual(seqs.map((_, i) => i + 1))
    await same(['events', 'query', '--run', runId, '--type', 'task.*'])
    const exported = await same(['events', 'export', '--run', runId, '--format', 'csv'])
    expect(exported.stderr).toMatch(new RegExp(`exported ${seqs.length} events of 1 run \\(csv\\)`))
    await same(['events', 'export', '--run', runId, '--format', 'json'])
    const list = await weft(['runs', 'list', '--server', server.url, '--limit', '1000'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/ID\s+NAME\s+STATUS\s+CREATED\s+DURATION\s+TASKS\s+TOKENS/)
    expect(list.stdout).toMatch(new RegExp(`${runId}\\s+diamond\\s+succeeded.*4/4`))
  })

  it('runs events --follow streams a live run to its end', async ({ expect }) => {
    const ws = workspace()
    const start = await weft(['run', 'slow.yaml', '--detach', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(start.code, start.stderr).toBe(0)
    const runId = start.stdout.trim()
    const follow = await weft(['runs', 'events', runId, '--follow', '--json', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(follow.code, follow.stderr).toBe(0)
    const events = follow.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string })
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events.at(-1)!.type).toBe('run.succeeded')
  })

  it('pause, resume and cancel act on the server’s runs; an unknown id exits 2', async ({ expect }) => {
    const ws = workspace()
    const started = await weft(['run', 'hang.yaml', '--detach', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    const runId = started.stdout.trim()
    const list = await weft(
      ['runs', 'list', '--status', 'running', '--server', server.url, '--limit', '1000'],
      {
        cwd: ws.dir,
        env: ws.env,
      },
    )
    expect(list.stdout).toContain(runId)

    // `stuck` hangs: the run pauses at once, its running task goes on (the mock cannot suspend it).
    const pause = await weft(['runs', 'pause', runId, '--server', server.url], { cwd: ws.dir, env: ws.env })
    expect(pause.code, pause.stderr).toBe(0)
    expect(pause.stdout).toMatch(new RegExp(`⏸ run ${runId} paused`))
    expect(pause.stdout).toContain(`weft runs resume ${runId} --server ${server.url}`)

    const resume = startCli(['runs', 'resume', runId, '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 100_000,
    })
    await resume.waitFor(/run resumed/, 60_000)
    const cancel = await weft(['runs', 'cancel', runId, '--server', server.url], { cwd: ws.dir, env: ws.env })
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout).toMatch(new RegExp(`■ run ${runId} canceled`))
    const resumed = await resume.result
    expect(resumed.code).toBe(1)
    expect(resumed.stdout).toMatch(/■ stuck canceled/)
    expect(resumed.stdout).toMatch(/■ hang run_\w+ canceled/)
    expect((await server.runtime.get(runId))?.status).toBe('canceled')

    const twice = await weft(['runs', 'cancel', runId, '--server', server.url], { cwd: ws.dir, env: ws.env })
    expect(twice.code).toBe(0)
    expect(twice.stdout).toMatch(/already canceled; nothing to cancel/)

    const unknown = await weft(['runs', 'show', 'run_nope', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain(
      `there is no run 'run_nope' on the server at ${server.url} [run_not_found]`,
    )
  })

  it('runs rerun --server reruns on the server; runs show says which run a rerun came from', async ({
    expect,
  }) => {
    const ws = workspace()
    for (const target of [['--server', server.url], []]) {
      const first = await weft(['run', 'examples/hello.yaml', '--json', ...target], {
        cwd: ws.dir,
        env: ws.env,
      })
      expect(first.code, first.stderr).toBe(0)
      const runId = (JSON.parse(first.stdout) as { id: string }).id
      const again = await weft(['runs', 'rerun', runId, '--from', 'food', '--json', ...target], {
        cwd: ws.dir,
        env: ws.env,
      })
      expect(again.code, again.stderr).toBe(0)
      const rerun = JSON.parse(again.stdout) as { id: string; status: string }
      expect(rerun.status).toBe('succeeded')
      expect(rerun.id).not.toBe(runId)
      const show = await weft(['runs', 'show', rerun.id, ...target], { cwd: ws.dir, env: ws.env })
      expect(show.code, show.stderr).toBe(0)
      expect(show.stdout).toMatch(new RegExp(`rerun of\\s+${runId} from task food`))
      const json = await weft(['runs', 'show', rerun.id, '--json', ...target], { cwd: ws.dir, env: ws.env })
      expect(JSON.parse(json.stdout).rerunOf).toEqual({ runId, from: 'food' })
      // The original run is no rerun.
      const original = await weft(['runs', 'show', runId, ...target], { cwd: ws.dir, env: ws.env })
      expect(original.stdout).not.toContain('rerun of')
    }
    const unknownTask = await weft(
      ['runs', 'rerun', runIdOf(await lastRunId(ws)), '--from', 'nope', '--server', server.url],
      {
        cwd: ws.dir,
        env: ws.env,
      },
    )
    expect(unknownTask.code).toBe(2)
    expect(unknownTask.stderr).toMatch(/has no task 'nope'.*\[task_not_found\]/)
  })

  it('recover and prune say they are not available with --server (exit 2)', async ({ expect }) => {
    const ws = workspace()
    for (const args of [
      ['runs', 'recover'],
      ['runs', 'prune', '--older-than', '30d'],
    ]) {
      const r = await weft([...args, '--server', server.url], { cwd: ws.dir, env: ws.env })
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(`\`weft ${args.slice(0, 2).join(' ')}\` is not available with --server`)
    }
    const env = await weft(['runs', 'recover'], { cwd: ws.dir, env: { ...ws.env, WEFT_SERVER: server.url } })
    expect(env.code).toBe(2)
    expect(env.stderr).toMatch(/not available with --server \(WEFT_SERVER is set\)/)
    const both = await weft(['runs', 'list', '--server', server.url, '--store', 'x.db'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--server and --store cannot be used together/)
  })

  it('backends --server lists the server’s backends', async ({ expect }) => {
    const ws = workspace()
    const r = await weft(['backends', '--json', '--server', server.url], { cwd: ws.dir, env: ws.env })
    expect(r.code, r.stderr).toBe(0)
    const ids = (JSON.parse(r.stdout) as { id: string }[]).map((b) => b.id)
    expect(ids).toEqual(expect.arrayContaining(['mock', 'shell']))
  })
})

describe('reaching the server', { timeout: 60_000 }, () => {
  it('a server that is not there: exit 1, naming the URL and the reason', async () => {
    const ws = workspace()
    const probe = createHttpServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
    await new Promise<void>((r) => probe.close(() => r()))
    const r = await weft(['runs', 'list', '--server', url], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`error: cannot reach the weft server at ${url}: ECONNREFUSED`)
    expect(r.stderr).toMatch(/hint: is `weft serve` running there\?/)
    const bad = await weft(['runs', 'list', '--server', 'not a url'], { cwd: ws.dir, env: ws.env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--server: 'not a url' is not a URL/)
  })

  it('a server with API keys: 401 without WEFT_API_KEY (exit 2), works with it', async () => {
    const ws = workspace()
    const key = 'cli-test-key-0123456789'
    const guarded = await startTestServer({ keys: [{ name: 'ci', key, scopes: ['admin'] }] })
    try {
      const denied = await weft(['runs', 'list', '--server', guarded.url], { cwd: ws.dir, env: ws.env })
      expect(denied.code).toBe(2)
      expect(denied.stderr).toMatch(/\[unauthorized\]/)
      expect(denied.stderr).toMatch(/hint: .*WEFT_API_KEY/)
      const run = await weft(['run', 'diamond.yaml', '--quiet', '--server', guarded.url], {
        cwd: ws.dir,
        env: { ...ws.env, WEFT_API_KEY: key },
      })
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/✓ diamond run_\w+ succeeded/)
    } finally {
      await guarded.close()
    }
  })
})

describe('weft run --detach', { timeout: 60_000 }, () => {
  it('remote: prints the run id at once and exits 0; the server runs it to the end', async () => {
    const ws = workspace()
    const r = await weft(['run', 'slow.yaml', '--detach', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(r.code, r.stderr).toBe(0)
    const runId = r.stdout.trim()
    expect(runId).toMatch(/^run_\w+$/)
    expect(r.stderr).toContain(`weft runs events ${runId} --follow --server ${server.url}`)
    // It did not wait for the run (its first task alone takes 4 s).
    expect((await server.runtime.get(runId))?.status).not.toBe('succeeded')
    const final = await server.runtime.wait(runId)
    expect(final.status).toBe('succeeded')

    const json = await weft(['run', 'diamond.yaml', '--detach', '--json', '--server', server.url], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(json.code, json.stderr).toBe(0)
    const doc = JSON.parse(json.stdout) as { runId: string; run: { id: string; name: string } }
    expect(doc.run).toMatchObject({ id: doc.runId, name: 'diamond' })
    await server.runtime.wait(doc.runId)
  })

  it('local: a detached child process owns the run, with its output in .weft/logs/<id>.log', async () => {
    const ws = workspace()
    const r = await weft(['run', 'slow.yaml', '--detach'], { cwd: ws.dir, env: ws.env })
    expect(r.code, r.stderr).toBe(0)
    const runId = r.stdout.trim()
    expect(runId).toMatch(/^run_\w+$/)
    expect(r.stderr).toContain(`weft runs events ${runId} --follow`)
    expect(r.stderr).toContain(`.weft/logs/${runId}.log`)
    // The parent is gone; the run goes on. Follow it from a third process to its end.
    const follow = await weft(['runs', 'events', runId, '--follow'], { cwd: ws.dir, env: ws.env })
    expect(follow.code, follow.stderr).toBe(0)
    expect(follow.stdout).toMatch(/✓ run succeeded/)
    const log = join(ws.dir, '.weft/logs', `${runId}.log`)
    // The child writes its closing summary to the log as it exits.
    const deadline = Date.now() + 15_000
    while (!/✓ slow run_\w+ succeeded/.test(existsSync(log) ? readFileSync(log, 'utf8') : '')) {
      if (Date.now() > deadline) throw new Error(`no summary in ${log}:\n${readFileSync(log, 'utf8')}`)
      await new Promise((res) => setTimeout(res, 100))
    }
    expect(readFileSync(log, 'utf8')).toMatch(/▶ first started/)
  })

  it('local: an invalid workflow still fails in the foreground with exit 2', async () => {
    const ws = workspace()
    const r = await weft(['run', 'bad.yaml', '--detach'], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/✗ bad\.yaml is invalid/)
    expect(r.stdout).toBe('')
  })
})
