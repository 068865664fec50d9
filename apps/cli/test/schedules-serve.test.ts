/**
 * Schedules with real `weft serve` processes on one SQLite file: two servers start each tick of an
 * every-second schedule exactly once (no tick twice, none missing between the first and the last),
 * and a server that was down follows the schedule's missed-tick policy when it starts again.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RunSummary, Store } from '@weft/core'
import { createPostgresStore } from '@weft/storage-postgres'
import { createSqliteStore } from '@weft/storage-sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { type CliProcess, createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'

const TICK = [
  'weft: 1',
  'name: tick',
  'defaults: { backend: mock }',
  'tasks: { a: { prompt: tick } }',
  '',
].join('\n')

/** The PostgreSQL server of the tests (trust auth); each test that uses it gets a fresh database. */
const PG_SERVER = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const psql = (command: string) =>
  execFileSync('psql', [PG_SERVER, '-v', 'ON_ERROR_STOP=1', '-Atc', command], { encoding: 'utf8' })

const workspaces: Workspace[] = []
const databases: string[] = []
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
  for (const db of databases) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
})

/** A workspace whose store (WEFT_STORE) is a SQLite file, or a fresh PostgreSQL database. */
function workspace(kind: 'sqlite' | 'postgres' = 'sqlite'): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  writeFileSync(join(ws.dir, 'tick.yaml'), TICK)
  if (kind === 'postgres') {
    const db = `weft_test_${randomBytes(6).toString('hex')}`
    psql(`CREATE DATABASE ${db}`)
    databases.push(db)
    const url = new URL(PG_SERVER)
    url.pathname = `/${db}`
    ws.store = url.toString()
    ws.env = { ...ws.env, WEFT_STORE: ws.store }
  }
  return ws
}

const openStore = (ws: Workspace): Store =>
  ws.store.startsWith('postgres://')
    ? createPostgresStore({ url: ws.store })
    : createSqliteStore({ path: ws.store })

async function addEverySecond(ws: Workspace, missed: 'skip' | 'catchUp'): Promise<string> {
  const r = await runCli(
    ['schedules', 'add', 'tick.yaml', '--cron', '* * * * * *', '--missed', missed, '--json'],
    { cwd: ws.dir, env: ws.env, timeoutMs: 90_000 },
  )
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { id: string }).id
}

/** `weft serve` on the workspace's store; resolves once it logged `schedules started`. */
async function serve(ws: Workspace, args: string[] = []): Promise<{ server: CliProcess; startedAt: string }> {
  const server = startCli(['serve', '--port', '0', ...args], { cwd: ws.dir, env: ws.env, timeoutMs: 180_000 })
  const [, startedAt] = await server.waitFor(/"startedAt":"([^"]+)"[^\n]*"msg":"schedules started"/, 90_000)
  await server.waitFor(/"msg":"ready"/, 30_000)
  return { server, startedAt: startedAt! }
}

async function stop(server: CliProcess): Promise<void> {
  server.interrupt('SIGTERM')
  const r = await server.result
  expect(r.code, r.stderr).toBe(0)
}

/** The scheduled runs in the store, by tick (of one schedule, or of all). */
async function runsByTick(ws: Workspace, scheduleId?: string): Promise<Map<string, RunSummary[]>> {
  const store = openStore(ws)
  try {
    const { items } = await store.runs.list({ limit: 1000 })
    const byTick = new Map<string, RunSummary[]>()
    for (const run of items) {
      const tick = run.tags.find((t) => t.startsWith('tick:'))?.slice('tick:'.length)
      if (!tick || (scheduleId && !run.tags.includes(`schedule:${scheduleId}`))) continue
      byTick.set(tick, [...(byTick.get(tick) ?? []), run])
    }
    return byTick
  } finally {
    await store.close()
  }
}

/** Waits (no timing assertion) until the store has `n` scheduled runs. */
async function untilRuns(ws: Workspace, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await runsByTick(ws)).size >= n) return
    await sleep(250)
  }
  throw new Error(`fewer than ${n} scheduled runs after a long wait`)
}

describe('weft serve: schedules', { timeout: 300_000 }, () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    it(`two servers on one ${kind} store start each tick of every-second schedules exactly once`, async () => {
      const ws = workspace(kind)
      // One schedule added with the CLI, one declared by a workflow of the servers' folder.
      const added = await addEverySecond(ws, 'skip')
      mkdirSync(join(ws.dir, 'flows'))
      writeFileSync(
        join(ws.dir, 'flows', 'tock.yaml'),
        TICK.replace('name: tick', 'name: tock') + 'schedules:\n  - { cron: "* * * * * *" }\n',
      )
      const one = await serve(ws, ['--workflows', 'flows'])
      const two = await serve(ws, ['--workflows', 'flows'])
      // Both servers synced the folder: one schedule, not two.
      const listed = await runCli(['schedules', 'list', '--json'], {
        cwd: ws.dir,
        env: ws.env,
        timeoutMs: 90_000,
      })
      const schedules = JSON.parse(listed.stdout) as { id: string; origin: string }[]
      expect(schedules.map((s) => [s.id, s.origin]).sort()).toEqual(
        [
          [added, 'user'],
          ['wf_tock_0', 'folder'],
        ].sort(),
      )
      // Both are up; let ticks come while both run (both schedules tick on the same seconds).
      await untilRuns(ws, (await runsByTick(ws)).size + 6)
      await stop(one.server)
      await stop(two.server)

      for (const id of [added, 'wf_tock_0']) {
        const byTick = await runsByTick(ws, id)
        const ticks = [...byTick.keys()].sort()
        expect(ticks.length, id).toBeGreaterThanOrEqual(6)
        for (const [tick, runs] of byTick) {
          expect(runs.length, `runs of ${id} at ${tick}`).toBe(1)
          expect(runs[0]).toMatchObject({ initiator: 'schedule' })
        }
        // Every second from the first tick to the last has its run.
        const first = Date.parse(ticks[0]!)
        const last = Date.parse(ticks[ticks.length - 1]!)
        expect(ticks.length, id).toBe((last - first) / 1000 + 1)
        // Ticks that came while both servers were up are among them.
        expect(ticks.some((t) => t > two.startedAt)).toBe(true)
      }
    })
  }

  for (const missed of ['catchUp', 'skip'] as const) {
    it(`a server that was down: ${missed} starts ${missed === 'catchUp' ? 'one run' : 'no run'} for the ticks it missed`, async () => {
      const ws = workspace()
      await addEverySecond(ws, missed)
      const first = await serve(ws)
      await untilRuns(ws, 2)
      await stop(first.server)
      const lastBefore = [...(await runsByTick(ws)).keys()].sort().at(-1)!
      // Down for a few seconds: ticks go by with no server.
      await sleep(3000)
      const second = await serve(ws)
      const count = (await runsByTick(ws)).size
      await untilRuns(ws, count + 2)
      await stop(second.server)

      const ticks = [...(await runsByTick(ws)).keys()].sort()
      const missedTicks = ticks.filter((t) => t > lastBefore && t < second.startedAt)
      if (missed === 'catchUp') {
        expect(missedTicks).toHaveLength(1)
        // The latest tick before the restart: one run stands for all that were missed.
        const latest = new Date(Math.floor((Date.parse(second.startedAt) - 1) / 1000) * 1000).toISOString()
        expect(missedTicks[0]).toBe(latest)
        expect(second.server.stdout()).toMatch(/"catchUp":true/)
      } else {
        expect(missedTicks).toEqual([])
        expect(second.server.stdout()).toMatch(/"msg":"schedule ticks missed while down were skipped"/)
      }
      // Live ticks after the restart fire as usual.
      expect(ticks.filter((t) => t >= second.startedAt).length).toBeGreaterThanOrEqual(1)
    })
  }
})
