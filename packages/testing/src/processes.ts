import { readdirSync, readFileSync } from 'node:fs'

/**
 * Helpers for tests of subprocess backends, read from /proc (Linux): whether the processes a
 * backend started are still there, stopped or gone.
 */

/** The one-letter state from /proc (R, S, T stopped, Z zombie), or undefined when it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

/**
 * Whether a process still runs. A zombie counts as ended: it has exited and only waits to be
 * reaped, and on machines whose init does not reap orphans (some containers) it stays a zombie.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return processState(pid) !== 'Z'
}

/** True while a process of the group `pgrp` still runs (zombies, which only wait to be reaped, do not). */
export function groupAlive(pgrp: number): boolean {
  return liveProcesses((pid, stat) => Number(stat[2]) === pgrp && pid > 0).length > 0
}

/** Pids of live processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  return liveProcesses((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle))
}

/**
 * Live processes (not this one) whose environment has `HOME=<home>`: a CLI and everything it
 * started, found through /proc when the backend does not expose their pids.
 */
export function processesWithHome(home: string): number[] {
  return liveProcesses(
    (pid) =>
      pid !== process.pid &&
      readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HOME=${home}`),
  )
}

/** Pids of processes that are neither zombies nor dead and match; `stat` are the fields after the name. */
function liveProcesses(match: (pid: number, stat: string[]) => boolean): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    try {
      const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const stat = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
      if (stat[0] === 'Z' || stat[0] === 'X') continue
      if (match(pid, stat)) found.push(pid)
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found
}

/**
 * Polls `check` (which may be async: a request to a server under test) until it gives a value (not
 * undefined or false), or fails naming `what`: a test waits on a condition, not a duration.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(25)
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
