import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Commit, FullStore } from '@weft/core'
import { firstCommit } from '@weft/testing'
import { afterAll } from 'vitest'
import { createFsStore, type FsStoreOptions } from '../src/index.js'

/** A temp root for one test file, removed after it; `newDir()` names a store directory in it that does not exist yet. */
export function tempDirs(prefix: string): { root: string; newDir: () => string } {
  const root = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  let counter = 0
  return { root, newDir: () => join(root, `store-${++counter}`, 'nested') }
}

export { logNow as log } from '@weft/testing'

/** A first commit: spec, summary, task `a`, and three log events. */
export const createCommit = (runId: string, name = 'fs-test'): Commit => firstCommit(runId, name)

export async function openStore(dir: string, options: Omit<FsStoreOptions, 'dir'> = {}): Promise<FullStore> {
  const store = createFsStore({ dir, ...options })
  await store.init()
  return store
}

/** The lines of a JSONL file, parsed. */
export function jsonl(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8')
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}
