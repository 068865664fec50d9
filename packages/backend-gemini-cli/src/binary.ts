import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

const NAME = process.platform === 'win32' ? 'gemini.cmd' : 'gemini'

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Where the `gemini` executable is: the explicit one, else `node_modules/.bin/gemini` of the task's
 * directory or of this process's, else the first on PATH. Undefined when none is found.
 */
export function resolveBinary(
  explicit: string | undefined,
  dirs: string[],
  env: Record<string, string | undefined>,
): { path?: string; tried: string[] } {
  if (explicit !== undefined) {
    const byPath = explicit.includes('/') || explicit.includes('\\')
    if (byPath) {
      const path = isAbsolute(explicit) ? explicit : resolve(dirs[0] ?? process.cwd(), explicit)
      return executable(path) ? { path, tried: [path] } : { tried: [path] }
    }
    return onPath(explicit, env)
  }
  const tried: string[] = []
  for (const dir of new Set(dirs)) {
    const path = join(dir, 'node_modules', '.bin', NAME)
    tried.push(path)
    if (executable(path)) return { path, tried }
  }
  const found = onPath(NAME, env)
  return { ...(found.path ? { path: found.path } : {}), tried: [...tried, ...found.tried] }
}

function onPath(name: string, env: Record<string, string | undefined>): { path?: string; tried: string[] } {
  const tried: string[] = []
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = join(dir, name)
    tried.push(path)
    if (executable(path)) return { path, tried }
  }
  return { tried: [`${name} on PATH`] }
}
