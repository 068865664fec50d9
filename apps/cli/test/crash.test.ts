/**
 * Crash safety, with real processes: `weft run` and `weft runs recover` are killed with SIGKILL at
 * random moments, again and again, and recovery must finish every run without re-running work
 * that had completed. Set WEFT_CRASH_SEED to replay a failing schedule.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { replayEvents, type Store } from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliProcess, createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'

const LEASE_TTL_MS = 300
const TASKS = ['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3', 'c1', 'c2', 'd']

/** mulberry32: a small seeded generator, so a schedule can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function ledgerCounts(file: string): Record<string, number> {
  const counts: Record<string, number> = {}
  if (!existsSync(file)) return counts
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line) counts[line] = (counts[line] ?? 0) + 1
  return counts
}

/** Polls `check` until it holds (true) or the process exits first (false). */
async function waitUntil(p: CliProcess, check: () => Promise<boolean>): Promise<boolean> {
  let exited = false
  void p.result.then(() => {
    exited = true
  })
  for (;;) {
    if (await check()) return true
    if (exited) return false
    await sleep(15)
  }
}

async function exitedWithin(p: CliProcess, ms: number): Promise<boolean> {
  return Promise.race([p.result.then(() => true), sleep(ms).then(() => false)])
}

async function checkRun(store: Store, runId: string, context: string) {
  const summary = (await store.runs.get(runId))!
  expect(summary.status, context).toBe('succeeded')
  const tasks = await store.tasks.list(runId)
  expect(
    tasks.map((t) => t.status),
    context,
  ).toEqual(TASKS.map(() => 'succeeded'))
  const events = await store.events.read(runId, { limit: 100_000 })
  // Exactly-once completion: one task.succeeded per task in the whole log.
  for (const id of TASKS) {
    expect(
      events.filter((e) => e.type === 'task.succeeded' && e.taskId === id).length,
      `${context} ${id}`,
    ).toBe(1)
  }
  // The log is gapless and rebuilds the stored state.
  const replayed = replayEvents(events)
  expect(replayed.gapless, context).toBe(true)
  expect(replayed.status, context).toBe(summary.status)
  for (const t of tasks)
    expect(replayed.tasks[t.taskId], `${context} ${t.taskId}`).toMatchObject({
      status: t.status,
      attempt: t.attempt,
    })
  expect(summary.lastSeq, context).toBe(events.length)
}

describe('crash recovery through the CLI', () => {
  let ws: Workspace
  let env: NodeJS.ProcessEnv
  beforeAll(() => {
    ws = createWorkspace()
    env = { ...ws.env, WEFT_LEASE_TTL_MS: String(LEASE_TTL_MS) }
  })
  afterAll(() => ws.cleanup())

  it('survives 20+ SIGKILLs at random points: finished work is never redone, every task completes once', async () => {
    const seed = Number(process.env.WEFT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`crash test seed: ${seed} (replay with WEFT_CRASH_SEED=${seed})`)
    const rand = random(seed)
    const schedule: string[] = []
    const context = () => `seed ${seed}; schedule: ${schedule.join(', ')}`

    const store = createSqliteStore({ path: ws.store })
    await store.init()
    const known = new Set<string>()
    const runs: { runId: string; ledger: string; frozen: Record<string, number> }[] = []
    let kills = 0
    let current: (typeof runs)[number] | undefined
    let ledger = ''

    while (kills < 20 || current) {
      let proc: CliProcess
      if (!current) {
        ledger = join(ws.dir, `ledger-${runs.length + 1}-${Date.now()}.txt`)
        proc = startCli(['run', 'ledger.yaml', '--input', `ledger=${ledger}`, '--quiet'], {
          cwd: ws.dir,
          env,
          timeoutMs: 60_000,
        })
      } else {
        proc = startCli(['runs', 'recover', current.runId, '--quiet'], {
          cwd: ws.dir,
          env,
          timeoutMs: 60_000,
        })
      }
      // Kill at a random point of the real work, not of the process start: the delay counts from
      // the moment the process has done something in the store (created the run, or taken it
      // over), so a slow or loaded machine still gets kills in the middle of the work.
      const before = current ? (await store.runs.get(current.runId))!.lastSeq : 0
      const started = await waitUntil(proc, async () => {
        if (!current) return (await store.runs.list({ limit: 10 })).items.some((r) => !known.has(r.id))
        return ((await store.runs.get(current.runId))?.lastSeq ?? 0) > before
      })
      const delay = Math.round(rand() * 1500)
      const exited = !started || (await exitedWithin(proc, delay))
      if (!current) {
        // Which run did this `weft run` create (if it got that far)?
        const fresh = (await store.runs.list({ limit: 10 })).items.find((r) => !known.has(r.id))
        if (fresh) {
          known.add(fresh.id)
          current = { runId: fresh.id, ledger, frozen: {} }
          runs.push(current)
        }
      }
      if (exited) {
        const r = await proc.result
        expect(r.code, `${context()}\n${r.stderr}`).toBe(0)
        schedule.push(`exit@${delay}`)
        current = undefined
        continue
      }
      // Tasks that completed before the kill must never run again: freeze their ledger counts.
      if (current) {
        const done = (await store.tasks.list(current.runId)).filter((t) => t.status === 'succeeded')
        const counts = ledgerCounts(current.ledger)
        for (const t of done) current.frozen[t.taskId] ??= counts[t.taskId] ?? 0
      }
      proc.child.kill('SIGKILL')
      await proc.result
      kills++
      schedule.push(`kill@${delay}`)
      // The killed process's lease must expire before another process may take the run over.
      await sleep(LEASE_TTL_MS + 50)
      if (current && (await store.runs.get(current.runId))?.status === 'succeeded') current = undefined
    }

    await sleep(300) // shell tasks orphaned by SIGKILL finish their last append
    expect(kills).toBeGreaterThanOrEqual(20)
    expect(runs.length).toBeGreaterThan(0)
    for (const run of runs) {
      await checkRun(store, run.runId, context())
      const counts = ledgerCounts(run.ledger)
      for (const id of TASKS)
        expect(counts[id] ?? 0, `${context()} ${id} ran at least once`).toBeGreaterThanOrEqual(1)
      for (const [id, n] of Object.entries(run.frozen)) {
        expect(counts[id], `${context()}: ${id} had completed before a kill and ran again`).toBe(n)
      }
    }
    const frozen = runs.reduce((n, r) => n + Object.keys(r.frozen).length, 0)
    console.log(
      `crash test: ${kills} kills over ${runs.length} run(s), ${frozen} completed-before-a-kill checks; ${context()}`,
    )
    expect(frozen).toBeGreaterThan(0)
    await store.close()
  }, 240_000)

  it('`weft runs recover` tells what it resumed and skipped; a racing second recover is refused', async () => {
    const ledger = join(ws.dir, 'ledger-race.txt')
    // Slow tasks, so the run is still unfinished when the slower of the two recovers starts.
    const first = startCli(['run', 'ledger.yaml', '--input', `ledger=${ledger}`, '--input', 'pause=1'], {
      cwd: ws.dir,
      env,
      timeoutMs: 60_000,
    })
    const [, runId] = (await first.waitFor(/run (run_\w+) created/)) as RegExpMatchArray
    await first.waitFor(/✓ a\d succeeded/)
    first.child.kill('SIGKILL')
    await first.result
    await sleep(LEASE_TTL_MS + 50)

    const [one, two] = await Promise.all([
      runCli(['runs', 'recover', runId!], { cwd: ws.dir, env, timeoutMs: 60_000 }),
      runCli(['runs', 'recover', runId!], { cwd: ws.dir, env, timeoutMs: 60_000 }),
    ])
    const winner = one.code === 0 ? one : two
    const loser = one.code === 0 ? two : one
    expect(winner.code, winner.stderr).toBe(0)
    expect(winner.stderr).toMatch(
      new RegExp(`resumed run ${runId}.*kept \\d+ finished task\\(s\\), not run again: a\\d`),
    )
    expect(winner.stdout).toMatch(/succeeded/)
    expect(loser.code, loser.stderr).toBe(1)
    expect(loser.stderr).toMatch(/is owned by .* until/)

    const store = createSqliteStore({ path: ws.store })
    await checkRun(store, runId!, 'race')
    await store.close()
  }, 120_000)
})

describe('graceful stop and rerun through the CLI', () => {
  let ws: Workspace
  beforeAll(() => {
    ws = createWorkspace()
  })
  afterAll(() => ws.cleanup())

  it('SIGTERM hands the run over: finished tasks recorded, the rest interrupted, recover continues at once', async () => {
    const ledger = join(ws.dir, 'ledger-term.txt')
    // The default 15 s lease: recovery can only start at once if the stopped process released it.
    const proc = startCli(['run', 'ledger.yaml', '--input', `ledger=${ledger}`, '--input', 'pause=0.6'], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 60_000,
    })
    const [, runId] = (await proc.waitFor(/run (run_\w+) created/)) as RegExpMatchArray
    await proc.waitFor(/✓ a\d succeeded/)
    proc.child.kill('SIGTERM')
    const stopped = await proc.result
    expect(stopped.code, stopped.stderr).toBe(143)
    expect(stopped.stderr).toContain(`weft runs recover ${runId}`)

    const recovered = await runCli(['runs', 'recover', runId!], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 60_000,
    })
    expect(recovered.code, recovered.stderr).toBe(0)
    expect(recovered.stderr).toMatch(/resumed run .*kept \d+ finished task\(s\), not run again/)
    const store = createSqliteStore({ path: ws.store })
    await checkRun(store, runId!, 'sigterm')
    await store.close()
  }, 120_000)

  it('`weft runs rerun --from` reuses what came before and runs the rest', async () => {
    const ledger = join(ws.dir, 'ledger-rerun.txt')
    const first = await runCli(
      ['run', 'ledger.yaml', '--input', `ledger=${ledger}`, '--input', 'pause=0', '--json'],
      {
        cwd: ws.dir,
        env: ws.env,
      },
    )
    expect(first.code, first.stderr).toBe(0)
    const runId = (JSON.parse(first.stdout) as { id: string }).id
    const again = await runCli(['runs', 'rerun', runId, '--from', 'c1', '--json'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(again.code, again.stderr).toBe(0)
    const rerun = JSON.parse(again.stdout) as { id: string; status: string }
    expect(rerun.status).toBe('succeeded')
    // c1 and d ran again; everything else was reused from the first run.
    expect(ledgerCounts(ledger)).toEqual({
      a1: 1,
      a2: 1,
      a3: 1,
      a4: 1,
      b1: 1,
      b2: 1,
      b3: 1,
      c1: 2,
      c2: 1,
      d: 2,
    })
    const store = createSqliteStore({ path: ws.store })
    expect((await store.runs.getSpec(rerun.id))!.rerunOf).toEqual({ runId, from: 'c1' })
    const reused = (await store.events.read(rerun.id, { limit: 1000 })).filter(
      (e) => e.type === 'task.reused',
    )
    expect(reused.map((e) => e.taskId).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3', 'c2'])
    await store.close()
    const bad = await runCli(['runs', 'rerun', runId, '--from', 'nope'], { cwd: ws.dir, env: ws.env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("has no task 'nope'")
  }, 60_000)
})
