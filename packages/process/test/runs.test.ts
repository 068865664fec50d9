import { readdirSync } from 'node:fs'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import {
  DETACHED_SPAWN,
  descendants,
  eachLine,
  GroupRuns,
  groupExists,
  holdExitCleanup,
  readProcStat,
} from '../src/index.js'

const state = (pid: number): string | undefined => readProcStat(pid)?.state

/** The states of the live members of process group `pgid` (`T` stopped, `S` sleeping, …). */
function groupStates(pgid: number): string[] {
  const states: string[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    // Undefined when it exited while we looked.
    const stat = readProcStat(Number(name))
    if (stat?.pgrp === pgid && stat.state !== 'Z') states.push(stat.state)
  }
  return states
}

/**
 * Stopped: a member is stopped and none runs or sleeps. A shell that vforked its command waits in
 * `D` until the child execs, so when SIGSTOP lands between the vfork and the exec (it happens on a
 * loaded machine) the leader shows `D` and its child `T`: the group is stopped all the same.
 */
const stopped = (states: string[]) => states.includes('T') && states.every((s) => s === 'T' || s === 'D')
/** Going on: nothing in the group is stopped. */
const going = (states: string[]) => states.length > 0 && !states.includes('T')

/** Waits until the group's states satisfy `wanted`; says the states last seen. */
async function untilGroup(pgid: number, wanted: (states: string[]) => boolean, ms = 15_000): Promise<void> {
  let seen: string[] = []
  const check = () => {
    seen = groupStates(pgid)
    return wanted(seen)
  }
  await until(
    check,
    ms,
    () => `group ${pgid} to be ${wanted.name}; its members' states: ${seen.join(' ') || 'none'}`,
  )
}

async function until(check: () => boolean, ms = 15_000, what = () => 'the condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function start(script: string) {
  return execa('sh', ['-c', script], {
    detached: true,
    reject: false,
    stdin: 'ignore',
    forceKillAfterDelay: false,
  })
}

describe.runIf(process.platform === 'linux')('GroupRuns', () => {
  it('pauses and resumes a run by key, and a pause before the start stops it at once', async () => {
    const runs = new GroupRuns()
    const controller = new AbortController()
    runs.pause('a')
    const release = holdExitCleanup()
    const subprocess = start('sleep 30')
    const run = runs.supervise('a', subprocess, { signal: controller.signal, graceMs: 500 })
    const pid = subprocess.pid!
    await untilGroup(pid, stopped)
    runs.resume('a')
    await untilGroup(pid, going)
    runs.pause('a')
    await untilGroup(pid, stopped)
    controller.abort()
    const result = await run.settled
    expect(result?.isTerminated).toBe(true)
    expect(run.disposed).toBe(false)
    run.close()
    release()
    await until(() => !groupExists(pid))
  })

  it('stopAll ends every run and marks it disposed; tree mode reaches a setsid grandchild', async () => {
    const runs = new GroupRuns()
    const signal = new AbortController().signal
    const subprocess = start('setsid sleep 30 & wait')
    const run = runs.supervise('b', subprocess, { signal, graceMs: 500, tree: true })
    const pid = subprocess.pid!
    let escaped = 0
    await until(() => {
      escaped = descendants(pid).find((d) => d.pgrp !== pid)?.pid ?? 0
      return escaped !== 0
    })
    runs.stopAll()
    await run.settled
    await until(() => state(escaped) === undefined || state(escaped) === 'Z')
    expect(run.disposed).toBe(true)
    run.close()
    await until(() => !groupExists(pid))
  })

  it('run returns the result, reading lines as they come; a cancel and a dispose throw canceled', async () => {
    const runs = new GroupRuns()
    const seen: string[] = []
    const messages = { canceled: 'the test run was canceled', disposed: 'disposed while it ran' }
    const ok = await runs.run(
      'ok',
      () =>
        execa('sh', ['-c', 'echo one; echo two; echo err >&2'], {
          ...DETACHED_SPAWN,
          stdin: 'ignore',
          stdout: eachLine((line) => seen.push(line)),
          stderr: eachLine(() => {}, { keep: true }),
        }),
      { signal: new AbortController().signal, graceMs: 500, ...messages },
    )
    expect(ok.exitCode).toBe(0)
    expect(seen).toEqual(['one', 'two'])
    expect(ok.stdout).toBe('')
    expect(ok.stderr).toBe('err')

    const controller = new AbortController()
    const canceled = runs.run('c', () => start('sleep 30'), {
      signal: controller.signal,
      graceMs: 500,
      ...messages,
    })
    setTimeout(() => controller.abort(), 50)
    await expect(canceled).rejects.toMatchObject({ code: 'canceled', retryable: false })

    const disposed = runs.run('d', () => start('sleep 30'), {
      signal: new AbortController().signal,
      graceMs: 500,
      ...messages,
    })
    setTimeout(() => runs.stopAll(), 50)
    await expect(disposed).rejects.toMatchObject({ code: 'canceled', message: messages.disposed })
  })
})
