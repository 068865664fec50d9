/**
 * `kill -9` of `weft worker` processes at random moments during a 200-task run with 3 workers,
 * each restarted under its name at once. The tasks write a ledger themselves (a shell command
 * appending "task nonce" to a file, then printing the nonce): every task must have run (0 lost),
 * be recorded succeeded exactly once (0 completed twice), and its recorded output must be one of
 * its own ledger lines (the completion came from a real execution, not from a zombie's leftovers).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPostgresStore } from '@weft/storage-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, type Proc, psql, spawnWeft, weft } from './helpers/workers.js'

const TASKS = 200
const LEASE_MS = 1500
const KILLS = 20

describe('weft worker under kill -9', () => {
  const db = freshDatabase()
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-chaos-'))
  })
  afterAll(() => {
    db.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it(`loses no task and completes none twice through ${KILLS}+ kills of 3 workers`, {
    timeout: 175_000,
  }, async () => {
    const url = db.url()
    const ledger = join(dir, 'ledger.txt')
    writeFileSync(ledger, '')
    const lines = [`weft: 1`, `name: chaos`, `maxParallelism: 6`, `tasks:`]
    for (let i = 0; i < TASKS; i++) {
      const id = `t${String(i).padStart(3, '0')}`
      const secs = (0.5 + ((i * 37) % 50) / 100).toFixed(2)
      // The nonce names this execution: the shell's pid and the time in nanoseconds.
      const script = `sleep ${secs}; n=$$-$(date +%s%N); echo "${id} $n" >> '${ledger}'; echo "$n"`
      const needs = i >= 50 ? `, needs: [t${String(i - 50).padStart(3, '0')}]` : ''
      lines.push(
        `  ${id}: { backend: shell, with: { command: ["sh", "-c", ${JSON.stringify(script)}] }${needs} }`,
      )
    }
    writeFileSync(join(dir, 'chaos.yaml'), `${lines.join('\n')}\n`)
    const env = { WEFT_LEASE_TTL_MS: String(LEASE_MS), WEFT_TASK_LEASE_MS: String(LEASE_MS) }

    // Three workers at the same moment against the empty database: all come up (migrations lock).
    const names = ['w1', 'w2', 'w3']
    const start = (name: string) =>
      spawnWeft(
        ['worker', '--store', url, '--name', name, '--concurrency', '2', '--scan-ms', '300'],
        dir,
        env,
      )
    const workers = new Map<string, Proc>(names.map((n) => [n, start(n)]))
    await Promise.all([...workers.values()].map((w) => w.waitForErr(/: started:/, 60_000)))

    const run = await weft(['run', 'chaos.yaml', '--store', url, '--detach', '--json'], dir, env)
    expect(run.code, run.stderr).toBe(0)
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId

    const status = () => psql(`SELECT status FROM weft.runs WHERE id = '${runId}'`, url).trim()
    const kills: { name: string; at: number }[] = []
    const restarts: Proc[] = []
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const deadline = Date.now() + 150_000
    const progress = () =>
      `run ${runId} ${status()}, ${psql(`SELECT count(*) FROM weft.tasks WHERE run_id = '${runId}' AND status = 'succeeded'`, url).trim()} tasks succeeded, ${kills.length} kills\n` +
      [...workers].map(([n, w]) => `--- ${n}:\n${w.stderr().slice(-1500)}`).join('\n')
    for (;;) {
      const now = status()
      if (now === 'succeeded') break
      if (!['pending', 'running'].includes(now)) {
        const failed = psql(
          `SELECT task_id || ': ' || state FROM weft.tasks WHERE run_id = '${runId}' AND status IN ('failed', 'canceled', 'skipped') LIMIT 3`,
          url,
        )
        throw new Error(`run ${runId} ended ${now}:\n${failed}\n${progress()}`)
      }
      if (Date.now() > deadline) throw new Error(`no end in sight: ${progress()}`)
      if (process.env.WEFT_CHAOS_DEBUG)
        console.log(
          progress().split('\n')[0],
          names.filter((n) => /: started:/.test(workers.get(n)!.stderr())),
        )
      await sleep(800 + random() * 800)
      // Enough kills: the run then finishes in peace (the kills all landed mid-run).
      if (kills.length >= KILLS + 2) continue
      // A worker that is up (it said so), at random; restarted under its name at once.
      const up = names.filter((n) => /: started:/.test(workers.get(n)!.stderr()))
      if (up.length === 0) continue
      const name = up[Math.floor(random() * up.length)]!
      const victim = workers.get(name)!
      victim.child.kill('SIGKILL')
      await victim.exited
      kills.push({ name, at: Date.now() })
      const next = start(name)
      workers.set(name, next)
      restarts.push(next)
    }
    // Restarted under the same name right after the crash: each came up (the dead record taken over).
    await Promise.all(
      restarts.slice(-3).map((w) => w.waitForErr(/: started:/, 60_000).catch(() => undefined)),
    )
    for (const w of restarts) expect(w.stderr()).not.toMatch(/is running:/)
    for (const w of workers.values()) w.child.kill('SIGTERM')
    await Promise.all([...workers.values()].map((w) => w.exited))

    expect(kills.length).toBeGreaterThanOrEqual(KILLS)
    const store = createPostgresStore({ url })
    try {
      const events = await store.events.read(runId, { limit: 1_000_000 })
      // One log, gapless, whatever number of processes wrote to it.
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
      const succeeded = events.filter((e) => e.type === 'task.succeeded')
      const perTask = new Map<string, number>()
      for (const e of succeeded) perTask.set(e.taskId!, (perTask.get(e.taskId!) ?? 0) + 1)
      expect(perTask.size).toBe(TASKS)
      expect([...perTask.values()].filter((n) => n !== 1)).toEqual([])

      const ran = new Map<string, Set<string>>()
      for (const line of readFileSync(ledger, 'utf8').split('\n').filter(Boolean)) {
        const [task, nonce] = line.split(' ')
        if (!ran.has(task!)) ran.set(task!, new Set())
        ran.get(task!)!.add(nonce!)
      }
      const tasks = await store.tasks.list(runId)
      expect(tasks).toHaveLength(TASKS)
      for (const t of tasks) {
        expect(t.status).toBe('succeeded')
        // The recorded output is one of the task's own executions.
        expect(ran.get(t.taskId), t.taskId).toContain(String(t.text ?? '').trim())
      }
      const interrupted = events.filter((e) => e.type === 'task.interrupted')
      const recovered = events.filter((e) => e.type === 'run.recovered')
      // Recovery, from each kill: a killed worker's attempts are put back (task.interrupted) once
      // their lease expired and a sweep saw it, or at once when it restarts under its name; a killed
      // owner's run is taken over (run.recovered) by a live worker's next scan.
      const lastKillBefore = (name: string | undefined, at: number) =>
        kills.filter((k) => k.name === name && k.at <= at).at(-1)?.at
      const putBack: number[] = []
      for (const e of interrupted) {
        // Only attempts lost with their worker (a takeover interrupts the dead owner's attempts too).
        if (!/lease of worker|was restarted/.test(String((e.data as { reason?: string }).reason))) continue
        const at = Date.parse(e.ts)
        const heldBy = events
          .filter((c) => c.taskId === e.taskId && c.seq < e.seq && codeOf(c) === 'task.claimed')
          .at(-1)
        const killedAt = lastKillBefore(
          (heldBy?.data as { fields?: { worker?: string } } | undefined)?.fields?.worker,
          at,
        )
        if (killedAt !== undefined && at - killedAt < 30_000) putBack.push(at - killedAt)
      }
      const takenOver: number[] = []
      for (const e of recovered) {
        const at = Date.parse(e.ts)
        const killedAt = Math.max(...kills.filter((k) => k.at <= at).map((k) => k.at))
        if (Number.isFinite(killedAt)) takenOver.push(at - killedAt)
      }
      const stat = (xs: number[]) => {
        const v = [...xs].sort((a, b) => a - b)
        return v.length ? `p50 ${v[Math.floor(v.length / 2)]} ms, max ${v.at(-1)} ms` : '-'
      }
      const ranTwice = [...ran.values()].filter((s) => s.size > 1).length
      console.log(
        `chaos: ${kills.length} kills, ${TASKS} tasks succeeded once each, ${ranTwice} ran more than once (at-least-once), ` +
          `${interrupted.length} attempts lost and run again, ${recovered.length} takeovers of the run, ` +
          `kill → attempt put back ${stat(putBack)} (lease ${LEASE_MS} ms + sweep ${LEASE_MS / 2} ms), ` +
          `kill → run taken over ${stat(takenOver)}, ${events.length} events`,
      )
    } finally {
      await store.close()
    }
  })
})

function codeOf(e: { type: string; data: unknown }): string | undefined {
  return e.type === 'log' ? (e.data as { fields?: { code?: string } }).fields?.code : undefined
}
