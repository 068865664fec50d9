/**
 * `weft agents …` with real parts: a fresh PostgreSQL database, real `weft worker` processes
 * (started directly and by `weft agents up`), real signals, and a real server on 127.0.0.1.
 * No wall-clock assertions: waits poll the database until what they wait for is there, and "not
 * claimed while paused" is judged against the worker's own heartbeats.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createClient } from '@weft/client'
import { createServer, type WeftServer } from '@weft/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCliRuntime } from '../src/compose.js'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const BIN = join(repoRoot, 'apps/cli/src/bin.ts')
const TSX = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href
const SERVER = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

function psql(command: string, target = SERVER): string {
  return execFileSync('psql', [target, '-v', 'ON_ERROR_STOP=1', '-Atc', command], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim()
}

interface Proc {
  child: ChildProcess
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** `weft ARGS` as a long-running child process (node + tsx on the sources). */
function spawnWeft(args: string[], cwd: string, options: { group?: boolean } = {}): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WEFT_STORE: '' }
  delete env.FORCE_COLOR
  const child = spawn(process.execPath, ['--conditions=development', '--import', TSX, BIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a shell gives a command: a terminal's Ctrl-C goes to it.
    detached: options.group === true,
  })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  )
  return { child, output: () => out, exited }
}

/** Polls `probe` until it returns something (the test's timeout is the only limit). */
async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== null && value !== false) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(100)
  }
}

const readIfExists = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('weft agents on --store postgres://', () => {
  let ws: Workspace
  let url: string
  const database = `weft_test_${randomBytes(6).toString('hex')}`
  const procs: Proc[] = []
  const sql = (command: string) => psql(command, url)
  /** `STATUS PID` of a worker record, '' before there is one (or before the schema exists). */
  const worker = (name: string) => {
    try {
      return sql(`SELECT status || ' ' || pid FROM weft.workers WHERE name = '${name}'`)
    } catch {
      return ''
    }
  }
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--store', url], {
      cwd: ws.dir,
      env: { WEFT_STORE: '' },
      timeoutMs: 60_000,
    })
    return r
  }
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, '--json'])
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout) as T
  }

  beforeAll(async () => {
    ws = createWorkspace()
    psql(`CREATE DATABASE ${database}`)
    const u = new URL(SERVER)
    u.pathname = `/${database}`
    url = u.toString()
    writeFileSync(
      join(ws.dir, 'one.yaml'),
      'weft: 1\nname: one\ntasks:\n  hi:\n    backend: shell\n    with: { command: [echo, hi] }\n',
    )
  })
  afterAll(async () => {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await Promise.all(procs.map((p) => p.exited))
    ws.cleanup()
    psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  })

  it('a store no worker shares is refused with a clear error, before anything is created', async () => {
    const r = await runCli(['agents', 'list', '--store', join(ws.dir, 'x.db')], { cwd: ws.dir, env: {} })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'unsupported by this store (' +
        join(ws.dir, 'x.db') +
        '): agents need a store shared by workers, e.g. --store postgres://…',
    )
    expect(r.stderr).toContain('[store_unsupported]')
    expect(() => readFileSync(join(ws.dir, 'x.db'))).toThrow()
  })

  it('lists and shows workers once they register; pausing one stops its claims until it is resumed', async () => {
    const w = spawnWeft(
      ['worker', '--store', url, '--name', 'ag-1', '--concurrency', '2', '--lease-ms', '3000'],
      ws.dir,
    )
    procs.push(w)
    await until('ag-1 to be idle', () => worker('ag-1').startsWith('idle '))

    const list = await json<
      { name: string; status: string; capacity: number; backends: string[]; pid: number }[]
    >(['agents', 'list'])
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ name: 'ag-1', status: 'idle', capacity: 2, pid: w.child.pid })
    expect(list[0]!.backends).toContain('shell')
    const table = await cli(['agents', 'list'])
    expect(table.stdout).toMatch(/^NAME\s+STATUS/m)
    expect(table.stdout).toMatch(/^ag-1\s+idle\s+0\/2/m)

    // Paused: the claim statement refuses from the moment the request commits.
    const paused = await cli(['agents', 'pause', 'ag-1', '--reason', 'disk full'])
    expect(paused.code, paused.stdout + paused.stderr).toBe(0)
    expect(paused.stdout).toContain('agent ag-1 paused')
    const run = await runCli(['run', join(ws.dir, 'one.yaml'), '--store', url, '--detach', '--json'], {
      cwd: ws.dir,
      env: { WEFT_STORE: '' },
      timeoutMs: 60_000,
    })
    expect(run.code, run.stderr).toBe(0)
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId
    // The worker owns the detached run and queues its task, but does not claim it: judged over
    // three of its heartbeats after the task was queued.
    await until(
      'the task to be queued',
      () => sql(`SELECT status FROM weft.task_queue WHERE run_id = '${runId}'`) === 'queued',
    )
    const beat = () =>
      Number(sql(`SELECT extract(epoch FROM heartbeat_at) * 1000 FROM weft.workers WHERE name = 'ag-1'`))
    let last = beat()
    for (let beats = 0; beats < 3; ) {
      await sleep(200)
      const now = beat()
      if (now > last) {
        beats++
        last = now
      }
    }
    expect(sql(`SELECT status FROM weft.task_queue WHERE run_id = '${runId}'`)).toBe('queued')
    expect(sql(`SELECT status FROM weft.runs WHERE id = '${runId}'`)).not.toBe('succeeded')
    expect(worker('ag-1')).toMatch(/^paused /)

    const resumed = await cli(['agents', 'resume', 'ag-1'])
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0)
    await until(
      'the run to succeed',
      () => sql(`SELECT status FROM weft.runs WHERE id = '${runId}'`) === 'succeeded',
    )
    expect(
      sql(
        `SELECT count(*) FROM weft.events WHERE run_id = '${runId}' AND data LIKE '%claimed by worker ag-1%'`,
      ),
    ).toBe('1')

    const shown = await json<{
      agent: { name: string; completed: number; desired: string }
      events: { type: string; reason?: string; by?: string }[]
    }>(['agents', 'show', 'ag-1'])
    expect(shown.agent).toMatchObject({ name: 'ag-1', desired: 'run' })
    const types = shown.events.map((e) => e.type).reverse()
    expect(types).toEqual([
      'agent.registered',
      'agent.pause_requested',
      'agent.paused',
      'agent.resume_requested',
      'agent.resumed',
    ])
    expect(shown.events.find((e) => e.type === 'agent.pause_requested')).toMatchObject({
      reason: 'disk full',
    })
    expect(shown.events.find((e) => e.type === 'agent.pause_requested')?.by).toMatch(/^cli:/)
    await until(
      'the completion to be counted',
      async () =>
        (await json<{ agent: { completed: number } }>(['agents', 'show', 'ag-1'])).agent.completed === 1,
    )
    const text = await cli(['agents', 'show', 'ag-1'])
    expect(text.stdout).toMatch(/agent\.pause_requested\s+disk full · by cli:/)

    // Stop: the worker drains and exits 0 by itself.
    const stopped = await cli(['agents', 'stop', 'ag-1'])
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0)
    expect(await w.exited).toEqual({ code: 0, signal: null })
    expect(worker('ag-1')).toMatch(/^stopped /)
    const unknown = await cli(['agents', 'show', 'nobody'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('[agent_not_found]')
  })

  it('pausing an agent hands its running task back: the task runs again as a new attempt on another agent', async () => {
    // The first attempt leaves a marker and sleeps; the next one finds the marker and ends at once.
    writeFileSync(
      join(ws.dir, 'slow.yaml'),
      `weft: 1\nname: slow\ntasks:\n  long:\n    backend: shell\n    with: { command: [sh, -c, "if [ -e marker ]; then echo again; else echo $$ > marker; sleep 120; fi"] }\n`,
    )
    const h1 = spawnWeft(
      ['worker', '--store', url, '--name', 'hb-1', '--concurrency', '1', '--lease-ms', '3000'],
      ws.dir,
    )
    procs.push(h1)
    await until('hb-1 to be idle', () => worker('hb-1').startsWith('idle '))
    const run = await runCli(['run', join(ws.dir, 'slow.yaml'), '--store', url, '--detach', '--json'], {
      cwd: ws.dir,
      env: { WEFT_STORE: '' },
      timeoutMs: 60_000,
    })
    expect(run.code, run.stderr).toBe(0)
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId
    const claimed = `SELECT count(*) FROM weft.task_queue WHERE run_id = '${runId}' AND status = 'claimed' AND worker = 'hb-1'`
    await until('hb-1 to run the task', () => sql(claimed) === '1')
    const shellPid = Number(await until('the marker', () => readIfExists(join(ws.dir, 'marker'))))
    expect(alive(shellPid)).toBe(true)

    const paused = await cli(['agents', 'pause', 'hb-1'])
    expect(paused.code, paused.stdout + paused.stderr).toBe(0)
    // Handed back, not suspended: the attempt's process is gone and the agent holds nothing.
    await until('the first attempt to be stopped', () => !alive(shellPid))
    expect(
      await json<{ agent: { running: number; current: unknown[] } }>(['agents', 'show', 'hb-1']),
    ).toMatchObject({
      agent: { running: 0, current: [] },
    })
    const h2 = spawnWeft(
      ['worker', '--store', url, '--name', 'hb-2', '--concurrency', '1', '--lease-ms', '3000'],
      ws.dir,
    )
    procs.push(h2)
    await until(
      'the run to succeed',
      () => sql(`SELECT status FROM weft.runs WHERE id = '${runId}'`) === 'succeeded',
    )
    const task = JSON.parse(
      sql(`SELECT state FROM weft.tasks WHERE run_id = '${runId}' AND task_id = 'long'`),
    ) as {
      attempt: number
      text?: string
      output?: unknown
    }
    expect(task.attempt).toBeGreaterThanOrEqual(2)
    expect(JSON.stringify(task)).toContain('again')
    expect(
      sql(
        `SELECT count(*) FROM weft.events WHERE run_id = '${runId}' AND data LIKE '%claimed by worker hb-2%'`,
      ),
    ).toBe('1')
    for (const p of [h1, h2]) p.child.kill('SIGTERM')
    expect((await h1.exited).code).toBe(0)
    expect((await h2.exited).code).toBe(0)
  })

  it('agents up: limits applied, a worker killed with SIGKILL comes back with backoff, SIGTERM stops them all', async () => {
    const up = spawnWeft(
      [
        'agents',
        'up',
        '--count',
        '2',
        '--store',
        url,
        '--name-prefix',
        'sup',
        '--lease-ms',
        '3000',
        '--memory-mb',
        '256',
        '--cpus',
        '0',
        '--backoff-ms',
        '300',
      ],
      ws.dir,
    )
    procs.push(up)
    const pidOf = async (name: string) =>
      Number((await until(`${name} to be idle`, () => /^idle (\d+)$/.exec(worker(name))))[1])
    const first = await pidOf('sup-1')
    await pidOf('sup-2')
    // The supervisor's child is the worker's node process itself (each tool execs the next).
    const cmdline = readFileSync(`/proc/${first}/cmdline`, 'utf8').split('\0')
    expect(cmdline).toContain('--max-old-space-size=256')
    expect(cmdline).toContain('sup-1')
    expect(readFileSync(`/proc/${first}/limits`, 'utf8')).toMatch(/Max data size\s+536870912\s+536870912/)
    expect(readFileSync(`/proc/${first}/status`, 'utf8')).toMatch(/Cpus_allowed_list:\s+0$/m)

    process.kill(first, 'SIGKILL')
    await until('the restart notice', () =>
      /sup-1 killed by SIGKILL after [\d.]+ s: restarting in 0\.3 s \(restart 1\)/.test(up.output()),
    )
    const second = await until('sup-1 back under a new pid', async () => {
      const m = /^idle (\d+)$/.exec(worker('sup-1'))
      return m && Number(m[1]) !== first ? Number(m[1]) : undefined
    })
    process.kill(second, 'SIGKILL')
    // A second crash in a row waits twice as long.
    await until('the second restart', () =>
      /sup-1 killed by SIGKILL after [\d.]+ s: restarting in 0\.6 s \(restart 2\)/.test(up.output()),
    )
    const third = await until('sup-1 back again', () => {
      const m = /^idle (\d+)$/.exec(worker('sup-1'))
      return m && Number(m[1]) !== second ? Number(m[1]) : undefined
    })
    const events = await json<{ events: { type: string }[] }>(['agents', 'show', 'sup-1'])
    expect(events.events.map((e) => e.type).filter((t) => t === 'agent.failed')).toHaveLength(2)

    up.child.kill('SIGUSR1')
    await until('the status table', () =>
      /^sup-1\s+running\s+(\d+)\s+2\s+SIGKILL after/m.exec(up.output())?.[1] === String(third)
        ? true
        : undefined,
    )
    expect(up.output()).toMatch(/^sup-2\s+running\s+\d+\s+0\s+–$/m)
    up.child.kill('SIGTERM')
    expect(await up.exited).toEqual({ code: 0, signal: null })
    expect(up.output()).toContain('SIGTERM: stopping every worker')
    expect(
      sql(
        `SELECT string_agg(name || ' ' || status, ', ' ORDER BY name) FROM weft.workers WHERE name LIKE 'sup-%'`,
      ),
    ).toBe('sup-1 stopped, sup-2 stopped')
    expect(alive(third)).toBe(false)
  })

  it('agents up: a Ctrl-C on its terminal drains the workers and exits 0; a second one kills them', async () => {
    // A schema of its own: the run it leaves unfinished must not be taken over by later tests' workers.
    const store = `${url}?schema=ctrlc`
    const ttyWorker = () => {
      try {
        return sql(`SELECT status || ' ' || pid FROM ctrlc.workers WHERE name = 'tty-1'`)
      } catch {
        return ''
      }
    }
    const up = spawnWeft(
      ['agents', 'up', '--count', '1', '--store', store, '--name-prefix', 'tty', '--lease-ms', '3000'],
      ws.dir,
      {
        group: true,
      },
    )
    procs.push(up)
    await until('tty-1 to be idle', () => ttyWorker().startsWith('idle '))
    // What the terminal does on Ctrl-C: SIGINT to the foreground process group.
    process.kill(-up.child.pid!, 'SIGINT')
    expect(await up.exited).toEqual({ code: 0, signal: null })
    expect(up.output()).toContain('SIGINT: stopping every worker')
    expect(up.output()).toMatch(/agents up: tty-1 stopped$/m)
    expect(ttyWorker()).toMatch(/^stopped /)

    // Twice, while a worker drains a running task: it ends now, task included, instead of being
    // left to drain on its own after the supervisor is gone.
    writeFileSync(
      join(ws.dir, 'hang.yaml'),
      'weft: 1\nname: hang\ntasks:\n  long:\n    backend: shell\n    with: { command: [sh, -c, "echo $$ > hang.pid; sleep 120"] }\n',
    )
    const again = spawnWeft(
      [
        'agents',
        'up',
        '--count',
        '1',
        '--store',
        store,
        '--name-prefix',
        'tty',
        '--lease-ms',
        '3000',
        '--grace-ms',
        '60000',
      ],
      ws.dir,
      { group: true },
    )
    procs.push(again)
    const pid = Number((await until('tty-1 to be back', () => /^idle (\d+)$/.exec(ttyWorker())))[1])
    const run = await runCli(['run', join(ws.dir, 'hang.yaml'), '--store', store, '--detach'], {
      cwd: ws.dir,
      env: { WEFT_STORE: '' },
      timeoutMs: 60_000,
    })
    expect(run.code, run.stderr).toBe(0)
    const shell = Number(await until('the task to run', () => readIfExists(join(ws.dir, 'hang.pid'))))
    process.kill(-again.child.pid!, 'SIGINT')
    await until('tty-1 to drain', () => ttyWorker().startsWith('draining '))
    process.kill(-again.child.pid!, 'SIGINT')
    expect((await again.exited).code).toBe(130)
    await until('the worker to be gone', () => !alive(pid))
    // Its exit handler ended the task's process group too: nothing is left behind.
    await until('the task to be gone', () => !alive(shell))
  })

  it('the server on the same database: /api/v1/agents, controls, gauges, and weft agents --server', async () => {
    const w = spawnWeft(
      ['worker', '--store', url, '--name', 'srv-1', '--concurrency', '3', '--lease-ms', '3000'],
      ws.dir,
    )
    procs.push(w)
    await until('srv-1 to be idle', () => worker('srv-1').startsWith('idle '))
    const { runtime } = await createCliRuntime({
      cwd: ws.dir,
      env: {},
      store: url,
      queueWorker: false,
      reporter: { warn() {} },
    })
    const quiet = () => {}
    let server: WeftServer | undefined
    try {
      server = createServer(runtime, { logger: { info: quiet, warn: quiet, error: quiet } })
      const { url: base } = await server.listen({ port: 0, host: '127.0.0.1' })
      const client = createClient({ baseUrl: base })
      const all = await client.agents.list()
      expect(all.find((a) => a.name === 'srv-1')).toMatchObject({ status: 'idle', capacity: 3 })
      expect((await client.agents.list({ status: 'stopped' })).map((a) => a.name)).toContain('ag-1')
      const detail = await client.agents.get('srv-1', { events: 5 })
      expect(detail.events.map((e) => e.type)).toEqual(['agent.registered'])
      await expect(client.agents.get('nobody')).rejects.toMatchObject({
        code: 'agent_not_found',
        status: 404,
      })

      const metrics = await client.metrics()
      expect(metrics).toMatch(/^weft_agents\{status="idle"\} 1$/m)
      expect(metrics).toMatch(/^weft_agents\{status="stopped"\} [1-9]/m)
      expect(metrics).toMatch(/^weft_agent_capacity 3$/m)
      expect(metrics).toMatch(/^weft_agent_busy_slots 0$/m)

      const paused = await client.agents.pause('srv-1', { reason: 'via api' })
      expect(paused).toMatchObject({
        changed: true,
        agent: { desired: 'pause', desiredReason: 'via api', desiredBy: 'anonymous' },
      })
      await until('srv-1 to be paused', () => worker('srv-1').startsWith('paused '))
      expect(await client.metrics()).toMatch(/^weft_agents\{status="paused"\} 1$/m)

      // The CLI against the server.
      const listed = await runCli(['agents', 'list', '--server', base, '--status', 'paused', '--json'], {
        cwd: ws.dir,
        env: {},
      })
      expect(listed.code, listed.stderr).toBe(0)
      expect((JSON.parse(listed.stdout) as { name: string }[]).map((a) => a.name)).toEqual(['srv-1'])
      const resumed = await runCli(['agents', 'resume', 'srv-1', '--server', base], { cwd: ws.dir, env: {} })
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0)
      const stop = await runCli(['agents', 'stop', 'srv-1', '--server', base], {
        cwd: ws.dir,
        env: {},
        timeoutMs: 60_000,
      })
      expect(stop.code, stop.stdout + stop.stderr).toBe(0)
      expect(await w.exited).toEqual({ code: 0, signal: null })
    } finally {
      await server?.close({ graceMs: 1000 })
      await runtime.close()
    }
  })
})
