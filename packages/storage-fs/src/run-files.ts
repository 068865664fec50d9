import { readFile } from 'node:fs/promises'
import {
  type Commit,
  type RunSpec,
  type RunSummary,
  type TaskState,
  WeftError,
  type WeftEvent,
} from '@weft/core'
import { pretty } from './format.js'

/**
 * What `meta.json` holds: the run's summary, or — for a run whose creating commit carried no
 * summary, which the runtime never does — a placeholder that still records the committed last seq.
 */
export type StoredMeta = RunSummary | MetaPlaceholder

export interface MetaPlaceholder {
  id: string
  lastSeq: number
  note: string
}

export function placeholderMeta(runId: string, lastSeq: number): MetaPlaceholder {
  return {
    id: runId,
    lastSeq,
    note: 'no summary committed yet; the first commit that carries one replaces this',
  }
}

export function isSummary(meta: StoredMeta): meta is RunSummary {
  return 'status' in meta
}

/**
 * The commit record (`pending-commit.json`): the new content of every state file a commit
 * changes, and the last seq it ends at. Its rename into place is the commit point of a commit that
 * changes more than one file; it is removed once those files are written (see commit.ts).
 */
export interface PendingCommit {
  lastSeq: number
  spec?: RunSpec
  /** Only the tasks the commit changed: applying them again is harmless (an upsert). */
  tasks?: TaskState[]
  meta?: StoredMeta
  /** Writes to the run's own memory scope (`memory.json`); applying them again is harmless. */
  memory?: MemoryBatch
  /**
   * Writes to store-wide memory scopes (`memory/`), which other runs write too. Only a holder of
   * the memory lock writes, applies or removes this part (see memory.ts), so it is applied once,
   * before any later writer's turn, and never again over what came after.
   */
  sharedMemory?: MemoryBatch
}

export type MemoryWrite = NonNullable<Commit['memory']>[number]

/** A commit's memory writes with the time they were made, so that rolling forward writes the same. */
export interface MemoryBatch {
  updatedAt: string
  writes: MemoryWrite[]
}

/** A JSON file's content, or undefined when it (or its directory) does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
  try {
    return JSON.parse(text) as T
  } catch (err) {
    // Every file is replaced by rename, so only damage from outside weft leaves one unparseable.
    throw new WeftError('internal', `${path} is not valid JSON: ${(err as Error).message}`, {
      hint: 'the file was damaged or edited outside weft; restore it from a backup, or delete its run directory',
      cause: err,
    })
  }
}

/** Replaces tasks by id and appends new ones, so the file keeps first-write order. */
export function upsertTasks(current: TaskState[], changed: TaskState[]): TaskState[] {
  const next = [...current]
  const index = new Map(next.map((t, i) => [t.taskId, i]))
  for (const t of changed) {
    const at = index.get(t.taskId)
    if (at === undefined) {
      index.set(t.taskId, next.length)
      next.push(t)
    } else {
      next[at] = t
    }
  }
  return next
}

/** Listing order: `order`, then first write (the sort is stable and the file keeps that order). */
export function sortTasks(tasks: TaskState[]): TaskState[] {
  return [...tasks].sort((a, b) => a.order - b.order)
}

/** Numbers a commit's drafts from `lastSeq + 1`, with the fields in the order a person reads them. */
export function numberEvents(runId: string, lastSeq: number, drafts: Commit['events']): WeftEvent[] {
  return drafts.map(
    (e, i) =>
      ({
        runId,
        seq: lastSeq + i + 1,
        ts: e.ts,
        type: e.type,
        ...(e.taskId !== undefined ? { taskId: e.taskId } : {}),
        ...(e.attempt !== undefined ? { attempt: e.attempt } : {}),
        severity: e.severity ?? 'info',
        data: e.data,
      }) as WeftEvent,
  )
}

/** One event per line: JSON.stringify escapes every newline inside strings, so a line is an event. */
export function eventLines(events: WeftEvent[]): string {
  let text = ''
  for (const e of events) text += `${JSON.stringify(e)}\n`
  return text
}

export const metaText = (meta: StoredMeta): string => pretty(meta)
export const specText = (spec: RunSpec): string => pretty(spec)
export const tasksText = (tasks: TaskState[]): string => pretty(tasks)
/** Compact: it lives for milliseconds, and may carry large task outputs. */
export const pendingText = (pending: PendingCommit): string => `${JSON.stringify(pending)}\n`
