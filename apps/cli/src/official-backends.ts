import type { WeftPlugin } from '@weft/core'

/**
 * The backends weft publishes. The `weft` command uses each one that is installed next to it,
 * without configuration; a missing one is simply absent (validation then names the package to
 * install). Others come from `plugins:` in weft.config.
 */
export const OFFICIAL_BACKEND_PACKAGES = [
  '@weft/backend-claude-code',
  '@weft/backend-gemini-cli',
  '@weft/backend-codex',
  '@weft/backend-openai',
  '@weft/backend-anthropic',
] as const

export async function loadOfficialBackends(): Promise<WeftPlugin[]> {
  const plugins: WeftPlugin[] = []
  for (const name of OFFICIAL_BACKEND_PACKAGES) {
    try {
      const mod = (await import(name)) as { plugin?: WeftPlugin }
      if (mod.plugin) plugins.push(mod.plugin)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // Not installed is normal; a package that is installed but broken is worth saying.
      if (code !== 'ERR_MODULE_NOT_FOUND' || !String((err as Error).message).includes(name)) throw err
    }
  }
  return plugins
}
