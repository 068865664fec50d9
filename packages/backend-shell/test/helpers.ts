import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Backend, BackendEvent, TaskContext, TaskResult } from '@weft/core'

export { delay as sleep, eventually, isAlive, processState } from '@weft/testing'

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
