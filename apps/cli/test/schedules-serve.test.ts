/**
 * Schedules with real `weft serve` processes on one SQLite file: two servers start each tick of an
 * every-second schedule exactly once (no tick twice, none missing between the first and the last),
 * and a server that was down follows the schedule's missed-tick policy when it starts again.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RunSummary } from '@weft/core'
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

const workspaces: Workspace[] = []
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  writeFileSync(join(ws.dir, 'tick.yaml'), TICK)
  return ws
}

async function addEverySecond(ws: Workspace, missed: 'skip' | 'catchUp'): Promise<string> {
  const r = await runCli(
    ['schedules', 'add', 'tick.yaml', '--cron', '* * * * * *', '--missed', missed, '--json'],
    { cwd: ws.dir, env: ws.env, timeoutMs: 90_000 },
  )
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { id: string }).id
}

/** `weft serve` on the workspace's store; resolves once it logged `schedules started`. */
async function serve(ws: Workspace): Promise<{ server: CliProcess; startedAt: string }> {
  const server = startCli(['serve', '--port', '0'], { cwd: ws.dir, env: ws.env, timeoutMs: 180_000 })
  const [, startedAt] = await server.waitFor(/"startedAt":"([^"]+)"[^\n]*"msg":"schedules started"/, 90_000)
  await server.waitFor(/"msg":"ready"/, 30_000)
  return { server, startedAt: startedAt! }
}

async function stop(server: CliProcess): Promise<void> {
  server.interrupt('SIGTERM')
  const r = await server.result
  expect(r.code, r.stderr).toBe(0)
}

/** The scheduled runs in the store, by tick. */
async function runsByTick(ws: Workspace): Promise<Map<string, RunSummary[]>> {
  const store = createSqliteStore({ path: ws.store })
  try {
    const { items } = await store.runs.list({ limit: 1000 })
    const byTick = new Map<string, RunSummary[]>()
    for (const run of items) {
      const tick = run.tags.find((t) => t.startsWith('tick:'))?.slice('tick:'.length)
      if (!tick) continue
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
  it('two servers on one SQLite file start each tick of an every-second schedule exactly once', async () => {
    const ws = workspace()
    const id = await addEverySecond(ws, 'skip')
    const one = await serve(ws)
    const two = await serve(ws)
    // Both are up; let ticks come while both run.
    const before = (await runsByTick(ws)).size
    await untilRuns(ws, before + 6)
    await stop(one.server)
    await stop(two.server)

    const byTick = await runsByTick(ws)
    const ticks = [...byTick.keys()].sort()
    expect(ticks.length).toBeGreaterThanOrEqual(6)
    for (const [tick, runs] of byTick) {
      expect(runs.length, `runs of tick ${tick}`).toBe(1)
      expect(runs[0]).toMatchObject({
        initiator: 'schedule',
        tags: expect.arrayContaining([`schedule:${id}`]),
      })
    }
    // Every second from the first tick to the last has its run.
    const first = Date.parse(ticks[0]!)
    const last = Date.parse(ticks[ticks.length - 1]!)
    expect(ticks.length).toBe((last - first) / 1000 + 1)
    // The ticks that ran while both servers were up are among them.
    expect(ticks.some((t) => t > two.startedAt)).toBe(true)
  })

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
