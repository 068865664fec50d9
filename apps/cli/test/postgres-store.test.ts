import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { replayEvents } from '@weft/core'
import { createPostgresStore } from '@weft/storage-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'

const HELLO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/hello.yaml')
/** The PostgreSQL server of the tests (trust auth, as on the CI machines). */
const SERVER = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** SQL on the server with psql, the client that comes with PostgreSQL. */
function psql(command: string, target = SERVER): string {
  return execFileSync('psql', [target, '-v', 'ON_ERROR_STOP=1', '-Atc', command], { encoding: 'utf8' })
}

describe('--store postgres://', () => {
  let ws: Workspace
  let url: string
  const database = `weft_test_${randomBytes(6).toString('hex')}`

  beforeAll(() => {
    ws = createWorkspace()
    psql(`CREATE DATABASE ${database}`)
    const u = new URL(SERVER)
    u.pathname = `/${database}`
    url = u.toString()
  })
  afterAll(() => {
    ws.cleanup()
    psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  })

  it('runs examples/hello.yaml on a fresh database, and every command reads it back by flag, env or config', async () => {
    const env = { ...ws.env, WEFT_STORE: '' }
    const run = await runCli(['run', HELLO, '--store', url, '--json'], { cwd: ws.dir, env })
    expect(run.code, run.stderr).toBe(0)
    const summary = JSON.parse(run.stdout) as { id: string; status: string; lastSeq: number; name: string }
    expect(summary).toMatchObject({ status: 'succeeded', name: 'hello' })
    // The migrations created weft's schema; the run is in its tables.
    expect(psql(`SELECT status FROM weft.runs WHERE id = '${summary.id}'`, url).trim()).toBe('succeeded')
    expect(Number(psql(`SELECT count(*) FROM weft.events WHERE run_id = '${summary.id}'`, url))).toBe(
      summary.lastSeq,
    )

    // WEFT_STORE
    const list = await runCli(['runs', 'list', '--json'], { cwd: ws.dir, env: { ...env, WEFT_STORE: url } })
    expect(list.code, list.stderr).toBe(0)
    expect((JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id)).toEqual([summary.id])

    // --store on another command
    const events = await runCli(['runs', 'events', summary.id, '--store', url, '--json'], {
      cwd: ws.dir,
      env,
    })
    expect(events.code, events.stderr).toBe(0)
    const lines = events.stdout.trim().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(lines.map((_, i) => i + 1))
    expect(lines).toHaveLength(summary.lastSeq)

    // store: in weft.config, with a schema of its own (empty: it has no runs)
    writeFileSync(join(ws.dir, 'weft.config.yaml'), `store: ${url}?schema=other\n`)
    const empty = await runCli(['runs', 'list', '--json'], { cwd: ws.dir, env })
    expect(empty.code, empty.stderr).toBe(0)
    expect(JSON.parse(empty.stdout)).toEqual([])
    writeFileSync(join(ws.dir, 'weft.config.yaml'), `store: ${url}\n`)
    const show = await runCli(['runs', 'show', summary.id, '--json'], { cwd: ws.dir, env })
    expect(show.code, show.stderr).toBe(0)
    expect(JSON.parse(show.stdout)).toMatchObject({ run: { id: summary.id, status: 'succeeded' } })
  }, 120_000)

  it('serves the runs of the database with `weft serve --store postgres://…`, and starts runs there', async () => {
    const env = { ...ws.env, WEFT_STORE: '' }
    const server = startCli(['serve', '--port', '0', '--store', url], {
      cwd: ws.dir,
      env,
      timeoutMs: 120_000,
    })
    try {
      const [, base] = (await server.waitFor(/"url":"(http:\/\/[^"]+)"/, 60_000)) as RegExpMatchArray
      const started = await fetch(`${base}/api/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          workflow: {
            weft: 1,
            name: 'via-server',
            defaults: { backend: 'mock' },
            tasks: { a: { prompt: 'hi' } },
          },
        }),
      })
      expect(started.status).toBe(202)
      const { runId: id } = (await started.json()) as { runId: string }
      for (let i = 0; i < 100; i++) {
        if (psql(`SELECT status FROM weft.runs WHERE id = '${id}'`, url).trim() === 'succeeded') break
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(psql(`SELECT status FROM weft.runs WHERE id = '${id}'`, url).trim()).toBe('succeeded')
      const listed = (await (await fetch(`${base}/api/v1/runs`)).json()) as { items: { id: string }[] }
      expect(listed.items.map((r) => r.id)).toContain(id)
    } finally {
      server.interrupt('SIGTERM')
      await server.result
    }
  }, 120_000)

  it('recovers a run whose process was killed, from another process: finished tasks are not run again', async () => {
    const env = { ...ws.env, WEFT_STORE: url, WEFT_LEASE_TTL_MS: '300' }
    const store = createPostgresStore({ url })
    const ledger = join(ws.dir, 'ledger.txt')
    const counts = () => {
      const c: Record<string, number> = {}
      if (existsSync(ledger))
        for (const l of readFileSync(ledger, 'utf8').split('\n')) if (l) c[l] = (c[l] ?? 0) + 1
      return c
    }
    const frozen: Record<string, number> = {}
    let runId: string | undefined
    // Killed twice in the middle of its work (`weft run`, then the first `weft runs recover`).
    for (const args of [
      ['run', 'ledger.yaml', '--input', `ledger=${ledger}`, '--input', 'pause=0.3', '--quiet'],
      ['runs', 'recover'],
    ]) {
      const proc = startCli(runId ? [...args, runId] : args, { cwd: ws.dir, env, timeoutMs: 60_000 })
      const before = runId
        ? (await store.tasks.list(runId)).filter((t) => t.status === 'succeeded').length
        : 0
      for (let i = 0; i < 600; i++) {
        runId ??= (await store.runs.list({ name: 'ledger' })).items[0]?.id
        const done = runId
          ? (await store.tasks.list(runId)).filter((t) => t.status === 'succeeded').length
          : 0
        if (done >= before + 2) break
        await sleep(25)
      }
      expect(runId).toBeDefined()
      const done = (await store.tasks.list(runId!)).filter((t) => t.status === 'succeeded')
      const seen = counts()
      for (const t of done) frozen[t.taskId] ??= seen[t.taskId] ?? 0
      proc.child.kill('SIGKILL')
      await proc.result
      await sleep(400) // the killed process's lease expires (database clock)
    }
    const last = await runCli(['runs', 'recover', runId!, '--quiet'], { cwd: ws.dir, env, timeoutMs: 60_000 })
    expect(last.code, last.stderr).toBe(0)
    const summary = await store.runs.get(runId!)
    expect(summary?.status).toBe('succeeded')
    const final = counts()
    for (const [task, n] of Object.entries(frozen)) expect(final[task], task).toBe(n)
    const events = await store.events.read(runId!, { limit: 100_000 })
    const tasks = await store.tasks.list(runId!)
    for (const t of tasks) {
      expect(t.status).toBe('succeeded')
      expect(events.filter((e) => e.type === 'task.succeeded' && e.taskId === t.taskId)).toHaveLength(1)
    }
    const replayed = replayEvents(events)
    expect(replayed.gapless).toBe(true)
    expect(replayed.status).toBe('succeeded')
    await store.close()
  }, 180_000)

  it('says which server it cannot reach, without printing the password', async () => {
    const env = { ...ws.env, WEFT_STORE: '' }
    const down = await runCli(['runs', 'list', '--store', 'postgres://weft:s3cret@127.0.0.1:1/weft'], {
      cwd: ws.dir,
      env,
    })
    expect(down.code).not.toBe(0)
    expect(down.stderr).toContain('127.0.0.1:1')
    expect(down.stderr).not.toContain('s3cret')
  }, 60_000)
})
