import { readdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Json, MemoryEntry, MemoryStore } from '@weft/core'
import { type Durability, fsyncDir, writeFileAtomic } from './atomic.js'
import { pretty } from './format.js'
import { isSafeRunId, type Layout, type RunPaths } from './layout.js'
import { type MemoryBatch, type PendingCommit, pendingText, readJson, type StoredMeta } from './run-files.js'

/**
 * Memory is one JSON file per scope: `runs/<id>/memory.json` for a run's own scope (written under
 * the run's lock like its other files, and deleted with its directory), `memory/<slug>.<hash>.json`
 * for every other scope (`agent:<name>`), which commits of any run write.
 *
 * Store-wide files are read, changed and written under `locks/memory.lock`, taken after the run's
 * lock (never the other way round, so the two cannot deadlock). A commit that writes them and
 * anything else keeps their writes in its commit record (`sharedMemory`) and holds the memory lock
 * from before its commit point until the record is removed. If its process dies in between, the
 * memory lock is left behind: whoever breaks it first applies every such record it finds
 * (`settleAbandonedMemory`) before writing anything, and removes that part from the record, so
 * the dead commit's writes land before, never after, the writes of commits that follow it.
 */

/** What a memory file holds: its scope (file names are lossy) and its keys, sorted by key. */
export interface MemoryFile {
  scope: string
  entries: StoredMemoryEntry[]
}

export interface StoredMemoryEntry {
  key: string
  value: Json
  updatedAt: string
}

/** A file to replace with `text`, or to remove (`null`: the scope has no keys left). */
export interface FileWrite {
  path: string
  text: string | null
}

/** Keys by UTF-16 code units, like artifact names in every store. */
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

/** A scope's stored keys; none when the file does not exist. */
export async function readScope(path: string, scope: string): Promise<StoredMemoryEntry[]> {
  const file = await readJson<MemoryFile>(path)
  // Another scope's file here can only come from a hand edit (or a 64-bit hash collision).
  return file && file.scope === scope ? file.entries : []
}

/** The writes in order (a later write of a key wins; null deletes), every new value stamped `updatedAt`. */
export function applyWrites(
  current: StoredMemoryEntry[],
  writes: MemoryBatch['writes'],
  updatedAt: string,
): StoredMemoryEntry[] {
  // A Map, not an object: keys such as `__proto__` are plain keys here.
  const next = new Map(current.map((e) => [e.key, e]))
  for (const w of writes) {
    if (w.value === null) next.delete(w.key)
    else next.set(w.key, { key: w.key, value: w.value, updatedAt })
  }
  return [...next.values()].sort(byKey)
}

/** The file's text, or null when the scope is empty (its file is removed rather than left empty). */
export function memoryText(scope: string, entries: StoredMemoryEntry[]): string | null {
  return entries.length === 0 ? null : pretty({ scope, entries } satisfies MemoryFile)
}

/**
 * The new content of every scope file a batch changes, scopes in the order they were first
 * written. Every scope must have a file (`layout.memoryFile`); the committer checks that first.
 */
export async function planMemoryFiles(layout: Layout, batch: MemoryBatch): Promise<FileWrite[]> {
  const byScope = new Map<string, MemoryBatch['writes']>()
  for (const w of batch.writes) byScope.set(w.scope, [...(byScope.get(w.scope) ?? []), w])
  const out: FileWrite[] = []
  for (const [scope, writes] of byScope) {
    const path = layout.memoryFile(scope)!
    const current = await readScope(path, scope)
    const next = applyWrites(current, writes, batch.updatedAt)
    // Deleting keys that are not there changes nothing, and needs no file written.
    if (current.length === 0 && next.length === 0) continue
    out.push({ path, text: memoryText(scope, next) })
  }
  return out
}

/** Replaces or removes one file; the caller fsyncs its directory. */
export async function applyFileWrite(w: FileWrite, d: Durability): Promise<void> {
  if (w.text === null) await rm(w.path, { force: true })
  else await writeFileAtomic(w.path, w.text, d)
}

/** Makes the renames and removals of `writes` durable, once per directory. */
export async function fsyncDirsOf(writes: FileWrite[], d: Durability): Promise<void> {
  for (const dir of new Set(writes.map((w) => dirname(w.path)))) await fsyncDir(dir, d)
}

/**
 * Applies the store-wide memory writes of a run's commit record and removes them from the record.
 * The caller holds the memory lock (not necessarily the run's lock: only memory-lock holders touch
 * a record that has this part). Returns what was done, or undefined when there was nothing to do.
 */
export async function settleSharedMemory(
  layout: Layout,
  paths: RunPaths,
  d: Durability,
): Promise<string | undefined> {
  let pending: PendingCommit | undefined
  try {
    pending = await readJson<PendingCommit>(paths.pending)
  } catch {
    return undefined // unreadable: the run's repair removes it
  }
  if (!pending?.sharedMemory) return undefined
  const meta = await readJson<StoredMeta>(paths.meta).catch(() => undefined)
  // A record that later commits of its run superseded was applied long ago (only its removal was
  // lost): applying it now would write over what came after.
  const superseded = meta !== undefined && meta.lastSeq > pending.lastSeq
  let files: FileWrite[] = []
  if (!superseded) {
    files = await planMemoryFiles(layout, pending.sharedMemory)
    for (const w of files) await applyFileWrite(w, d)
    await fsyncDirsOf(files, d)
  }
  const { sharedMemory: _applied, ...rest } = pending
  await writeFileAtomic(paths.pending, pendingText(rest), d)
  await fsyncDir(paths.dir, d)
  return superseded
    ? `dropped the shared memory writes of a commit record that later commits superseded`
    : `applied the shared memory writes of the commit ending at seq ${pending.lastSeq} (${files.length} scope file(s))`
}

/** Runs checked at once after a dead holder's memory lock was broken. */
const SCAN_CONCURRENCY = 8

/**
 * After breaking the memory lock of a process that died holding it: settles every commit record
 * with store-wide memory writes, in any run (the dead process may have been mid-commit in any of
 * them). Costs a look for a commit record in each run, and happens only after a crash.
 */
export async function settleAbandonedMemory(
  layout: Layout,
  d: Durability,
  report: (runId: string, action: string) => void,
): Promise<void> {
  let ids: string[]
  try {
    ids = (await readdir(layout.runsDir)).filter(isSafeRunId)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (let i = 0; i < ids.length; i += SCAN_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + SCAN_CONCURRENCY).map(async (runId) => {
        const done = await settleSharedMemory(layout, layout.run(runId), d)
        if (done) report(runId, done)
      }),
    )
  }
}

/** `store.memory`: reads only, straight from the files (every file is replaced whole). */
export function createMemoryReader(layout: Layout): MemoryStore {
  async function entries(scope: string): Promise<MemoryEntry[]> {
    const path = layout.memoryFile(scope)
    if (path === undefined) return []
    return (await readScope(path, scope)).map((e) => ({ scope, ...e })).sort(byKey)
  }
  return {
    async get(scope, key) {
      return (await entries(scope)).find((e) => e.key === key)
    },
    list: entries,
  }
}
