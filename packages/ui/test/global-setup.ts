/**
 * Before the browser tests: the page is built from the sources (so a fresh clone where only
 * `pnpm install` ran is enough), and Chromium must be there. No test is skipped without it: CI
 * installs Debian's `chromium` package (`.ci/run`), and a missing browser fails with how to get one.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import { chromiumPath } from './browser.js'

export default async function setup(): Promise<void> {
  const path = chromiumPath()
  if (!existsSync(path)) {
    throw new Error(
      `Chromium is not installed at ${path}: the browser tests of @weft/ui need it. ` +
        'Install it with `sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this), ' +
        'or set WEFT_CHROMIUM to a Chromium or Chrome binary.',
    )
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  // vitest sets NODE_ENV=test, which would give React's development build.
  const env = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', mode: 'production' })
  } finally {
    process.env.NODE_ENV = env
  }
}
