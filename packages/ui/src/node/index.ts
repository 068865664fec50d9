import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The folder of the built page (`index.html` and `assets/`), which `@weft/server` serves at `/`.
 * This file runs from `src/node/` (in the repository) or `dist/node/` (published): both sit two
 * levels below the package, so the page is found in the same place either way.
 */
export function uiAssetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'app')
}

/** Whether the page has been built (`pnpm build`, or `pnpm --filter @weft/ui build:app`). */
export function uiIsBuilt(dir: string = uiAssetsDir()): boolean {
  return existsSync(join(dir, 'index.html'))
}
