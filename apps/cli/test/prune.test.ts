import { afterAll, describe, expect, it } from 'vitest'
import { parseDuration, timeArg } from '../src/duration.js'
import { createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'
import { commitRun, logEvents } from './helpers/direct-run.js'

const workspaces: Workspace[] = []
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()

interface PruneJson {
  deleted: number
  dryRun: boolean
  createdBefore: string
  statuses: string[]
  runs: { id: string; name: string; status: string; createdAt: string }[]
}

describe('weft runs prune', () => {
  it('deletes only old finished runs, with their events; --dry-run and --status narrow it', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    const cli = (args: string[]) => runCli(args, { cwd: ws.dir, env: ws.env })
    const oldOk = await commitRun(ws.store, {
      createdAt: daysAgo(45),
      status: 'succeeded',
      events: logEvents(300),
    })
    const oldFailed = await commitRun(ws.store, { createdAt: daysAgo(40), status: 'failed' })
    const oldCanceled = await commitRun(ws.store, { createdAt: daysAgo(31), status: 'canceled' })
    // Old but not finished: a crashed process's run waits for `runs recover`, never for prune.
    const oldRunning = await commitRun(ws.store, { createdAt: daysAgo(90), status: 'running' })
    const oldPaused = await commitRun(ws.store, { createdAt: daysAgo(90), status: 'paused' })
    const recent = await commitRun(ws.store, { createdAt: daysAgo(2), status: 'succeeded' })

    const dry = await cli(['runs', 'prune', '--older-than', '30d', '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/dry run: would delete 3 succeeded\/failed\/canceled runs created before/)
    for (const id of [oldOk, oldFailed, oldCanceled]) expect(dry.stdout).toContain(id)

    const onlyFailed = await cli(['runs', 'prune', '--older-than', '4w', '--status', 'failed', '--json'])
    expect(onlyFailed.code, onlyFailed.stderr).toBe(0)
    const failedDoc = JSON.parse(onlyFailed.stdout) as PruneJson
    expect(failedDoc).toMatchObject({ deleted: 1, dryRun: false, statuses: ['failed'] })
    expect(failedDoc.runs.map((r) => r.id)).toEqual([oldFailed])

    const pruned = await cli(['runs', 'prune', '--older-than', '30d', '--batch-size', '1', '--json'])
    expect(pruned.code, pruned.stderr).toBe(0)
    const doc = JSON.parse(pruned.stdout) as PruneJson
    expect(doc.deleted).toBe(2)
    expect(doc.runs.map((r) => r.id).sort()).toEqual([oldOk, oldCanceled].sort())
    expect(Date.parse(doc.createdBefore)).toBeGreaterThan(Date.parse(daysAgo(30.01)))

    // Gone with their events; everything else is still there.
    const events = await cli(['runs', 'events', oldOk])
    expect(events.code).toBe(2)
    expect(events.stderr).toMatch(/run_not_found/)
    const left = JSON.parse((await cli(['runs', 'list', '--json'])).stdout) as { id: string }[]
    expect(left.map((r) => r.id).sort()).toEqual([oldRunning, oldPaused, recent].sort())

    const again = await cli(['runs', 'prune', '--older-than', '30d'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/no succeeded\/failed\/canceled runs created before/)
  })

  it('never prunes a run that is running, even with --older-than 0s', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    const cli = (args: string[]) => runCli(args, { cwd: ws.dir, env: ws.env })
    const finished = await cli(['run', 'diamond.yaml'])
    expect(finished.code, finished.stderr).toBe(0)
    const finishedId = /run (run_\w+) created/.exec(finished.stdout)![1]!

    const live = startCli(['run', 'hang.yaml'], { cwd: ws.dir, env: ws.env })
    const [, liveId] = await live.waitFor(/run (run_\w+) created/)
    await live.waitFor(/▶ stuck started/)

    const pruned = await cli(['runs', 'prune', '--older-than', '0s', '--json'])
    expect(pruned.code, pruned.stderr).toBe(0)
    expect((JSON.parse(pruned.stdout) as PruneJson).runs.map((r) => r.id)).toEqual([finishedId])

    // The live run is untouched and its process goes on writing to it.
    const shown = await cli(['runs', 'show', liveId!, '--json'])
    expect(shown.code, shown.stderr).toBe(0)
    expect(JSON.parse(shown.stdout).run.status).toBe('running')
    live.interrupt('SIGINT')
    const result = await live.result
    expect(result.code, result.stderr).toBe(130)
    const after = await cli(['runs', 'show', liveId!, '--json'])
    expect(JSON.parse(after.stdout).run.status).toBe('canceled')
  })

  it('refuses a bad duration, a live status and a missing --older-than with exit 2', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    for (const [args, message] of [
      [['--older-than', '30x'], /expected a duration such as 30d/],
      [['--older-than', '1.5h'], /expected a duration/],
      [['--older-than', '30d', '--status', 'running'], /only finished runs can be pruned/],
      [[], /required option '--older-than <duration>'/],
    ] as const) {
      const r = await runCli(['runs', 'prune', ...args], { cwd: ws.dir, env: ws.env })
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(message)
    }
  })
})

describe('durations', () => {
  it('reads s, m, h, d, w and their sums; refuses anything else', () => {
    expect(parseDuration('0s')).toBe(0)
    expect(parseDuration('45s')).toBe(45_000)
    expect(parseDuration('90m')).toBe(5_400_000)
    expect(parseDuration('12h')).toBe(43_200_000)
    expect(parseDuration('30d')).toBe(30 * DAY)
    expect(parseDuration('1w2d')).toBe(9 * DAY)
    for (const bad of ['', '30', 'd', '1.5h', '-1d', '3x', '1 d', '30days'])
      expect(parseDuration(bad)).toBeUndefined()
  })

  it('reads a time as ISO or as a duration ago, always as UTC ISO', () => {
    const now = Date.parse('2025-06-01T12:00:00.000Z')
    expect(timeArg('2h', () => now)).toBe('2025-06-01T10:00:00.000Z')
    expect(timeArg('2025-01-31')).toBe('2025-01-31T00:00:00.000Z')
    expect(timeArg('2025-01-31T12:00:00+02:00')).toBe('2025-01-31T10:00:00.000Z')
    for (const bad of ['yesterday', '2025', '1700000000000'])
      expect(() => timeArg(bad)).toThrow(/expected an ISO time/)
  })
})
