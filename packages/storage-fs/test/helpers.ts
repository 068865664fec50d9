import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Commit, FullStore } from '@weft/core'
import { afterAll } from 'vitest'
import { createFsStore, type FsStoreOptions } from '../src/index.js'

/** A temp root for one test file, removed after it; `newDir()` names a store directory in it that does not exist yet. */
export function tempDirs(prefix: string): { root: string; newDir: () => string } {
  const root = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  let counter = 0
  return { root, newDir: () => join(root, `store-${++counter}`, 'nested') }
}

export const log = (message: string, ts = new Date().toISOString()): Commit['events'][number] => ({
  type: 'log',
  ts,
  data: { message },
})

/** A first commit: spec, summary, task `a`, and three log events. */
export function createCommit(runId: string, name = 'fs-test'): Commit {
  const now = new Date().toISOString()
  return {
    runId,
    create: {
      spec: {
        workflow: { weft: 1, name, tasks: { a: { prompt: 'a' } } },
        inputs: {},
        initiator: 'code',
        tags: ['t'],
      },
    },
    run: {
      id: runId,
      name,
      status: 'pending',
      health: 'ok',
      initiator: 'code',
      tags: ['t'],
      createdAt: now,
      updatedAt: now,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      taskCounts: {
        pending: 1,
        queued: 0,
        running: 0,
        retrying: 0,
        waiting: 0,
        succeeded: 0,
        failed: 0,
        canceled: 0,
        skipped: 0,
        total: 1,
      },
      diagnostics: [],
      lastSeq: 0,
    },
    tasks: [{ runId, taskId: 'a', status: 'pending', attempt: 0, priority: 50, order: 0, needs: [] }],
    events: [log('one'), log('two'), log('three')],
  }
}

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
