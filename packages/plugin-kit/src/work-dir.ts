import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { BackendError } from '@weft/spec'

/**
 * The directory a subprocess runs in: `with.cwd` resolved against the task's work dir, or the work
 * dir itself. Checked first, because spawn reports a missing cwd as ENOENT of the program, which
 * would blame the wrong thing.
 */
export function workingDirectory(workDir: string, cwd: string | undefined): string {
  const dir = cwd === undefined ? workDir : resolve(workDir, cwd)
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new BackendError('bad_options', `with.cwd: the directory ${dir} does not exist`, {
      retryable: false,
    })
  return dir
}
