import { stat } from 'node:fs/promises'
import type { Json, Signal, SignalStore } from '@weft/core'
import { appendDurable, fsyncDir, truncateDurable, writeFileAtomic } from './atomic.js'
import type { StoreContext } from './context.js'
import { pretty } from './format.js'
import { readLines, readLinesBackward } from './lines.js'
import { withLock } from './lock.js'
import { readJson } from './run-files.js'

/** `signals-meta.json`: the highest id handed out, so ids are never reused after deletions. */
interface SignalsMeta {
  lastId: number
}

export interface FsSignalStore extends SignalStore {
  /** Drops the signals of deleted runs (one rewrite of `signals.jsonl`). */
  forgetRuns(runIds: ReadonlySet<string>): Promise<void>
  /** Cuts a last line that a crash left unfinished. */
  repair(): Promise<void>
}

/**
 * Signals for all runs in one append-only file, `signals.jsonl`, one signal per line, numbered
 * upwards under the store's signals lock. A runtime polls `receive` a few times a second, so the
 * parsed signals are cached and only the bytes appended since the last look are read.
 */
export function createSignalStore(ctx: StoreContext): FsSignalStore {
  const { layout, durability } = ctx
  const lockOptions = { timeoutMs: ctx.lockTimeoutMs, purpose: 'signals' }
  let cache: { ino: number; end: number; signals: Signal[] } | undefined

  /** The newest id: the last line's, or the recorded high-water mark if deletions removed it. */
  async function lastId(): Promise<number> {
    const meta = (await readJson<SignalsMeta>(layout.signalsMetaFile)) ?? { lastId: 0 }
    let last = 0
    for await (const line of readLinesBackward(layout.signalsFile)) {
      if (!line.complete) continue
      const id = parse(line.text)?.id
      if (typeof id === 'number') {
        last = id
        break
      }
    }
    return Math.max(last, meta.lastId)
  }

  /** Under the lock: a last line without its newline is a dead writer's, and would glue onto ours. */
  async function cutUnfinishedLine(): Promise<void> {
    for await (const line of readLinesBackward(layout.signalsFile)) {
      if (line.complete) return
      await truncateDurable(layout.signalsFile, line.start, durability)
      return
    }
  }

  async function readAll(): Promise<Signal[]> {
    let info: { ino: number; size: number }
    try {
      info = await stat(layout.signalsFile)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    // A rewrite (after deletions) is a new file; a shorter file was cut by repair: read it again.
    if (!cache || cache.ino !== info.ino || info.size < cache.end)
      cache = { ino: info.ino, end: 0, signals: [] }
    if (info.size > cache.end) {
      for await (const line of readLines(layout.signalsFile, cache.end)) {
        const signal = parse(line.text)
        if (signal) cache.signals.push(signal)
        cache.end = line.end
      }
    }
    return cache.signals
  }

  return {
    async send(signal) {
      return withLock(layout.signalsLock, lockOptions, async () => {
        await cutUnfinishedLine()
        const stored: Signal = {
          id: (await lastId()) + 1,
          runId: signal.runId,
          kind: signal.kind,
          ...(signal.data !== undefined ? { data: signal.data } : {}),
          createdAt: new Date().toISOString(),
        }
        await appendDurable(layout.signalsFile, `${JSON.stringify(stored)}\n`, durability)
        return structuredClone(stored)
      })
    },

    async receive(runIds, afterId) {
      if (runIds.length === 0) return []
      const wanted = new Set(runIds)
      return structuredClone((await readAll()).filter((s) => s.id > afterId && wanted.has(s.runId)))
    },

    lastId,

    async forgetRuns(runIds) {
      await withLock(layout.signalsLock, lockOptions, async () => {
        await cutUnfinishedLine()
        const kept: Signal[] = []
        let removed = 0
        for await (const line of readLines(layout.signalsFile)) {
          const signal = parse(line.text)
          if (signal && runIds.has(signal.runId)) removed++
          else if (signal) kept.push(signal)
        }
        if (removed === 0) return
        // The high-water mark first: if the process dies between the two writes, ids still only grow.
        await writeFileAtomic(layout.signalsMetaFile, pretty({ lastId: await lastId() }), durability)
        await writeFileAtomic(
          layout.signalsFile,
          kept.map((s) => `${JSON.stringify(s)}\n`).join(''),
          durability,
        )
        await fsyncDir(layout.dir, durability)
      })
    },

    async repair() {
      // A healthy file ends with a newline: then no lock is needed.
      let unfinished = false
      for await (const line of readLinesBackward(layout.signalsFile)) {
        unfinished = !line.complete
        break
      }
      if (unfinished) await withLock(layout.signalsLock, lockOptions, cutUnfinishedLine)
    },
  }
}

function parse(text: string): Signal | undefined {
  try {
    const s = JSON.parse(text) as Signal & { data?: Json }
    return typeof s?.id === 'number' && typeof s.runId === 'string' ? s : undefined
  } catch {
    return undefined
  }
}
