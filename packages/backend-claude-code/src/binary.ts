import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findExecutable } from '@weft/plugin-kit'
import { BackendError } from '@weft/spec'

export const INSTALL_HINT =
  'install it with `npm i -g @anthropic-ai/claude-code` (or add it to your project), ' +
  'or point with.binary at the claude executable'

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
  const found = findExecutable('claude', { explicit, cwd, env, from: [packageDir(), cwd, process.cwd()] })
  if (found.path) return found.path
  if (explicit === undefined)
    throw notInstalled('the Claude Code CLI (claude) is not installed: not in node_modules/.bin nor on PATH')
  if (explicit.includes('/') || explicit.includes('\\'))
    throw notInstalled(
      `the claude binary ${found.tried[0]} does not exist or is not executable`,
      found.tried[0],
    )
  throw notInstalled(`'${explicit}' was not found on PATH`, explicit)
}

function notInstalled(message: string, binary = 'claude'): BackendError {
  return new BackendError('not_installed', message, {
    retryable: false,
    hint: INSTALL_HINT,
    details: { binary, package: '@anthropic-ai/claude-code' },
  })
}
