import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BackendEvent, TaskContext, TaskRequest } from '@weft/core'
import { isBackendError } from '@weft/core'
import { expect } from 'vitest'

/** The pinned CLI of this package (devDependency `@google/gemini-cli`). */
export const GEMINI_BIN = resolve(import.meta.dirname, '..', 'node_modules', '.bin', 'gemini')
export const MODEL = 'gemini-2.5-flash'

/**
 * A fresh HOME whose settings select API-key auth and turn off retries, telemetry and updates,
 * a working folder, and the environment that points the CLI at the fake server.
 */
export function geminiSandbox(serverUrl: string) {
  const root = mkdtempSync(join(tmpdir(), 'weft-gemini-'))
  const home = join(root, 'home')
  const work = join(root, 'work')
  const tmp = join(root, 'tmp')
  for (const dir of [join(home, '.gemini'), work, tmp]) mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: {
        maxAttempts: 1,
        retryFetchErrors: false,
        enableAutoUpdate: false,
        enableAutoUpdateNotification: false,
      },
      privacy: { usageStatisticsEnabled: false },
    }),
  )
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: tmp,
    GOOGLE_GEMINI_BASE_URL: serverUrl,
    GEMINI_API_KEY: 'test-key',
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
    NO_COLOR: '1',
  }
  return { root, home, work, env, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

let n = 0

/** A hand-made attempt: the request, a context whose events are collected, and its abort controller. */
export function attempt(partial: Partial<TaskRequest> = {}, workDir = process.cwd()) {
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

export async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(isBackendError(error), String(error)).toBe(true)
  return error as { code: string; retryable: boolean; message: string; hint?: string; exitCode?: number }
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

/**
 * Live processes (not zombies) whose environment has `HOME=<home>`: the CLI and everything it
 * started, found through /proc since the backend does not expose its pids.
 */
export function processesWithHome(home: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
      if (environ.includes(`HOME=${home}`) && processState(pid) !== 'Z') pids.push(pid)
    } catch {
      // Gone, or not ours.
    }
  }
  return pids
}

export async function eventually<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
