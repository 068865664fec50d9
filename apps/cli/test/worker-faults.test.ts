/**
 * `weft worker` when the database goes away: its connections killed by `pg_terminate_backend`
 * (all of them: restarting the whole server would disturb every other test on the machine), a
 * worker cut off behind a paused TCP proxy while its lease expires, and two workers racing to take
 * over the run of an owner killed with SIGKILL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPostgresStore } from '@weft/storage-postgres'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, type Proc, pausableProxy, psql, spawnWeft, until, weft } from './helpers/workers.js'

const LEASE = { WEFT_LEASE_TTL_MS: '1500', WEFT_TASK_LEASE_MS: '1500' }

describe('weft worker and database faults', () => {
  const db = freshDatabase()
  let dir: string
  const procs: Proc[] = []
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-faults-'))
  })
  afterEach(async () => {
    for (const p of procs.splice(0)) p.child.kill('SIGKILL')
  })
  afterAll(() => {
    db.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const start = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const p = spawnWeft(args, dir, { ...LEASE, ...env })
    procs.push(p)
    return p
  }
  const status = (runId: string) =>
    psql(`SELECT status FROM weft.runs WHERE id = '${runId}'`, db.url()).trim()
  const succeeded = (runId: string) =>
    Number(
      psql(`SELECT count(*) FROM weft.tasks WHERE run_id = '${runId}' AND status = 'succeeded'`, db.url()),
    )
  async function detach(file: string): Promise<string> {
    const r = await weft(['run', file, '--store', db.url(), '--detach', '--json'], dir, LEASE)
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as { runId: string }).runId
  }
  async function events(runId: string) {
    const store = createPostgresStore({ url: db.url() })
    try {
      return await store.events.read(runId, { limit: 100_000 })
    } finally {
      await store.close()
    }
  }
  function expectOnceEach(evs: Awaited<ReturnType<typeof events>>, tasks: number) {
    expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1))
    const done = evs.filter((e) => e.type === 'task.succeeded').map((e) => e.taskId)
    expect(done).toHaveLength(tasks)
    expect(new Set(done).size).toBe(tasks)
  }
  const shellTasks = (name: string, n: number, script: (id: string) => string, extra = '') =>
    [
      `weft: 1`,
      `name: ${name}`,
      extra,
      `tasks:`,
      ...Array.from(
        { length: n },
        (_, i) =>
          `  t${i}: { backend: shell, with: { command: ["sh", "-c", ${JSON.stringify(script(`t${i}`))}] } }`,
      ),
    ]
      .filter(Boolean)
      .join('\n')

  it('reconnects after pg_terminate_backend of all its connections, and the run finishes', {
    timeout: 120_000,
  }, async () => {
    writeFileSync(
      join(dir, 'many.yaml'),
      shellTasks('many', 30, (id) => `sleep 0.3; echo ${id}`, 'maxParallelism: 3'),
    )
    const worker = start(['worker', '--store', db.url('weft-wkill'), '--name', 'wkill', '--scan-ms', '300'])
    await worker.waitForErr(/: started:/, 60_000)
    const runId = await detach('many.yaml')
    const kill = () =>
      Number(
        psql(
          `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'weft-wkill'`,
          db.url(),
        ),
      )
    await until(() => (succeeded(runId) >= 5 ? true : undefined), 60_000, 'five tasks')
    expect(kill()).toBeGreaterThan(0)
    await until(
      () => (succeeded(runId) >= 15 ? true : undefined),
      60_000,
      'fifteen tasks after the first kill',
    )
    expect(kill()).toBeGreaterThan(0)
    await until(() => (status(runId) === 'succeeded' ? true : undefined), 60_000, `run ${runId} to succeed`)
    // It came back: new connections under its name.
    await until(() => (kill() > 0 ? true : undefined), 10_000, 'the worker to connect again')
    expectOnceEach(await events(runId), 30)
  })

  it('a worker cut off while its lease expires: its late completion is rejected, the next attempt wins', {
    timeout: 120_000,
  }, async () => {
    const ledger = join(dir, 'cut-ledger.txt')
    writeFileSync(ledger, '')
    writeFileSync(
      join(dir, 'cut.yaml'),
      shellTasks('cut', 1, () => `sleep 5; echo "$WORKER_NAME" >> '${ledger}'; echo "$WORKER_NAME"`),
    )
    const proxy = await pausableProxy({ host: '127.0.0.1', port: Number(new URL(db.url()).port || 5432) })
    try {
      const cut = start(
        ['worker', '--store', db.url('weft-cut', proxy.port), '--name', 'cut', '--scan-ms', '300'],
        {
          WORKER_NAME: 'cut',
        },
      )
      await cut.waitForErr(/: started:/, 60_000)
      const runId = await detach('cut.yaml')
      await cut.waitForErr(/claimed attempt 1 of run_\w+\/t0/, 30_000)
      proxy.pause()
      const other = start(['worker', '--store', db.url(), '--name', 'other', '--scan-ms', '300'], {
        WORKER_NAME: 'other',
      })
      await until(() => (status(runId) === 'succeeded' ? true : undefined), 60_000, `run ${runId} to succeed`)
      proxy.resume()
      await cut.waitForErr(/late completion of attempt 1 of run_\w+\/t0 rejected/, 30_000)
      expect(other.stderr()).toMatch(/succeeded attempt 2 of run_\w+\/t0/)
      const evs = await events(runId)
      expectOnceEach(evs, 1)
      const won = evs.find((e) => e.type === 'task.succeeded')!
      expect(won.attempt).toBe(2)
      expect(String((won.data as { text?: string }).text).trim()).toBe('other')
      // Both ran it (at-least-once): the cut-off worker's execution is in the ledger, not in the run.
      expect(readFileSync(ledger, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['cut', 'other'])
    } finally {
      proxy.resume()
      await proxy.close()
    }
  })

  it('two workers race to take over the run of an owner killed with SIGKILL: exactly one does', {
    timeout: 120_000,
  }, async () => {
    writeFileSync(
      join(dir, 'chain.yaml'),
      [
        'weft: 1',
        'name: chain',
        'tasks:',
        ...Array.from(
          { length: 4 },
          (_, i) =>
            `  c${i}: { backend: shell, with: { command: ["sh", "-c", "sleep 1; echo c${i}"] }${i ? `, needs: [c${i - 1}]` : ''} }`,
        ),
      ].join('\n'),
    )
    // `weft run` owns its run and works its tasks itself; it dies mid-run.
    const owner = start(['run', 'chain.yaml', '--store', db.url(), '--json'])
    const runId = await until(
      () =>
        psql(`SELECT id FROM weft.runs WHERE status = 'running' AND name = 'chain'`, db.url()).trim() ||
        undefined,
      60_000,
      'the run to start',
    )
    await until(() => (succeeded(runId) >= 1 ? true : undefined), 60_000, 'the first task')
    owner.child.kill('SIGKILL')
    await owner.exited
    const racers = ['p', 'q'].map((name) =>
      start(['worker', '--store', db.url(), '--name', name, '--scan-ms', '200']),
    )
    await until(() => (status(runId) === 'succeeded' ? true : undefined), 90_000, `run ${runId} to succeed`)
    const owners = racers.filter((r) => r.stderr().includes(`owns run ${runId}`))
    expect(owners).toHaveLength(1)
    const evs = await events(runId)
    expect(evs.filter((e) => e.type === 'run.recovered')).toHaveLength(1)
    expectOnceEach(evs, 4)
    await sleep(0)
  })

  it('SIGTERM: a running task that finishes within the grace completes; the rest go back and run elsewhere', {
    timeout: 120_000,
  }, async () => {
    writeFileSync(
      join(dir, 'term.yaml'),
      [
        'weft: 1',
        'name: term',
        'tasks:',
        '  short: { backend: shell, with: { command: ["sh", "-c", "sleep 1; echo \\"short $WORKER_NAME\\""] } }',
        '  long: { backend: shell, with: { command: ["sh", "-c", "sleep 8; echo \\"long $WORKER_NAME\\""] } }',
      ].join('\n'),
    )
    const first = start(
      ['worker', '--store', db.url(), '--name', 'first', '--grace-ms', '3000', '--scan-ms', '200'],
      {
        WORKER_NAME: 'first',
      },
    )
    await first.waitForErr(/: started:/, 60_000)
    const runId = await detach('term.yaml')
    await first.waitForErr(/claimed attempt 1 of run_\w+\/long/, 30_000)
    await first.waitForErr(/claimed attempt 1 of run_\w+\/short/, 30_000)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(first.stderr()).toMatch(/succeeded attempt 1 of run_\w+\/short/)
    // Its own run is handed over with the attempt: recorded as interrupted, run again by the next owner.
    expect(first.stderr()).toMatch(/attempt 1 of run_\w+\/long stopped/)
    start(['worker', '--store', db.url(), '--name', 'second', '--scan-ms', '200'], { WORKER_NAME: 'second' })
    await until(() => (status(runId) === 'succeeded' ? true : undefined), 60_000, `run ${runId} to succeed`)
    const evs = await events(runId)
    expectOnceEach(evs, 2)
    const text = (id: string) =>
      String(
        (evs.find((e) => e.type === 'task.succeeded' && e.taskId === id)!.data as { text?: string }).text,
      ).trim()
    expect(text('short')).toBe('short first')
    expect(text('long')).toBe('long second')
    expect(evs.find((e) => e.type === 'task.succeeded' && e.taskId === 'long')!.attempt).toBe(2)
  })

  it('a new owner follows the attempts a live worker still runs instead of running them again', {
    timeout: 120_000,
  }, async () => {
    const ledger = join(dir, 'follow-ledger.txt')
    writeFileSync(ledger, '')
    writeFileSync(
      join(dir, 'follow.yaml'),
      shellTasks('follow', 1, () => `sleep 5; echo "$WORKER_NAME" >> '${ledger}'; echo "$WORKER_NAME"`),
    )
    // The owner has no shell backend: it owns the run, the other worker runs its task.
    const owner = start([
      'worker',
      '--store',
      db.url(),
      '--name',
      'owner',
      '--backends',
      'mock',
      '--scan-ms',
      '200',
    ])
    await owner.waitForErr(/: started:/, 60_000)
    const runId = await detach('follow.yaml')
    await owner.waitForErr(new RegExp(`owns run ${runId}`), 30_000)
    const runner = start(
      ['worker', '--store', db.url(), '--name', 'runner', '--backends', 'shell', '--scan-ms', '200'],
      {
        WORKER_NAME: 'runner',
      },
    )
    await runner.waitForErr(/claimed attempt 1 of run_\w+\/t0/, 60_000)
    owner.child.kill('SIGKILL')
    await owner.exited
    await until(() => (status(runId) === 'succeeded' ? true : undefined), 60_000, `run ${runId} to succeed`)
    expect(runner.stderr()).toContain(`owns run ${runId}`)
    const evs = await events(runId)
    expectOnceEach(evs, 1)
    // Taken by the first owner (detached), then by the runner when that owner died.
    expect(evs.filter((e) => e.type === 'run.recovered')).toHaveLength(2)
    expect(evs.filter((e) => e.type === 'task.interrupted')).toEqual([])
    expect(evs.find((e) => e.type === 'task.succeeded')!.attempt).toBe(1)
    expect(readFileSync(ledger, 'utf8').split('\n').filter(Boolean)).toEqual(['runner'])
  })
})
