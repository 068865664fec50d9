import { readdir, rm, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Diagnostic } from '@weft/core'
import {
  type Durability,
  fsyncDir,
  isDeadTemp,
  removeDeadTemps,
  truncateDurable,
  writeFileAtomic,
} from './atomic.js'
import type { RunPaths } from './layout.js'
import { readLinesBackward } from './lines.js'
import { applyFileWrite, applyWrites, memoryText, readScope } from './memory.js'
import {
  isSummary,
  metaText,
  type PendingCommit,
  readJson,
  type StoredMeta,
  specText,
  tasksText,
  upsertTasks,
} from './run-files.js'

/** Where a log should end so that its last event has seq `target` at most. */
export interface TailScan {
  /** Bytes to keep: the end of the last line with a seq at or below the target. */
  keepEnd: number
  /** The seq of that line (0 when none). Below the target only if committed events were lost. */
  lastSeq: number
  /** The file's size, or -1 when it does not exist. */
  size: number
}

/**
 * Walks the log backwards from its end, past lines that are cut short, do not parse or lie beyond
 * `target`, to the line of the last event to keep. Costs one chunk for a healthy log.
 */
export async function scanTail(eventsFile: string, target: number): Promise<TailScan> {
  let size: number
  try {
    size = (await stat(eventsFile)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keepEnd: 0, lastSeq: 0, size: -1 }
    throw err
  }
  for await (const line of readLinesBackward(eventsFile)) {
    if (!line.complete) continue
    const seq = seqOf(line.text)
    if (seq === undefined || seq > target) continue
    return { keepEnd: line.end, lastSeq: seq, size }
  }
  return { keepEnd: 0, lastSeq: 0, size }
}

function seqOf(text: string): number | undefined {
  try {
    const seq = (JSON.parse(text) as { seq?: unknown } | null)?.seq
    return typeof seq === 'number' && Number.isInteger(seq) && seq > 0 ? seq : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether a run needs `repairRun`: a commit record left behind, a log that does not end exactly
 * at the committed last seq, or temp files of a dead writer. Only reads, without the run's lock,
 * so that opening a healthy store costs no locking; a yes is checked again under the lock.
 */
export async function needsRepair(paths: RunPaths): Promise<boolean> {
  if ((await readJson<PendingCommit>(paths.pending).catch(() => null)) !== undefined) return true
  let meta: StoredMeta | undefined
  try {
    meta = await readJson<StoredMeta>(paths.meta)
  } catch {
    // A damaged meta.json cannot be repaired from here; reads report it with the file's name.
    return false
  }
  if (!meta) return false
  const scan = await scanTail(paths.events, meta.lastSeq)
  if (scan.size !== scan.keepEnd || scan.lastSeq !== meta.lastSeq) return true
  return (await hasDeadTemps(paths.dir, false)) || (await hasDeadTemps(paths.artifactsDir, true))
}

export interface RepairReport {
  /** What was done, for tests and for a person reading a debug log; empty when nothing was. */
  actions: string[]
  /** The log had fewer events than committed (damage from outside): seqs continue after what is left. */
  lostEvents?: { from: number; to: number }
  /** Why the run could not be repaired when the store opened (a file damaged outside weft). */
  error?: string
}

/**
 * Brings one run back to its last committed state. The caller holds the run's lock.
 *
 * - A commit record (`pending-commit.json`) means a commit passed its commit point: it is rolled
 *   forward — the log is cut to its last seq and its files are written again — and removed. Its
 *   store-wide memory writes are settled first, under the memory lock (`settleShared`).
 * - Otherwise `meta.json` says what is committed: log lines after its `lastSeq`, and a last line
 *   cut short or unparseable, are the unfinished append of a commit that never reached its
 *   commit point, and are cut off.
 * - A log that ends before the committed seq lost events after they were flushed (a disk fault, a
 *   hand edit): weft cannot invent them, so the log's intact prefix wins — the summary's `lastSeq`
 *   is lowered to it, the run's health becomes `warning` and a diagnostic names the lost seqs.
 */
export async function repairRun(
  paths: RunPaths,
  d: Durability,
  settleShared: () => Promise<string | undefined>,
): Promise<RepairReport> {
  const actions: string[] = []
  let pending: PendingCommit | undefined
  const readPending = async () => {
    try {
      return await readJson<PendingCommit>(paths.pending)
    } catch {
      // It is renamed into place whole, so an unreadable one was damaged outside weft: the commit
      // it described cannot be applied and the previous state stands.
      await rm(paths.pending, { force: true })
      actions.push('removed an unreadable pending-commit.json')
      return undefined
    }
  }
  pending = await readPending()
  if (pending?.sharedMemory) {
    // Only a holder of the memory lock may apply that part; it leaves the record without it.
    const settled = await settleShared()
    if (settled) actions.push(settled)
    pending = await readPending()
  }
  let meta = await readJson<StoredMeta>(paths.meta)
  if (pending && meta && meta.lastSeq > pending.lastSeq) {
    // Already applied, and later commits followed: only its removal was lost.
    await rm(paths.pending, { force: true })
    actions.push('removed a pending-commit.json that later commits superseded')
    pending = undefined
  }
  if (!meta && !pending?.meta) {
    await removeDeadTemps(paths.dir)
    return { actions }
  }
  const target = pending ? pending.lastSeq : meta!.lastSeq

  const scan = await scanTail(paths.events, target)
  if (scan.size < 0) {
    await writeFileAtomic(paths.events, '', d)
    actions.push('created a missing events.jsonl')
  } else if (scan.keepEnd < scan.size) {
    await truncateDurable(paths.events, scan.keepEnd, d)
    actions.push(`cut ${scan.size - scan.keepEnd} bytes of uncommitted events after seq ${scan.lastSeq}`)
  }
  const lost = scan.lastSeq < target ? { from: scan.lastSeq + 1, to: target } : undefined

  if (pending) {
    if (pending.spec) await writeFileAtomic(paths.spec, specText(pending.spec), d)
    if (pending.tasks?.length) {
      const current = (await readJson<PendingCommit['tasks']>(paths.tasks)) ?? []
      await writeFileAtomic(paths.tasks, tasksText(upsertTasks(current, pending.tasks)), d)
    }
    if (pending.memory) {
      // The record's own time, so that rolling forward twice writes the same file.
      const scope = pending.memory.writes[0]!.scope
      const next = applyWrites(
        await readScope(paths.memory, scope),
        pending.memory.writes,
        pending.memory.updatedAt,
      )
      await applyFileWrite({ path: paths.memory, text: memoryText(scope, next) }, d)
    }
    meta = pending.meta ?? meta
    actions.push(`rolled forward the commit ending at seq ${pending.lastSeq}`)
  }
  if (lost) {
    meta = withLostEvents(meta!, lost)
    actions.push(
      `events ${lost.from}..${lost.to} were missing from events.jsonl; lastSeq lowered to ${scan.lastSeq}`,
    )
  }
  if (pending || lost) {
    await writeFileAtomic(paths.meta, metaText(meta!), d)
    await fsyncDir(paths.dir, d)
  }
  if (pending) {
    await rm(paths.pending, { force: true })
    await fsyncDir(paths.dir, d)
  }
  await removeDeadTemps(paths.dir)
  await removeDeadTemps(paths.artifactsDir, true)
  return { actions, ...(lost ? { lostEvents: lost } : {}) }
}

function withLostEvents(meta: StoredMeta, lost: { from: number; to: number }): StoredMeta {
  const lastSeq = lost.from - 1
  if (!isSummary(meta)) return { ...meta, lastSeq }
  const diagnostic: Diagnostic = {
    level: 'warning',
    code: 'events_lost',
    message: `events ${lost.from}..${lost.to} of this run were missing from events.jsonl when the store was opened (damaged outside weft); the log now ends at seq ${lastSeq}, and the summary and task states may describe more than the log shows`,
    hint: 'new events continue at the next seq; restore events.jsonl from a backup to get the lost ones back',
  }
  return {
    ...meta,
    lastSeq,
    health: meta.health === 'error' ? 'error' : 'warning',
    diagnostics: [...(meta.diagnostics ?? []), diagnostic],
  }
}

async function hasDeadTemps(dir: string, recursive: boolean): Promise<boolean> {
  let names: string[]
  try {
    names = await readdir(dir, { recursive })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return false
    throw err
  }
  return names.some((name) => isDeadTemp(basename(name)))
}
