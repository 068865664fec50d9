import { type ChildProcess, spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import {
  abortError,
  descendants,
  groupExists,
  holdExitCleanup,
  readProcStat,
  signalGroup,
  terminateGroup,
  terminateTree,
  trackGroup,
  untrackGroup,
} from '../src/index.js'

const linux = process.platform === 'linux'
const children: ChildProcess[] = []

/** Starts `sh -c script` as the leader of its own process group. */
function group(script: string): number {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' })
  children.push(child)
  if (child.pid === undefined) throw new Error('spawn failed')
  return child.pid
}

const state = (pid: number): string | undefined => readProcStat(pid)?.state

function alive(pid: number): boolean {
  const s = state(pid)
  return s !== undefined && s !== 'Z' && s !== 'X'
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

afterEach(() => {
  // Only groups whose leader Node has not reaped: a reaped leader's pid may already lead another
  // test's group (pids wrap at 32768 on these machines), and a stale kill would end that one.
  for (const c of children.splice(0))
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) signalGroup(c.pid, 'SIGKILL')
})

describe.runIf(linux)('process groups', () => {
  it('terminateGroup ends the leader and the children it started', async () => {
    const pid = group('sleep 30 & sleep 30 & wait')
    await until(() => descendants(pid).length >= 2)
    const kids = descendants(pid).map((d) => d.pid)
    expect(groupExists(pid)).toBe(true)
    await terminateGroup(pid, 2000)
    await until(() => !groupExists(pid))
    for (const k of kids) await until(() => !alive(k))
  })

  it('terminateGroup sends SIGKILL after the grace when SIGTERM is ignored', async () => {
    const pid = group("trap '' TERM; while :; do sleep 0.05; done")
    // A `sleep` child means the trap line has run: signalling earlier would kill the shell at once.
    await until(() => descendants(pid).length >= 1)
    const started = Date.now()
    await terminateGroup(pid, 300)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await until(() => !groupExists(pid))
  })

  it('terminateTree also ends a grandchild that left the group with setsid', async () => {
    const pid = group('setsid sleep 30 & sleep 30 & wait')
    let escaped: { pid: number; pgrp: number } | undefined
    await until(() => {
      escaped = descendants(pid).find((d) => d.pgrp !== pid)
      return escaped !== undefined && descendants(pid).length >= 2
    })
    const other = escaped!
    expect(other.pgrp).not.toBe(pid)
    // A signal to the leader's group alone would leave it running.
    await terminateTree(pid, 2000)
    await until(() => !groupExists(pid))
    await until(() => !alive(other.pid))
    expect(groupExists(other.pgrp)).toBe(false)
  })

  it('pauses and resumes a group (state T in /proc)', async () => {
    const pid = group('sleep 30 & wait')
    let kid = 0
    await until(() => {
      kid = descendants(pid)[0]?.pid ?? 0
      return kid !== 0
    })
    expect(signalGroup(pid, 'SIGSTOP')).toBe(true)
    await until(() => state(pid) === 'T' && state(kid) === 'T')
    expect(groupExists(pid)).toBe(true)
    expect(signalGroup(pid, 'SIGCONT')).toBe(true)
    await until(() => state(pid) === 'S' && state(kid) === 'S')
    await terminateGroup(pid, 1000)
  })

  it('does not count zombies as live members of a group', async () => {
    // The setsid'd child exits at once; its parent (exec'd sleep) never reaps it: a zombie whose
    // group exists for kill(2) but has nothing running in it.
    const pid = group('(exec setsid sh -c "exit 0") & exec sleep 30')
    let zombie = 0
    await until(() => {
      const z = descendants(pid).find((d) => state(d.pid) === 'Z')
      zombie = z?.pid ?? 0
      return zombie !== 0
    })
    expect(signalGroup(zombie, 0)).toBe(true)
    expect(groupExists(zombie)).toBe(false)
    expect(groupExists(pid)).toBe(true)
    await terminateGroup(pid, 1000)
    await until(() => !groupExists(pid))
  })

  it('signalGroup and groupExists say false for a group that is gone', async () => {
    const pid = group('exit 0')
    const child = children[children.length - 1]!
    // Until Node reaps the leader it is a zombie: not alive, though kill(2) still finds it.
    await until(() => !groupExists(pid))
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r))
    expect(groupExists(pid)).toBe(false)
    expect(signalGroup(pid, 'SIGTERM')).toBe(false)
    await terminateGroup(pid, 100)
    await terminateTree(pid, 100)
  })

  it('tracks and untracks groups, with holds, without throwing', () => {
    const release = holdExitCleanup()
    const pid = group('sleep 30')
    trackGroup(pid)
    untrackGroup(pid)
    release()
    release()
  })
})

describe('abortError', () => {
  it('maps a timeout reason to timeout and anything else to canceled', () => {
    const timeout = new AbortController()
    timeout.abort({ kind: 'timeout', message: 'took too long' })
    expect(abortError(timeout.signal)).toMatchObject({ code: 'timeout', message: 'took too long' })
    const cancel = new AbortController()
    cancel.abort({ kind: 'cancel' })
    const err = abortError(cancel.signal, 'the Codex run was canceled')
    expect(err).toMatchObject({ code: 'canceled', message: 'the Codex run was canceled', retryable: false })
    expect(abortError(cancel.signal).message).toBe('the task was canceled')
  })
})
