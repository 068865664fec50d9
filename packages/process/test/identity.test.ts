import { type ChildProcess, spawn } from 'node:child_process'
import { execa } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import {
  endRecordedGroup,
  GroupRuns,
  groupExists,
  holdExitCleanup,
  processLiveness,
  processStartTime,
  readProcStat,
  recordedGroupState,
  selfIdentity,
} from '../src/index.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) {
    try {
      // A reaped leader's pid may lead another test's group by now (pids wrap): leave it alone.
      if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
})

/** `sh -c script` as the leader of its own group, with stdout piped. */
function group(script: string): ChildProcess {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
  children.push(child)
  return child
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('\n')) resolve(out.split('\n')[0]!)
    })
  })
}

describe.runIf(process.platform === 'linux')('process identity', () => {
  it('reads a start time that is stable for a process and differs between processes', () => {
    const self = selfIdentity()
    expect(self.startTime).toMatch(/^\d+$/)
    expect(processStartTime(process.pid)).toBe(self.startTime)
    const child = group('sleep 30')
    const other = processStartTime(child.pid!)
    expect(other).toMatch(/^\d+$/)
    expect(readProcStat(child.pid!)).toMatchObject({ pgrp: child.pid, startTime: other })
  })

  it('calls a pid dead when it is gone, a zombie, or reused by a process that started at another time', async () => {
    expect(processLiveness(selfIdentity())).toBe('alive')
    // Same pid, another start time: the pid was reused, the recorded process is dead.
    expect(processLiveness({ pid: process.pid, startTime: '1' })).toBe('dead')
    // A zombie still answers kill(pid, 0), yet it is dead: `sleep 0` is never reaped by the `sleep`
    // its shell exec'd into.
    const parent = group('sleep 0 & echo $!; exec sleep 30')
    const zombie = Number(await firstLine(parent))
    await until(() => readProcStat(zombie)?.state === 'Z')
    expect(() => process.kill(zombie, 0)).not.toThrow()
    expect(processLiveness({ pid: zombie })).toBe('dead')
    // Gone.
    const short = group('exit 0')
    const pid = short.pid!
    await new Promise((r) => short.on('exit', r))
    await until(() => readProcStat(pid) === undefined)
    expect(processLiveness({ pid })).toBe('dead')
  })

  it('ends a recorded group whose leader is the recorded one, and leaves a reused pid alone', async () => {
    const child = group('sleep 30 & sleep 30')
    const pid = child.pid!
    const startTime = processStartTime(pid)!
    await until(() => groupExists(pid))
    expect(recordedGroupState({ pid, pgid: pid, startTime: String(Number(startTime) + 1) })).toBe('not_ours')
    expect(await endRecordedGroup({ pid, pgid: pid, startTime: '1' })).toBe('not_ours')
    expect(groupExists(pid)).toBe(true)
    expect(recordedGroupState({ pid, pgid: pid })).toBe('unverified')
    expect(await endRecordedGroup({ pid, pgid: pid, startTime }, { graceMs: 2000 })).toBe('ended')
    expect(groupExists(pid)).toBe(false)
    expect(await endRecordedGroup({ pid, pgid: pid, startTime })).toBe('gone')
  })

  it('ends with the group what its leader started in a session of its own (setsid)', async () => {
    const child = group('setsid sleep 30 & echo $!; wait')
    const escaped = Number(await firstLine(child))
    const pid = child.pid!
    await until(() => readProcStat(escaped)?.pgrp === escaped)
    expect(await endRecordedGroup({ pid, pgid: pid, startTime: processStartTime(pid) })).toBe('ended')
    await until(() => {
      const s = readProcStat(escaped)
      return s === undefined || s.state === 'Z'
    })
  })

  it('ends what is left of a group whose leader already exited', async () => {
    const child = group('sleep 30 & echo $!')
    const member = Number(await firstLine(child))
    const pid = child.pid!
    const startTime = processStartTime(pid) ?? '0'
    await new Promise((r) => child.on('exit', r))
    await until(() => readProcStat(pid) === undefined)
    expect(readProcStat(member)?.pgrp).toBe(pid)
    expect(await endRecordedGroup({ pid, pgid: pid, startTime })).toBe('ended')
    expect(groupExists(pid)).toBe(false)
  })

  it('supervise reports the group it spawned through emit', async () => {
    const runs = new GroupRuns()
    const controller = new AbortController()
    const events: unknown[] = []
    const release = holdExitCleanup()
    const subprocess = execa('sh', ['-c', 'sleep 30'], { detached: true, reject: false, stdin: 'ignore' })
    const run = runs.supervise('a', subprocess, {
      signal: controller.signal,
      graceMs: 500,
      emit: (e) => events.push(e),
    })
    const pid = subprocess.pid!
    expect(events).toEqual([{ type: 'process', pid, pgid: pid, startTime: processStartTime(pid) }])
    controller.abort()
    await run.settled
    run.close()
    release()
    await until(() => !groupExists(pid))
  })
})
