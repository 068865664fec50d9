import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BackendEvent, TaskContext, TaskRequest } from '@weft/core'

let n = 0
const dirs: string[] = []

/** A fresh temp folder, removed by `cleanupDirs`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `weft-cc-${prefix}-`))
  dirs.push(dir)
  return dir
}

export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/**
 * The environment the real CLI runs with in the tests: its own HOME, the fake server as the
 * endpoint, and every retry, update and telemetry call off. IS_SANDBOX=1 lets bypassPermissions run
 * as root.
 */
export function cliEnv(serverUrl: string, home = tempDir('home')): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('ANTHROPIC_') && !k.startsWith('CLAUDE')) env[k] = v
  return {
    ...env,
    HOME: home,
    ANTHROPIC_BASE_URL: serverUrl,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    IS_SANDBOX: '1',
  }
}

/** A hand-made attempt: the request, a context whose events are collected, and its abort controller. */
export function attempt(partial: Partial<TaskRequest> = {}, workDir = tempDir('cwd')) {
  n += 1
  const events: BackendEvent[] = []
  const controller = new AbortController()
  const request: TaskRequest = {
    runId: `run_test_${n}`,
    taskId: 'ask',
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

/** The pid of the CLI, from the backend's "started … (pid N)" debug log. */
export function pidOf(events: BackendEvent[]): number | undefined {
  for (const e of events) {
    if (e.type !== 'log') continue
    const m = /^started .* \(pid (\d+)\)/.exec(e.message)
    if (m) return Number(m[1])
  }
  return undefined
}

/** False when the process is gone or a zombie (exited, not yet reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return processState(pid) !== 'Z'
}

export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

/** True while a process of the group `pgrp` still runs (zombies, which only wait to be reaped, do not). */
export function groupAlive(pgrp: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgrp && fields[0] !== 'Z' && fields[0] !== 'X') return true
    } catch {
      // gone meanwhile
    }
  }
  return false
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
