import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { descendants, GroupRuns, groupExists, holdExitCleanup } from '../src/index.js'

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
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
    await until(() => state(pid) === 'T')
    runs.resume('a')
    await until(() => state(pid) === 'S')
    runs.pause('a')
    await until(() => state(pid) === 'T')
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
})
