import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BackendEvent, TaskContext, TaskRequest } from '@weft/core'

let n = 0

/** A hand-made attempt: the request, a context whose events are collected, and its abort controller. */
export function attempt(partial: Partial<TaskRequest> = {}, workDir = process.cwd()) {
  n += 1
  const events: BackendEvent[] = []
  const controller = new AbortController()
  const request: TaskRequest = {
    runId: `run_test_${n}`,
    taskId: 'code',
    attempt: 1,
    prompt: 'Say hello',
    options: {},
    upstream: {},
    ...partial,
  }
  const log = () => () => undefined
  const ctx: TaskContext = {
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt,
    signal: controller.signal,
    emit: (event) => events.push(event),
    log: { debug: log(), info: log(), warn: log(), error: log() },
    workDir,
  }
  return { request, ctx, events, controller }
}

/** A fresh HOME with a work directory inside, removed by `cleanup`. */
export function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'weft-codex-test-'))
  const home = join(root, 'home')
  const work = join(root, 'work')
  mkdirSync(home)
  mkdirSync(work)
  return { root, home, work, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

/** Pids of live (non-zombie) processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (!cmdline.includes(needle)) continue
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] === 'Z') continue
      found.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return found
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

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
