import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TaskRequest } from '@weft/core'
import { handMadeAttempt } from '@weft/testing'

export { delay, processesMentioning, processState } from '@weft/testing'

/** A hand-made attempt of the task `code` (see `handMadeAttempt`). */
export function attempt(partial: Partial<TaskRequest> = {}, workDir = process.cwd()) {
  return handMadeAttempt({ taskId: 'code', ...partial }, workDir)
}

/** A fresh HOME with a work directory inside, removed by `cleanup`. */
export function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'weft-codex-test-'))
  const home = join(root, 'home')
  const work = join(root, 'work')
  mkdirSync(home)
  mkdirSync(work)
  return { root, home, work, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}
