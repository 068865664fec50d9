/**
 * Who a pid is. A pid alone does not name a process: once it exits, the kernel may give the same
 * number to another one, and a killed process lingers as a zombie (still answering `kill(pid, 0)`)
 * until its parent reaps it, which can take seconds in a container. On Linux, the start time in
 * /proc/<pid>/stat (clock ticks since boot) tells a reused pid apart, and the state tells a zombie.
 */
import { readFileSync } from 'node:fs'

/** A process as recorded when it started: its pid and, where the system tells, its start time. */
export interface ProcessIdentity {
  pid: number
  /** From `processStartTime`; absent where it cannot be read (not Linux, or it already exited). */
  startTime?: string
}

/** The fields of /proc/<pid>/stat that weft uses. */
export interface ProcStat {
  /** R running, S sleeping, D disk sleep, T stopped, Z zombie, X dead, … */
  state: string
  ppid: number
  pgrp: number
  session: number
  /** Field 22, `starttime`: clock ticks after boot. Stable for the life of the process. */
  startTime: string
}

const hasProc = process.platform === 'linux'

/** Reads /proc/<pid>/stat (Linux); undefined when the process does not exist or it is not Linux. */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!hasProc || !Number.isInteger(pid) || pid <= 0) return undefined
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    startTime: fields[19]!,
  }
}

/** The process's start time (Linux: clock ticks since boot, as text); undefined elsewhere or when gone. */
export function processStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.startTime
}

/** This process's own identity. */
export function selfIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid)
  return { pid: process.pid, ...(startTime ? { startTime } : {}) }
}

/**
 * Whether the process named by `identity` still runs on this host:
 * - `dead`: the pid is gone, is a zombie (or dying), or now belongs to a process that started at
 *   another time (the pid was reused);
 * - `alive`: it exists, and its start time matches (or none was recorded to compare);
 * Only meaningful on the host where the process ran: callers compare host names first.
 */
export function processLiveness(identity: ProcessIdentity): 'alive' | 'dead' {
  if (hasProc) {
    const stat = readProcStat(identity.pid)
    if (!stat) return existsBySignal(identity.pid) ? 'alive' : 'dead'
    if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return 'dead'
    if (identity.startTime !== undefined && stat.startTime !== identity.startTime) return 'dead'
    return 'alive'
  }
  return existsBySignal(identity.pid) ? 'alive' : 'dead'
}

/** `kill(pid, 0)`: true when the pid exists (EPERM: it exists but belongs to another user). */
function existsBySignal(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
