/**
 * The durable queue pause across processes: `weft queue pause` in one process while `weft run`
 * runs a workflow in another. The running task finishes, the next one does not start until
 * `weft queue resume`, then the run finishes. Proven from the stored log and the queue's history,
 * not from timing: the dependent task's start is recorded after the resume.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'

const PG = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const psql = (sql: string) =>
  execFileSync('psql', [PG, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' })
const database = `weft_queue_${randomBytes(6).toString('hex')}`
let pgCreated = false

const workspaces: Workspace[] = []
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
  if (pgCreated) psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
})

/** A fresh database of this test file, created on first use. */
function postgresUrl(): string {
  if (!pgCreated) psql(`CREATE DATABASE ${database}`)
  pgCreated = true
  const u = new URL(PG)
  u.pathname = `/${database}`
  return u.toString()
}

const WORKFLOW = `weft: 1
name: queue-pause
defaults: { backend: mock }
tasks:
  # Runs until the test creates the file 'release' (so it surely ends while the queue is paused).
  first: { backend: shell, with: { command: ["sh", "-c", "while [ ! -f release ]; do sleep 0.05; done; echo first"] } }
  second: { needs: [first], prompt: "second" }
  third: { needs: [second], prompt: "third" }
`

const stores = [
  { name: 'SQLite', store: (): string[] => [] },
  { name: 'PostgreSQL', store: (): string[] => ['--store', postgresUrl()] },
]

describe.each(stores)('weft queue pause from another process on $name', { timeout: 120_000 }, ({ store }) => {
  it('lets the running task finish and starts no task until weft queue resume', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    writeFileSync(join(ws.dir, 'queue-pause.yaml'), WORKFLOW)
    const where = store()
    const weft = (args: string[]) => runCli([...args, ...where], { cwd: ws.dir, env: ws.env })

    const run = startCli(['run', 'queue-pause.yaml', ...where], { cwd: ws.dir, env: ws.env })
    const [, runId] = await run.waitFor(/run (run_\w+) created/)
    await run.waitFor(/▶ first started/)
    const paused = await weft(['queue', 'pause', '--reason', 'maintenance', '--json'])
    expect(paused.code, paused.stderr).toBe(0)
    expect(JSON.parse(paused.stdout)).toMatchObject({ paused: true, reason: 'maintenance', durable: true })

    // The running process reads the flag every 250 ms: give it a few reads before first ends
    // (a wait, not an assertion: the log below proves the order).
    await new Promise((resolve) => setTimeout(resolve, 1500))
    writeFileSync(join(ws.dir, 'release'), '')
    // first finishes while paused; second stays queued as long as the queue is paused.
    let tasks: { taskId: string; status: string }[] = []
    for (;;) {
      const list = await weft(['tasks', 'list', '--run', runId!, '--json'])
      tasks = JSON.parse(list.stdout)
      if (tasks.find((t) => t.taskId === 'first')?.status === 'succeeded') break
    }
    const status = await weft(['queue', 'status', '--json'])
    expect(JSON.parse(status.stdout).paused).toBe(true)
    expect(Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))).toMatchObject({
      first: 'succeeded',
      second: 'queued',
      third: 'pending',
    })

    const resumed = await weft(['queue', 'resume'])
    expect(resumed.code, resumed.stderr).toBe(0)
    const done = await run.result
    expect(done.code, done.stdout + done.stderr).toBe(0)

    const history = JSON.parse((await weft(['queue', 'history', '--json'])).stdout) as {
      type: string
      ts: string
    }[]
    expect(history.map((c) => c.type)).toEqual(['queue.resumed', 'queue.paused'])
    const [resume, pause] = history
    const events = await eventsOf(ws, runId!, where)
    const started = (id: string) => events.find((e) => e.type === 'task.started' && e.taskId === id)!
    const ended = (id: string) => events.find((e) => e.type === 'task.succeeded' && e.taskId === id)!
    // first started before the pause and ended during it; second started only after the resume.
    expect(started('first').ts < pause!.ts).toBe(true)
    expect(ended('first').ts >= pause!.ts).toBe(true)
    expect(started('second').ts >= resume!.ts).toBe(true)
    expect(events.at(-1)!.type).toBe('run.succeeded')
  })
})

async function eventsOf(ws: Workspace, runId: string, where: string[]) {
  const r = await runCli(['runs', 'events', runId, '--json', ...where], { cwd: ws.dir, env: ws.env })
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string; taskId?: string; ts: string })
}

describe('a task submitted while the queue is paused', { timeout: 120_000 }, () => {
  it('waits in a live process (which does not exit meanwhile) and runs after weft queue resume', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    const weft = (args: string[]) => runCli(args, { cwd: ws.dir, env: ws.env })
    expect((await weft(['queue', 'pause', '--reason', 'later'])).code).toBe(0)
    const submit = startCli(['tasks', 'submit', '-b', 'mock', '--with', 'output=ok', '--wait'], {
      cwd: ws.dir,
      env: ws.env,
    })
    // The task is recorded and stays queued while paused.
    for (;;) {
      const list = JSON.parse((await weft(['tasks', 'list', '--json'])).stdout) as { status: string }[]
      if (list[0]?.status === 'queued') break
    }
    expect((await weft(['queue', 'resume'])).code).toBe(0)
    const done = await submit.result
    expect(done.code, done.stderr).toBe(0)
    expect(done.stdout).toBe('ok\n')
    expect(done.stderr).toMatch(/note: the queue is paused \(later\)/)
  })
})
