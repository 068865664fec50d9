/**
 * A crash must not strand a run, nor leave the crashed process's children running: with real
 * processes (`weft run` killed with SIGKILL), a real SQLite store and real shell tasks.
 *
 * The shell task below keeps a list of the pids of its attempts. Each attempt first records every
 * earlier attempt that is still alive (an overlap), then adds its own pid; the first attempt then
 * hangs (a `sleep` in its group), a later one finishes at once.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Store } from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliProcess, createWorkspace, runCli, startCli, type Workspace } from './helpers/cli.js'

const SCRIPT = [
  'd="$1"',
  'for p in $(cat "$d/pids" 2>/dev/null); do',
  '  s=$(cut -d" " -f3 "/proc/$p/stat" 2>/dev/null)',
  '  if [ -n "$s" ] && [ "$s" != Z ]; then echo "$p" >> "$d/overlaps"; fi',
  'done',
  'echo $$ >> "$d/pids"',
  'if [ -e "$d/first" ]; then echo finished; exit 0; fi',
  'touch "$d/first"',
  'sleep 300',
].join('\n')

const WORKFLOW = `weft: 1
name: stranded
inputs:
  dir: { type: string }
defaults: { backend: shell }
tasks:
  work:
    with:
      command: ["sh", "-c", ${JSON.stringify(SCRIPT)}, "work", "\${{ inputs.dir }}"]
`

/** The state letter of a process, undefined when it does not exist. */
function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

/** Pids of live (not zombie) processes in process group `pgid`. */
function liveMembers(pgid: number): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') found.push(Number(name))
    } catch {
      // It exited while we looked.
    }
  }
  return found
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(25)
  }
}

describe.runIf(process.platform === 'linux')('a crash strands no run and leaves no process behind', () => {
  let ws: Workspace
  let store: Store
  let n = 0
  beforeAll(async () => {
    ws = createWorkspace()
    writeFileSync(join(ws.dir, 'stranded.yaml'), WORKFLOW)
    store = createSqliteStore({ path: ws.store })
  })
  /** Groups the tests started; whatever a failing test left behind is killed at the end. */
  const leaders: { pgid: number; startTime: string | undefined }[] = []
  afterAll(async () => {
    for (const { pgid, startTime } of leaders) {
      // Only the group the test started: its leader is gone or still the same process.
      const now = startTimeOf(pgid)
      if (liveMembers(pgid).length === 0 || (now !== undefined && now !== startTime)) continue
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // Gone meanwhile.
      }
    }
    await store.close()
    ws.cleanup()
  })

  /**
   * Starts the workflow in `weft run` (or `--detach`), waits until its first attempt runs and its
   * process group is recorded, then kills the process that owns the run with SIGKILL.
   */
  async function crashWhileRunning(env: NodeJS.ProcessEnv, detach = false) {
    const dir = join(ws.dir, `case-${++n}`)
    mkdirSync(dir)
    const args = ['run', 'stranded.yaml', '--input', `dir=${dir}`, ...(detach ? ['--detach'] : [])]
    const proc: CliProcess = startCli(args, { cwd: ws.dir, env, timeoutMs: 120_000 })
    const [, runId] = (await proc.waitFor(/(run_\w+)/, 60_000)) as RegExpMatchArray
    await until(() => lines(join(dir, 'pids')).length === 1, 'the first attempt runs')
    const leader = Number(lines(join(dir, 'pids'))[0])
    leaders.push({ pgid: leader, startTime: startTimeOf(leader) })
    await until(async () => {
      const task = (await store.tasks.list(runId!)).find((t) => t.taskId === 'work')
      return (task?.processes ?? []).some((p) => p.pgid === leader)
    }, 'the attempt’s process group is recorded')
    // The process that owns the run: `weft run` itself, or the detached child it spawned.
    const owner = detach ? parentOf(leader) : proc.child.pid!
    if (detach) await proc.result
    process.kill(owner, 'SIGKILL')
    if (!detach) await proc.result
    await until(() => stateOf(owner) === undefined || stateOf(owner) === 'Z', 'the owner is dead')
    return { runId: runId!, dir, leader }
  }

  it('restarting within the lease after kill -9: `weft runs recover` takes the run at once', async () => {
    // A lease far longer than the test: only noticing that the owner died can free the run.
    const env = { ...ws.env, WEFT_LEASE_TTL_MS: '600000' }
    const { runId, dir } = await crashWhileRunning(env)
    const recovered = await runCli(['runs', 'recover', runId], { cwd: ws.dir, env, timeoutMs: 120_000 })
    expect(recovered.code, recovered.stderr).toBe(0)
    expect(recovered.stderr).toMatch(new RegExp(`resumed run ${runId}`))
    expect(recovered.stderr).not.toMatch(/is alive/)
    expect((await store.runs.get(runId))?.status).toBe('succeeded')
    expect(lines(join(dir, 'pids'))).toHaveLength(2)
  }, 180_000)

  it('`weft serve` started within the lease recovers the crashed run at start-up', async () => {
    const env = { ...ws.env, WEFT_LEASE_TTL_MS: '600000' }
    const { runId } = await crashWhileRunning(env)
    const server = startCli(['serve', '--port', '0'], { cwd: ws.dir, env, timeoutMs: 120_000 })
    try {
      await until(
        async () => (await store.runs.get(runId))?.status === 'succeeded',
        'the server finished the run',
      )
    } finally {
      server.interrupt('SIGTERM')
      await server.result
    }
  }, 180_000)

  it('`weft serve` keeps trying a run a live process held at its start-up, and takes it once that process dies', async () => {
    const env = { ...ws.env, WEFT_LEASE_TTL_MS: '600000' }
    const dir = join(ws.dir, `case-${++n}`)
    mkdirSync(dir)
    const owner = startCli(['run', 'stranded.yaml', '--input', `dir=${dir}`], {
      cwd: ws.dir,
      env,
      timeoutMs: 120_000,
    })
    const [, runId] = (await owner.waitFor(/(run_\w+)/, 60_000)) as RegExpMatchArray
    await until(() => lines(join(dir, 'pids')).length === 1, 'the first attempt runs')
    const leader = Number(lines(join(dir, 'pids'))[0])
    leaders.push({ pgid: leader, startTime: startTimeOf(leader) })
    await until(async () => {
      const task = (await store.tasks.list(runId!)).find((t) => t.taskId === 'work')
      return (task?.processes ?? []).some((p) => p.pgid === leader)
    }, 'the attempt’s process group is recorded')
    const server = startCli(['serve', '--port', '0'], { cwd: ws.dir, env, timeoutMs: 120_000 })
    try {
      // The server has done its start-up recovery (the run was owned by a live process) …
      await server.waitFor(/"outcome":"owned"/, 60_000)
      owner.child.kill('SIGKILL')
      await owner.result
      // … and takes the run over by itself once that process is dead.
      await until(
        async () => (await store.runs.get(runId!))?.status === 'succeeded',
        'the server finished the run',
      )
      expect(liveMembers(leader)).toEqual([])
    } finally {
      server.interrupt('SIGTERM')
      await server.result
    }
  }, 180_000)

  it('cancel of a run whose process was killed takes it and records it canceled', async () => {
    const env = { ...ws.env, WEFT_LEASE_TTL_MS: '600000' }
    const { runId, leader } = await crashWhileRunning(env)
    const canceled = await runCli(['runs', 'cancel', runId], { cwd: ws.dir, env, timeoutMs: 120_000 })
    expect(canceled.code, `${canceled.stdout}\n${canceled.stderr}`).toBe(0)
    const run = await store.runs.get(runId)
    expect(run?.status).toBe('canceled')
    const events = await store.events.read(runId, { limit: 1000 })
    expect(events.filter((e) => e.type === 'task.started')).toHaveLength(1)
    // The attempt the killed process left running was ended too.
    expect(liveMembers(leader)).toEqual([])
  }, 180_000)

  it('no overlapping attempts after kill -9: the old attempt is dead before the new one starts', async () => {
    // A short lease that has expired by the time of recovery: the lease alone would allow it.
    const env = { ...ws.env, WEFT_LEASE_TTL_MS: '300' }
    const { runId, dir, leader } = await crashWhileRunning(env)
    await sleep(600)
    const recovered = await runCli(['runs', 'recover', runId], { cwd: ws.dir, env, timeoutMs: 120_000 })
    expect(recovered.code, recovered.stderr).toBe(0)
    expect((await store.runs.get(runId))?.status).toBe('succeeded')
    expect(lines(join(dir, 'pids'))).toHaveLength(2)
    expect(
      lines(join(dir, 'overlaps')),
      'an earlier attempt was still alive when the next one started',
    ).toEqual([])
    expect(liveMembers(leader)).toEqual([])
  }, 180_000)

  it('no orphan: kill -9 of a detached run, then recovery, leaves nothing of the old attempt running', async () => {
    const env = { ...ws.env, WEFT_LEASE_TTL_MS: '600000' }
    const { runId, leader } = await crashWhileRunning(env, true)
    expect(liveMembers(leader).length).toBeGreaterThan(0) // the crash orphaned the attempt's group
    const recovered = await runCli(['runs', 'recover', runId], { cwd: ws.dir, env, timeoutMs: 120_000 })
    expect(recovered.code, recovered.stderr).toBe(0)
    expect((await store.runs.get(runId))?.status).toBe('succeeded')
    expect(liveMembers(leader)).toEqual([])
  }, 180_000)

  it('exits it can see end the children: SIGHUP (a closed terminal) to `weft run` leaves no group behind', async () => {
    const dir = join(ws.dir, `case-${++n}`)
    mkdirSync(dir)
    const proc = startCli(['run', 'stranded.yaml', '--input', `dir=${dir}`], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 120_000,
    })
    await until(() => lines(join(dir, 'pids')).length === 1, 'the first attempt runs')
    const leader = Number(lines(join(dir, 'pids'))[0])
    leaders.push({ pgid: leader, startTime: startTimeOf(leader) })
    await until(() => liveMembers(leader).length === 2, 'the attempt’s sleep runs')
    proc.child.kill('SIGHUP')
    await proc.result
    await until(() => liveMembers(leader).length === 0, 'the attempt’s group is gone')
  }, 180_000)
})
