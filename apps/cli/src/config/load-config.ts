import { access, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WeftError } from '@weft/core'
import { parse as parseYaml } from 'yaml'
import { type WeftConfig, WeftConfigSchema } from './weft-config.js'

export const CONFIG_FILE_NAMES = [
  'weft.config.json',
  'weft.config.yaml',
  'weft.config.yml',
  'weft.config.js',
  'weft.config.mjs',
]

/** Finds the config file in `dir` or its parents. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  let current = resolve(dir)
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(current, name)
      try {
        await access(candidate)
        return candidate
      } catch {
        /* not here */
      }
    }
    const parent = dirname(current)
    if (parent === current) return undefined
    current = parent
  }
}

/** Reads and checks a config file; `config_invalid` names the file, the key and what is allowed. */
export async function loadConfig(file: string): Promise<WeftConfig> {
  let raw: unknown
  try {
    if (/\.(m?js)$/.test(file)) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
      raw = mod.config ?? mod.default
    } else {
      const text = await readFile(file, 'utf8')
      // logLevel 'error': the yaml library would print its warnings itself (on `weft serve`'s log).
      raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { logLevel: 'error' })
    }
  } catch (err) {
    throw new WeftError('config_invalid', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  const parsed = WeftConfigSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new WeftError('config_invalid', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      hint: `allowed keys: ${Object.keys(WeftConfigSchema.shape).join(', ')}`,
    })
  }
  return parsed.data
}
