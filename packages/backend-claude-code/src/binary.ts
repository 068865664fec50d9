import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BackendError } from '@weft/core'

export const INSTALL_HINT =
  'install it with `npm i -g @anthropic-ai/claude-code` (or add it to your project), ' +
  'or point with.binary at the claude executable'

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** `node_modules/.bin/claude` in `dir` or any folder above it. */
function fromNodeModules(dir: string): string | undefined {
  let current = resolve(dir)
  for (;;) {
    const candidate = join(current, 'node_modules', '.bin', 'claude')
    if (isExecutable(candidate)) return candidate
    const parent = dirname(current)
    if (parent === current) return undefined
    current = parent
  }
}

function fromPath(path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, process.platform === 'win32' ? 'claude.cmd' : 'claude')
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

/** The folder of this package (src/ or dist/ sits one level below it). */
function packageDir(): string | undefined {
  try {
    return dirname(dirname(fileURLToPath(import.meta.url)))
  } catch {
    return undefined
  }
}

/**
 * Finds the `claude` executable: the given one (a path, or a name looked up on PATH), else
 * `node_modules/.bin/claude` of this package or of the working directory, else `claude` on PATH.
 * Throws `not_installed` when there is none.
 */
export function resolveBinary(explicit: string | undefined, cwd: string, env: NodeJS.ProcessEnv): string {
  if (explicit !== undefined) {
    if (explicit.includes('/') || explicit.includes('\\')) {
      const path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit)
      if (isExecutable(path)) return path
      throw notInstalled(`the claude binary ${path} does not exist or is not executable`, path)
    }
    const named = (env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, explicit))
      .find(isExecutable)
    if (named) return named
    throw notInstalled(`'${explicit}' was not found on PATH`, explicit)
  }
  const own = packageDir()
  const found =
    (own ? fromNodeModules(own) : undefined) ??
    fromNodeModules(cwd) ??
    fromNodeModules(process.cwd()) ??
    fromPath(env.PATH)
  if (found) return found
  throw notInstalled('the Claude Code CLI (claude) is not installed: not in node_modules/.bin nor on PATH')
}

function notInstalled(message: string, binary = 'claude'): BackendError {
  return new BackendError('not_installed', message, {
    retryable: false,
    hint: INSTALL_HINT,
    details: { binary, package: '@anthropic-ai/claude-code' },
  })
}
