/**
 * PostgreSQL restarted in the middle of a run worked by `weft worker` processes: every connection
 * is cut, the server is down for a while, then it comes back. The workers reconnect, and the run
 * finishes with every task succeeded exactly once in its log. The server is a private one of this
 * test (see helpers/private-postgres.ts): restarting the machine's shared server would disturb
 * every other test running beside it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPostgresStore } from '@weft/storage-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privatePostgres } from './helpers/private-postgres.js'
import { type Proc, psql, spawnWeft, until, weft } from './helpers/workers.js'

const LEASE = { WEFT_LEASE_TTL_MS: '2000', WEFT_TASK_LEASE_MS: '2000' }
const TASKS = 40
// Each task sleeps 0.6 s: 40 of them on 6 slots take about 4 s, so the restart (after eight have
// succeeded) lands mid-run even when the machine is slow to notice the eighth.

describe('weft worker when PostgreSQL restarts mid-run', () => {
  let pg: Awaited<ReturnType<typeof privatePostgres>>
  let dir: string
  const procs: Proc[] = []
  beforeAll(async () => {
    pg = await privatePostgres()
    psql('CREATE DATABASE weft_restart', pg.url())
    dir = mkdtempSync(join(tmpdir(), 'weft-pg-restart-'))
  }, 120_000)
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL')
    pg?.destroy()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('the workers reconnect and the run finishes, each task succeeded once', {
    timeout: 180_000,
  }, async () => {
    const url = pg.url('weft_restart')
    const ledger = join(dir, 'ledger.txt')
    writeFileSync(ledger, '')
    writeFileSync(
      join(dir, 'restart.yaml'),
      [
        'weft: 1',
        'name: restart',
        'maxParallelism: 6',
        'tasks:',
        ...Array.from(
          { length: TASKS },
          (_, i) =>
            `  t${i}: { backend: shell, with: { command: ["sh", "-c", ${JSON.stringify(`sleep 0.6; echo t${i} >> '${ledger}'`)}] } }`,
        ),
      ].join('\n'),
    )
    const succeeded = (runId: string) =>
      Number(psql(`SELECT count(*) FROM weft.tasks WHERE run_id = '${runId}' AND status = 'succeeded'`, url))
    const status = (runId: string) => psql(`SELECT status FROM weft.runs WHERE id = '${runId}'`, url).trim()

    const detached = await weft(['run', 'restart.yaml', '--store', url, '--detach', '--json'], dir, LEASE)
    expect(detached.code, detached.stderr).toBe(0)
    const runId = (JSON.parse(detached.stdout) as { runId: string }).runId
    for (const name of ['a', 'b']) {
      const w = spawnWeft(
        ['worker', '--store', url, '--name', name, '--concurrency', '3', '--scan-ms', '300'],
        dir,
        LEASE,
      )
      procs.push(w)
      await w.waitForErr(/: started:/, 60_000)
    }
    await until(() => (succeeded(runId) >= 8 ? true : undefined), 90_000, 'eight tasks before the restart')

    // Down for longer than a lease: every connection is cut, claims and heartbeats fail meanwhile.
    const before = succeeded(runId)
    pg.stop('fast')
    expect(before).toBeLessThan(TASKS)
    await sleep(3000)
    pg.start()

    await until(
      () => (status(runId) === 'succeeded' ? true : undefined),
      120_000,
      `run ${runId} to succeed`,
    ).catch((err: Error) => {
      // What was left, and what the workers said, to tell a hang from a slow machine.
      const tasks = psql(
        `SELECT task_id || ' ' || status FROM weft.tasks WHERE run_id = '${runId}' AND status <> 'succeeded'`,
        url,
      )
      const queue = psql(
        `SELECT task_id || ' ' || attempt || ' ' || status || ' ' || coalesce(worker, '-') FROM weft.task_queue WHERE run_id = '${runId}'`,
        url,
      )
      const owner = psql(
        `SELECT owner || ' ' || expires_at FROM weft.run_leases WHERE run_id = '${runId}'`,
        url,
      )
      const said = procs.map((w, i) => `--- worker ${i}:\n${w.stderr().slice(-3000)}`).join('\n')
      throw new Error(
        `${err.message}: run ${status(runId)}; not succeeded:\n${tasks}\nqueue:\n${queue}\nlease: ${owner}\n${said}`,
      )
    })
    for (const w of procs) expect(w.child.exitCode, w.stderr().slice(-2000)).toBeNull()
    // They noticed the database go away (and carried on).
    expect(procs.map((w) => w.stderr()).join('\n')).toMatch(
      /terminat|ECONNREFUSED|Connection terminated|shutdown/i,
    )

    const store = createPostgresStore({ url })
    try {
      const evs = await store.events.read(runId, { limit: 100_000 })
      expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1))
      const done = evs.filter((e) => e.type === 'task.succeeded').map((e) => e.taskId)
      expect(done).toHaveLength(TASKS)
      expect(new Set(done).size).toBe(TASKS)
    } finally {
      await store.close()
    }
    // Every task ran; one cut off mid-way by the restart may have run again (at-least-once).
    const ran = readFileSync(ledger, 'utf8').split('\n').filter(Boolean)
    expect(new Set(ran).size).toBe(TASKS)
  })
})
