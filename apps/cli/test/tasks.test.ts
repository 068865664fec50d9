/**
 * `weft tasks …` and `weft queue …` through the real CLI: on the default SQLite store, on a fresh
 * PostgreSQL database, and against a real server (`--server`). The queue test pauses the queue
 * from another process while a run is going and checks that no task starts until it resumes.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspace, readEvents, runCli, startCli, type Workspace } from './helpers/cli.js'
import { startTestServer, type TestServer } from './helpers/server.js'

const PG = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const psql = (sql: string) =>
  execFileSync('psql', [PG, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' })

const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  return ws
}
let server: TestServer
let pgUrl: string
const database = `weft_tasks_${randomBytes(6).toString('hex')}`
beforeAll(async () => {
  // The shell backend is refused to inline work over HTTP unless the server's policy allows it.
  server = await startTestServer({ policy: { inlineBackends: ['shell', 'mock'] } })
  psql(`CREATE DATABASE ${database}`)
  const u = new URL(PG)
  u.pathname = `/${database}`
  pgUrl = u.toString()
})
afterAll(async () => {
  await server.close()
  for (const ws of workspaces) ws.cleanup()
  psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
})

/** The target's flags go before a `--`: after it, everything is the task's command. */
function withTarget(args: string[], target: string[]): string[] {
  const end = args.indexOf('--')
  return end < 0 ? [...args, ...target] : [...args.slice(0, end), ...target, ...args.slice(end)]
}

/** The three places runs can be: each case runs the same commands against it. */
const targets = [
  { name: 'sqlite (default store)', args: (): string[] => [] },
  { name: 'postgres (--store)', args: (): string[] => ['--store', pgUrl] },
  { name: 'a server (--server)', args: (): string[] => ['--server', server.url] },
]

describe.each(targets)('weft tasks on $name', { timeout: 120_000 }, (target) => {
  it('submit --wait prints the output; list, output and exit codes follow the task', async () => {
    const ws = workspace()
    const weft = (args: string[]) => runCli(withTarget(args, target.args()), { cwd: ws.dir, env: ws.env })
    const hi = await weft(['tasks', 'submit', '--backend', 'shell', '--wait', '--', 'echo', 'hi there'])
    expect(hi.code, hi.stderr).toBe(0)
    expect(hi.stdout).toBe('hi there\n')

    const json = await weft([
      'tasks',
      'submit',
      '-b',
      'mock',
      '--with',
      'output={"n":[1,2]}',
      '--priority',
      '5',
      '--wait',
    ])
    expect(json.code, json.stderr).toBe(0)
    expect(json.stdout).toBe('{\n  "n": [\n    1,\n    2\n  ]\n}\n')

    const failed = await weft([
      'tasks',
      'submit',
      '-b',
      'mock',
      '--with',
      'error=boom',
      '--task-id',
      'bad',
      '--wait',
    ])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/task bad of run run_\w+ failed: .*boom/)

    const list = await weft(['tasks', 'list', '--json'])
    expect(list.code, list.stderr).toBe(0)
    const tasks = JSON.parse(list.stdout) as {
      runId: string
      taskId: string
      status: string
      backend: string
      priority: number
    }[]
    expect(tasks.map((t) => [t.taskId, t.status, t.backend])).toEqual([
      ['bad', 'failed', 'mock'],
      ['task', 'succeeded', 'mock'],
      ['task', 'succeeded', 'shell'],
    ])
    expect(tasks[1]!.priority).toBe(5)
    const onlyFailed = JSON.parse((await weft(['tasks', 'list', '--status', 'failed', '--json'])).stdout)
    expect(onlyFailed.map((t: { taskId: string }) => t.taskId)).toEqual(['bad'])
    const shell = JSON.parse((await weft(['tasks', 'list', '--backend', 'shell', '--json'])).stdout)
    expect(shell).toHaveLength(1)
    const table = await weft(['tasks', 'list'])
    expect(table.stdout).toMatch(/RUN\s+TASK\s+STATUS\s+BACKEND/)

    const runs = await weft(['runs', 'list', '--json'])
    const named = JSON.parse(runs.stdout) as { name: string; tags: string[] }[]
    expect(named.map((r) => r.name).sort()).toEqual(['task:mock', 'task:mock', 'task:shell'])
    expect(named.every((r) => r.tags.includes('weft:task'))).toBe(true)

    const out = await weft(['tasks', 'output', tasks[1]!.runId, 'task'])
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toBe('{\n  "n": [\n    1,\n    2\n  ]\n}\n')
    const raw = await weft(['tasks', 'output', tasks[1]!.runId, 'task', '--json'])
    expect(raw.stdout).toBe('{"n":[1,2]}\n')
    const badOut = await weft(['tasks', 'output', tasks[0]!.runId, 'bad'])
    expect(badOut.code).toBe(1)
    const unknown = await weft(['tasks', 'output', tasks[0]!.runId, 'nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/has no task 'nope'/)
    const badFlag = await weft(['tasks', 'submit', '-b', 'nope', '--wait'])
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toMatch(/unknown backend 'nope'/)
  })

  it('submit without --wait prints run and task ids; wait and cancel act on the task', async () => {
    const ws = workspace()
    const weft = (args: string[]) => runCli(withTarget(args, target.args()), { cwd: ws.dir, env: ws.env })
    const sub = await weft([
      'tasks',
      'submit',
      '--backend',
      'shell',
      '--',
      'sh',
      '-c',
      'sleep 0.3; echo later',
    ])
    expect(sub.code, sub.stderr).toBe(0)
    const ids = sub.stdout.trim().split(' ')
    expect(ids).toEqual([expect.stringMatching(/^run_\w+$/), 'task'])
    const waited = await weft(['tasks', 'wait', ...ids, '--timeout', '60s'])
    expect(waited.code, waited.stderr).toBe(0)
    expect(waited.stdout).toMatch(/task task of run run_\w+ succeeded/)
    expect((await weft(['tasks', 'output', ...ids])).stdout).toBe('later\n')

    const long = await weft(['tasks', 'submit', '--backend', 'shell', '--', 'sleep', '60'])
    const longIds = long.stdout.trim().split(' ')
    const early = await weft(['tasks', 'wait', ...longIds, '--timeout', '1s'])
    expect(early.code).toBe(124)
    const cancel = await weft(['tasks', 'cancel', ...longIds, '--reason', 'enough'])
    expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0)
    expect(cancel.stdout).toMatch(/task task of run run_\w+ canceled/)
    const after = await weft(['tasks', 'wait', ...longIds])
    expect(after.code).toBe(1)
    expect(after.stdout).toMatch(/canceled/)
    const again = await weft(['tasks', 'cancel', ...longIds])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/already canceled; nothing to cancel/)
  })
})

describe('cancel one task of a workflow', { timeout: 120_000 }, () => {
  it('its dependents are skipped and the rest of the run goes on, from another process', async () => {
    const ws = workspace()
    const run = startCli(['run', 'hang.yaml'], { cwd: ws.dir, env: ws.env })
    const [, runId] = await run.waitFor(/run (run_\w+) created/)
    await run.waitFor(/▶ stuck started/)
    // The run's own process runs it; this cancel reaches it through a signal.
    const cancel = await runCli(['tasks', 'cancel', runId!, 'stuck'], { cwd: ws.dir, env: ws.env })
    expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0)
    const done = await run.result
    expect(done.code, done.stdout + done.stderr).toBe(0)
    const events = await readEvents(ws, runId!)
    const ends = Object.fromEntries(
      events
        .filter((e) => /^task\.(succeeded|canceled|skipped)$/.test(e.type))
        .map((e) => [e.taskId, e.type]),
    )
    expect(ends).toEqual({ stuck: 'task.canceled', after: 'task.skipped', quick: 'task.succeeded' })
  })
})
