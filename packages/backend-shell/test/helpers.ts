import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Backend, BackendEvent, TaskContext, TaskResult } from '@weft/core'

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

/** The one-letter state from /proc (R, S, T stopped, Z zombie), or undefined when it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

export async function eventually<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-shell-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

let n = 0

/** Calls `execute` the way the runtime does, with a context of our own. */
export function start(backend: Backend, options: Record<string, unknown>, workDir = process.cwd()) {
  const events: (BackendEvent & { at: number })[] = []
  const controller = new AbortController()
  const noop = () => {}
  const ctx: TaskContext = {
    runId: `run_test_${++n}`,
    taskId: 'cmd',
    attempt: 1,
    signal: controller.signal,
    emit: (e) => events.push({ ...e, at: Date.now() }),
    log: { debug: noop, info: noop, warn: noop, error: noop },
    workDir,
  }
  const result: Promise<TaskResult> = backend.execute(
    { runId: ctx.runId, taskId: 'cmd', attempt: 1, options: options as never, upstream: {} },
    ctx,
  )
  // Tests look at rejections themselves; keep the unhandled-rejection tracker quiet meanwhile.
  result.catch(() => {})
  return { ctx, events, controller, result }
}
