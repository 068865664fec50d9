/**
 * Process groups: every command runs as the leader of its own group (spawned `detached`), so one
 * signal to the group reaches the command and everything it started (`sh -c 'a & b'`). That is
 * how cancel, timeouts and pause reach grandchildren, which signalling the child alone never does.
 * POSIX only; on Windows the helpers fall back to the single process.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { onExit } from 'signal-exit'

const isWindows = process.platform === 'win32'

/**
 * Sends a signal to the whole group led by `pid`. Returns false when the group no longer exists.
 * The group id is the leader's pid, and stays valid while any member lives, even after the leader
 * itself exited.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(isWindows ? pid : -pid, signal)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    // EPERM: a member changed its user; nothing this process can do about it.
    return false
  }
}

/**
 * True while the group has a member that still runs. Zombies do not count: a member that was
 * reparented to an init that is slow to reap (containers) would otherwise look alive for long.
 */
export function groupExists(pid: number): boolean {
  if (!signalGroup(pid, 0)) return false
  if (process.platform !== 'linux') return true
  return liveMembers(pid)
}

function liveMembers(pgrp: number): boolean {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return true
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgrp && fields[0] !== 'Z' && fields[0] !== 'X') return true
    } catch {
      // It exited while we looked.
    }
  }
  return false
}

/** Groups that are alive and owned by this process, killed if this process exits first. */
const live = new Set<number>()
/** Commands about to start: the exit handler must be in place before their group exists. */
let holds = 0
let removeExitHandler: (() => void) | undefined

function installExitHandler(): void {
  // signal-exit re-raises the signal after the handlers ran, so the default exit behaviour stays.
  removeExitHandler ??= onExit(() => {
    for (const group of live) signalGroup(group, 'SIGKILL')
  })
}

function removeExitHandlerWhenIdle(): void {
  if (live.size > 0 || holds > 0 || !removeExitHandler) return
  removeExitHandler()
  removeExitHandler = undefined
}

/**
 * Installs the exit handler before a command is spawned, and keeps it until the returned release
 * is called. Signals reach JavaScript only between ticks, so with the handler in place before the
 * spawn and `trackGroup` in the same tick after it, no signal can slip between the two.
 */
export function holdExitCleanup(): () => void {
  holds++
  installExitHandler()
  let released = false
  return () => {
    if (released) return
    released = true
    holds--
    removeExitHandlerWhenIdle()
  }
}

/**
 * Remembers a group so it is killed when this process exits, on `exit` or on a fatal signal.
 * Detached children are exactly the ones execa's own `cleanup` skips, so weft must do it here.
 */
export function trackGroup(pid: number): void {
  live.add(pid)
  installExitHandler()
}

export function untrackGroup(pid: number): void {
  live.delete(pid)
  removeExitHandlerWhenIdle()
}

/**
 * Ends a group politely, then firmly: SIGTERM (and SIGCONT, since a stopped process only acts on
 * SIGTERM once it runs again), then SIGKILL to whatever is left after `graceMs`. Resolves when the
 * group is gone or SIGKILL was sent. Members that exit leave zombies until their parent reaps them,
 * and those still count as members; SIGKILL to them is harmless.
 */
export async function terminateGroup(pid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return untrackGroup(pid)
  signalGroup(pid, 'SIGCONT')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    await wait(Math.min(50, Math.max(1, deadline - Date.now())))
    if (!groupExists(pid)) return untrackGroup(pid)
  }
  signalGroup(pid, 'SIGKILL')
  untrackGroup(pid)
}

/**
 * Every process below `root`, with its process group, read from /proc (Linux; elsewhere none).
 * Claude Code starts each Bash tool with `setsid`, so a tool runs in a session and group of its
 * own, out of reach of a signal to the CLI's group: cancel has to find it by ancestry.
 */
export function descendants(root: number): { pid: number; pgrp: number }[] {
  if (process.platform !== 'linux') return []
  const children = new Map<number, { pid: number; pgrp: number }[]>()
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ppid = Number(fields[1])
      const list = children.get(ppid) ?? []
      list.push({ pid: Number(name), pgrp: Number(fields[2]) })
      children.set(ppid, list)
    } catch {
      // It exited while we looked.
    }
  }
  const found: { pid: number; pgrp: number }[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child.pid)
    }
  }
  return found
}

function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * Like `terminateGroup`, and also ends the processes below the leader that left its group
 * (setsid): the group is frozen (SIGSTOP) so it starts nothing new, its tree is read, and then
 * every group found gets SIGTERM, and SIGKILL after `graceMs` if it is still there.
 */
export async function terminateTree(pid: number, graceMs: number): Promise<void> {
  if (isWindows) return terminateGroup(pid, graceMs)
  signalGroup(pid, 'SIGSTOP')
  const groups = new Set<number>()
  const singles = new Set<number>()
  for (const d of descendants(pid)) {
    if (d.pgrp === pid) continue
    if (d.pgrp === d.pid) groups.add(d.pgrp)
    else singles.add(d.pid)
  }
  for (const g of groups) {
    signalGroup(g, 'SIGTERM')
    signalGroup(g, 'SIGCONT')
  }
  for (const p of singles) {
    signalPid(p, 'SIGTERM')
    signalPid(p, 'SIGCONT')
  }
  const others = terminateGroup(pid, graceMs)
  const deadline = Date.now() + graceMs
  const alive = () => [...groups].some((g) => groupExists(g)) || [...singles].some((p) => signalPid(p, 0))
  while (alive() && Date.now() < deadline) await wait(50)
  for (const g of groups) signalGroup(g, 'SIGKILL')
  for (const p of singles) signalPid(p, 'SIGKILL')
  await others
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
