import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export {
  backendFailure as failure,
  eventually,
  handMadeAttempt as attempt,
  processesWithHome,
  processState,
} from '@weft/testing'

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
