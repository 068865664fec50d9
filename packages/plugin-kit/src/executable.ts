import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path'

export interface FindExecutableOptions {
  /** What the user configured (`with.binary`): a path (relative to `cwd`) or a name on PATH. */
  explicit?: string
  /** Folders whose `node_modules/.bin` (theirs or any parent's) is searched, in order. */
  from?: (string | undefined)[]
  /** Resolves a relative `explicit`. Default `process.cwd()`. */
  cwd?: string
  /** Supplies PATH. Default `process.env`. */
  env?: Record<string, string | undefined>
}

export interface FoundExecutable {
  /** The executable, when one was found. */
  path?: string
  /** Every place looked at, in order, for the error message when none was. */
  tried: string[]
}

/**
 * Finds an agent CLI: the configured one, else `node_modules/.bin/<name>` from each of `from` up to
 * the root (the CLI pinned by the project or by the backend package), else `<name>` on PATH.
 * Only executable files count.
 */
export function findExecutable(name: string, options: FindExecutableOptions = {}): FoundExecutable {
  const env = options.env ?? process.env
  const file = process.platform === 'win32' ? `${name}.cmd` : name
  const { explicit } = options
  if (explicit !== undefined) {
    if (explicit.includes('/') || explicit.includes('\\')) {
      const path = isAbsolute(explicit) ? explicit : resolve(options.cwd ?? process.cwd(), explicit)
      return isExecutable(path) ? { path, tried: [path] } : { tried: [path] }
    }
    return onPath(explicit, env)
  }
  const tried: string[] = []
  const seen = new Set<string>()
  for (const start of options.from ?? []) {
    if (start === undefined) continue
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const path = join(dir, 'node_modules', '.bin', file)
      if (!seen.has(path)) {
        seen.add(path)
        tried.push(path)
        if (isExecutable(path)) return { path, tried }
      }
      if (dirname(dir) === dir) break
    }
  }
  const found = onPath(file, env)
  return { ...(found.path ? { path: found.path } : {}), tried: [...tried, ...found.tried] }
}

function onPath(name: string, env: Record<string, string | undefined>): FoundExecutable {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = join(dir, name)
    if (isExecutable(path)) return { path, tried: [`${name} on PATH`] }
  }
  return { tried: [`${name} on PATH`] }
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
