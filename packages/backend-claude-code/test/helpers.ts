import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BackendEvent, TaskRequest } from '@weft/core'
import { handMadeAttempt } from '@weft/testing'

export { delay, groupAlive, isAlive, processState } from '@weft/testing'

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

/** A hand-made attempt in a fresh working folder (see `handMadeAttempt`). */
export function attempt(partial: Partial<TaskRequest> = {}, workDir = tempDir('cwd')) {
  return handMadeAttempt(partial, workDir)
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
