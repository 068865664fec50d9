import { randomBytes } from 'node:crypto'
import { open, readFile, rm, stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { WeftError } from '@weft/core'
import { HOST, isProcessAlive } from './process.js'

/** What a lock file says about the process holding it. */
export interface LockHolder {
  pid: number
  host: string
  /** Tells this holding apart from a later one by the same process. */
  token: string
  since: string
  /** What the lock guards, for the person who finds the file. */
  purpose: string
}

export interface HeldLock {
  path: string
  token: string
  /**
   * The lock was left behind by a process that died while holding it, and was broken to get here:
   * whatever that process was writing may be unfinished, so the caller repairs before it writes.
   */
  brokeStale: boolean
}

export interface LockOptions {
  /** How long to wait for a live holder before giving up. */
  timeoutMs: number
  purpose: string
}

/** A holder writes its lock file right after creating it; an empty one older than this is a crash's. */
const UNWRITTEN_LOCK_GRACE_MS = 2000
/** Breaking a lock takes a few file operations; a break file older than this belongs to a dead breaker. */
const BREAK_GRACE_MS = 5000

type Observed =
  | { kind: 'gone' }
  | { kind: 'held'; holder: LockHolder }
  | { kind: 'unreadable'; ageMs: number }

/**
 * A lock that works across processes: the file is created with O_EXCL (`wx`), which exactly one
 * process wins, and removed on release. A process that dies while holding it leaves the file
 * behind; the next process that wants the lock sees that the recorded pid no longer runs on this
 * machine and breaks it. Breaking is itself guarded by a `.break` file (also O_EXCL), under which
 * the breaker reads the lock again and removes it only if it still names the dead holder, so two
 * processes breaking the same stale lock cannot remove a fresh one that a third took meanwhile.
 *
 * A holder on another machine (a shared network directory) is never judged dead: its pid means
 * nothing here. Then, as when a live holder keeps the lock past `timeoutMs`, the error names the
 * file so that a person can remove it.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const holder: LockHolder = {
    pid: process.pid,
    host: HOST,
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString(),
    purpose: options.purpose,
  }
  const content = `${JSON.stringify(holder)}\n`
  const deadline = Date.now() + options.timeoutMs
  let brokeStale = false
  let delayMs = 1
  for (;;) {
    if (await tryCreate(path, content)) return { path, token: holder.token, brokeStale }
    const seen = await observe(path)
    if (seen.kind === 'gone') continue
    if (isStale(seen)) {
      if (await breakStale(path, seen)) brokeStale = true
      continue
    }
    if (Date.now() >= deadline) throw lockTimeout(path, seen, options)
    // Backoff with jitter, so that waiting processes do not retry in lockstep.
    await sleep(delayMs / 2 + Math.random() * delayMs)
    delayMs = Math.min(delayMs * 2, 50)
  }
}

/** Removes the lock if this holding still owns it (it always should; a broken lock is left alone). */
export async function releaseLock(lock: HeldLock): Promise<void> {
  const seen = await observe(lock.path)
  if (seen.kind === 'held' && seen.holder.token === lock.token) await rm(lock.path, { force: true })
}

export async function withLock<T>(
  path: string,
  options: LockOptions,
  work: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(path, options)
  try {
    return await work(lock)
  } finally {
    await releaseLock(lock)
  }
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>>
  try {
    fh = await open(path, 'wx')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
  try {
    await fh.writeFile(content)
    await fh.close()
    return true
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(path, { force: true })
    throw err
  }
}

async function observe(path: string): Promise<Observed> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' }
    throw err
  }
  try {
    const holder = JSON.parse(text) as LockHolder
    if (typeof holder.pid === 'number' && typeof holder.token === 'string') return { kind: 'held', holder }
  } catch {
    // Empty or cut short: the holder is between creating and writing it, or died there.
  }
  try {
    return { kind: 'unreadable', ageMs: Date.now() - (await stat(path)).mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' }
    throw err
  }
}

function isStale(seen: Observed): boolean {
  if (seen.kind === 'unreadable') return seen.ageMs > UNWRITTEN_LOCK_GRACE_MS
  if (seen.kind === 'held') return seen.holder.host === HOST && !isProcessAlive(seen.holder.pid)
  return false
}

function sameHolding(a: Observed, b: Observed): boolean {
  if (a.kind === 'held' && b.kind === 'held') return a.holder.token === b.holder.token
  // An unreadable lock is only the same stale one if it is still old (a fresh one is a live writer's).
  return a.kind === 'unreadable' && b.kind === 'unreadable' && b.ageMs > UNWRITTEN_LOCK_GRACE_MS
}

/** Removes a stale lock unless someone else is already breaking it; true when this call removed it. */
async function breakStale(path: string, seen: Observed): Promise<boolean> {
  const breaker = `${path}.break`
  if (!(await tryCreate(breaker, `${JSON.stringify({ pid: process.pid, host: HOST })}\n`))) {
    // Another process is breaking it (then wait for it), or died doing so (then clear the way).
    try {
      if (Date.now() - (await stat(breaker)).mtimeMs > BREAK_GRACE_MS) await rm(breaker, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    await sleep(1)
    return false
  }
  try {
    if (!sameHolding(seen, await observe(path))) return false
    await rm(path, { force: true })
    return true
  } finally {
    await rm(breaker, { force: true })
  }
}

function lockTimeout(path: string, seen: Observed, options: LockOptions): WeftError {
  const who =
    seen.kind === 'held'
      ? `process ${seen.holder.pid} on ${seen.holder.host} has held it since ${seen.holder.since} (${seen.holder.purpose})`
      : 'its holder has not written its name into it'
  return new WeftError(
    'internal',
    `could not lock ${options.purpose} within ${options.timeoutMs} ms: ${who}`,
    {
      hint: `another process is writing to this store; if no such process runs any more, delete ${path}`,
      details: { lockFile: path, ...(seen.kind === 'held' ? { holder: { ...seen.holder } } : {}) },
    },
  )
}
