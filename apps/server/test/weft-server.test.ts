/**
 * The `weft-server` distribution as an operator runs it: a real child process, a weft.config.yaml
 * with keys from the environment, a SQLite store, JSON logs on stdout, SIGKILL and SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../..')
const BIN = join(repoRoot, 'apps/server/src/bin.ts')
const TSX = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href
const WRITE_KEY = 'ci-key-0123456789abcdef'
const READ_KEY = 'dash-key-0123456789abcdef'

interface Server {
  child: ChildProcess
  logs: Record<string, unknown>[]
  url: Promise<string>
  waitForLog(
    match: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

function startServer(dir: string, env: NodeJS.ProcessEnv = {}): Server {
  const child = spawn(process.execPath, ['--conditions=development', '--import', TSX, BIN], {
    cwd: dir,
    env: { ...process.env, CI_KEY: WRITE_KEY, DASH_KEY: READ_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  let buffer = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let nl = buffer.indexOf('\n')
    while (nl >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      nl = buffer.indexOf('\n')
      // Every stdout line is a JSON log record: a line that is not fails the test.
      logs.push(JSON.parse(line) as Record<string, unknown>)
    }
    for (const w of waiters) w()
  })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) =>
    child.on('exit', (code, signal) => {
      for (const w of waiters) w()
      res({ code, signal, stderr })
    }),
  )
  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((res, rej) => {
      const check = () => {
        const hit = logs.find(match)
        if (hit) {
          waiters.delete(check)
          clearTimeout(timer)
          res(hit)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check)
          clearTimeout(timer)
          rej(new Error(`weft-server exited (${child.exitCode ?? child.signalCode}): ${stderr}`))
        }
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        rej(
          new Error(
            `no matching log line within ${timeoutMs} ms; logs: ${JSON.stringify(logs)}; stderr: ${stderr}`,
          ),
        )
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  const url = waitForLog((l) => l.msg === 'ready').then((l) => l.url as string)
  // A test that expects the server to refuse its config never awaits the URL.
  url.catch(() => {})
  return { child, logs, url, waitForLog, exit }
}

const CONFIG = `
store: ./data/weft.db
server:
  port: 0
  workflowsDir: ./workflows
  apiKeys:
    - { name: ci, keyEnv: CI_KEY, scopes: [write] }
    - { name: dashboard, keyEnv: DASH_KEY, scopes: [read] }
`
const HELLO = `weft: 1
name: hello
tasks:
  greet: { backend: mock, with: { output: hi } }
  slow: { backend: mock, needs: greet, with: { delayMs: 1500, output: done } }
`

// biome-ignore lint/suspicious/noExplicitAny: test reads loosely typed JSON answers
type ApiBody = Record<string, any>

async function api(url: string, path: string, key: string | undefined, init: RequestInit = {}) {
  const res = await fetch(`${url}${path}`, {
    ...init,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  })
  return { status: res.status, body: (await res.json()) as ApiBody }
}

async function waitForStatus(url: string, runId: string, statuses: string[]) {
  for (;;) {
    const { body } = await api(url, `/api/v1/runs/${runId}`, READ_KEY)
    if (statuses.includes(body.run?.status)) return body
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('weft-server', () => {
  let dir: string
  const children: ChildProcess[] = []
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-server-'))
    mkdirSync(join(dir, 'workflows'))
    writeFileSync(join(dir, 'weft.config.yaml'), CONFIG)
    writeFileSync(join(dir, 'workflows', 'hello.yaml'), HELLO)
  })
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the config: keys and scopes from the environment, workflows by name, JSON logs, SIGTERM stops cleanly', async () => {
    const server = startServer(dir)
    children.push(server.child)
    const url = await server.url
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await api(url, '/healthz', undefined)).status).toBe(200)
    expect((await api(url, '/api/v1/runs', undefined)).status).toBe(401)
    expect((await api(url, '/api/v1/runs', READ_KEY)).status).toBe(200)
    const denied = await api(url, '/api/v1/runs', READ_KEY, {
      method: 'POST',
      body: JSON.stringify({ workflowName: 'hello' }),
    })
    expect(denied.status).toBe(403)
    expect(denied.body.error.code).toBe('forbidden')

    const started = await api(url, '/api/v1/runs', WRITE_KEY, {
      method: 'POST',
      body: JSON.stringify({ workflowName: 'hello', tags: ['nightly'] }),
    })
    expect(started.status).toBe(202)
    const done = await waitForStatus(url, started.body.runId, ['succeeded', 'failed', 'canceled'])
    expect(done.run).toMatchObject({ status: 'succeeded', initiator: 'api', tags: ['nightly'] })
    expect(done.tasks.map((t: { status: string }) => t.status)).toEqual(['succeeded', 'succeeded'])

    server.child.kill('SIGTERM')
    const exit = await server.exit
    expect(exit.code).toBe(0)
    expect(server.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['starting', 'ready', 'shutting down', 'stopped']),
    )
    expect(server.logs.every((l) => typeof l.level === 'number' && typeof l.time === 'number')).toBe(true)
  }, 120_000)

  it('recovers the runs a killed server left unfinished, without re-running finished tasks', async () => {
    const env = { WEFT_LEASE_TTL_MS: '300' }
    const first = startServer(dir, env)
    children.push(first.child)
    const url = await first.url
    const started = await api(url, '/api/v1/runs', WRITE_KEY, {
      method: 'POST',
      body: JSON.stringify({ workflowName: 'hello' }),
    })
    const runId = started.body.runId as string
    // Wait until `slow` has started in the store (so `greet`'s success is committed: the events
    // route reads the log), then kill the server mid-task. The run's own view is live, ahead of
    // the log by the commit in flight, and a kill loses that commit: it cannot be the signal.
    for (;;) {
      const { body } = await api(url, `/api/v1/runs/${runId}/events?type=task.started`, READ_KEY)
      if (body.items.some((e: { taskId: string }) => e.taskId === 'slow')) break
      await new Promise((r) => setTimeout(r, 50))
    }
    first.child.kill('SIGKILL')
    await first.exit

    const second = startServer(dir, env)
    children.push(second.child)
    const recovery = await second.waitForLog((l) => l.msg === 'recovery' && l.runId === runId)
    expect(recovery).toMatchObject({ outcome: 'recovered', interrupted: ['slow'], kept: 1 })
    const url2 = await second.url
    const done = await waitForStatus(url2, runId, ['succeeded', 'failed', 'canceled'])
    expect(done.run.status).toBe('succeeded')
    const events = await api(url2, `/api/v1/runs/${runId}/events?type=task.succeeded`, READ_KEY)
    // `greet` succeeded once, before the kill; `slow` once, after the recovery.
    expect(events.body.items.map((e: { taskId: string }) => e.taskId).sort()).toEqual(['greet', 'slow'])
    second.child.kill('SIGTERM')
    expect((await second.exit).code).toBe(0)
  }, 120_000)

  it('applies server.allowedHosts, policy and limits from the config (secure defaults with keys)', async () => {
    mkdirSync(join(dir, 'work', 'inside'), { recursive: true })
    writeFileSync(
      join(dir, 'weft.config.yaml'),
      `${CONFIG}
  allowedHosts: [weft.example.com]
  policy: { shellCwdRoot: ./work }
  limits: { maxTasksPerRun: 3 }
`,
    )
    const pwd = (cwd: string) =>
      `weft: 1\nname: pwd\ninputs: { dir: { type: string } }\ntasks:\n  here: { backend: shell, with: { command: [pwd], cwd: ${cwd} } }\n`
    writeFileSync(join(dir, 'workflows', 'etc.yaml'), pwd('/etc'))
    writeFileSync(join(dir, 'workflows', 'from-input.yaml'), pwd("'${{ inputs.dir }}'"))
    const server = startServer(dir)
    children.push(server.child)
    const url = await server.url
    const post = (body: object) =>
      api(url, '/api/v1/runs', WRITE_KEY, { method: 'POST', body: JSON.stringify(body) })
    // Inline workflows are off with keys; named ones run.
    const inline = await post({ workflow: HELLO })
    expect([inline.status, inline.body.error.code]).toEqual([403, 'inline_workflows_disabled'])
    // The cwd root: written in the workflow → 403; from an input → the task fails, confined.
    const etc = await post({ workflowName: 'etc' })
    expect([etc.status, etc.body.error.code]).toEqual([403, 'cwd_not_allowed'])
    const climb = await post({ workflowName: 'from-input', inputs: { dir: '../..' } })
    expect(climb.status).toBe(202)
    const failed = await waitForStatus(url, climb.body.runId, ['succeeded', 'failed', 'canceled'])
    expect(failed.run.status).toBe('failed')
    expect(JSON.stringify(failed.tasks[0].error)).toMatch(/outside .*confined to/)
    const inside = await post({ workflowName: 'from-input', inputs: { dir: 'work/inside' } })
    const ok = await waitForStatus(url, inside.body.runId, ['succeeded', 'failed', 'canceled'])
    expect(ok.run.status).toBe('succeeded')
    // Hosts: the configured name is answered, others are not.
    const host = async (h: string) => {
      const { request } = await import('node:http')
      return new Promise<number>((res, rej) => {
        const u = new URL(url)
        request(
          {
            host: u.hostname,
            port: u.port,
            path: '/api/v1/runs',
            headers: { host: h, authorization: `Bearer ${READ_KEY}` },
            setHost: false,
          },
          (r) => {
            r.resume()
            res(r.statusCode ?? 0)
          },
        )
          .on('error', rej)
          .end()
      })
    }
    expect(await host('weft.example.com')).toBe(200)
    expect(await host('evil.example')).toBe(403)
    // Limits: 3 tasks per run.
    writeFileSync(
      join(dir, 'workflows', 'four.yaml'),
      'weft: 1\nname: four\ntasks: { a: { backend: mock }, b: { backend: mock }, c: { backend: mock }, d: { backend: mock } }\n',
    )
    const four = await post({ workflowName: 'four' })
    expect([four.status, four.body.error.code]).toEqual([413, 'too_many_tasks'])
    server.child.kill('SIGTERM')
    expect((await server.exit).code).toBe(0)
  }, 120_000)

  it('refuses a config whose key variable is not set, naming the file and the field', async () => {
    const server = startServer(dir, { CI_KEY: '' })
    children.push(server.child)
    const exit = await server.exit
    expect(exit.code).toBe(2)
    expect(exit.stderr).toContain('weft.config.yaml: server.apiKeys[0].keyEnv: CI_KEY is not set')
    expect(exit.stderr).toContain('hint:')
  }, 60_000)
})
