import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Commit, type TaskState, WeftError, type WeftEvent } from '@weft/core'
import { appendDurable, fsyncDir, writeFileAtomic, writeFileDurable } from './atomic.js'
import type { StoreContext } from './context.js'
import { isSafeRunId, unsafeRunId } from './layout.js'
import {
  metaText,
  numberEvents,
  type PendingCommit,
  pendingText,
  placeholderMeta,
  readJson,
  type StoredMeta,
  specText,
  tasksText,
  upsertTasks,
} from './run-files.js'

/**
 * The one write path. Every commit of a run runs under the run's lock (see context.ts), so the
 * `create` and `expectLastSeq` checks and the write are one step for every process.
 *
 * Creating a run builds its whole directory under `staging/` and renames it into `runs/`: the
 * rename is atomic, and fails when the run exists, so a half-created run is never visible.
 *
 * A later commit, in this order:
 *   1. append its events to events.jsonl with one write, and fsync — not yet committed: readers
 *      stop at meta.json's lastSeq, and repair cuts anything after it;
 *   2. when it changes more than one of spec.json / tasks.json / meta.json, write
 *      pending-commit.json (the new content of each, and the new last seq) atomically — the
 *      COMMIT POINT: from here on, repair rolls the commit forward;
 *   3. replace each changed file atomically (temp file, fsync, rename), fsync the directory;
 *   4. remove pending-commit.json, fsync the directory.
 * A commit that changes one file only (events alone change just meta.json) needs no record: the
 * rename of that file is its commit point.
 */
export function createCommitter(ctx: StoreContext): (commit: Commit) => Promise<WeftEvent[]> {
  const { layout, durability: d } = ctx

  async function create(c: Commit & { create: NonNullable<Commit['create']> }): Promise<WeftEvent[]> {
    const paths = layout.run(c.runId)
    if (await exists(paths.dir)) throw alreadyExists(c.runId)
    if (c.expectLastSeq !== undefined && c.expectLastSeq !== 0) throw changed(c.runId, 0, c.expectLastSeq)

    const events = numberEvents(c.runId, 0, c.events)
    const lines = events.map((e) => JSON.stringify(e))
    const lastSeq = events.length
    const meta: StoredMeta = c.run ? { ...c.run, lastSeq } : placeholderMeta(c.runId, lastSeq)
    const stage = join(layout.stagingDir, `${c.runId}.${process.pid}.${randomBytes(4).toString('hex')}`)
    await mkdir(stage)
    try {
      await writeFileDurable(join(stage, 'spec.json'), specText(c.spec ?? c.create.spec), d)
      await writeFileDurable(join(stage, 'tasks.json'), tasksText(upsertTasks([], c.tasks ?? [])), d)
      await writeFileDurable(join(stage, 'events.jsonl'), lines.map((l) => `${l}\n`).join(''), d)
      await writeFileDurable(join(stage, 'meta.json'), metaText(meta), d)
      await fsyncDir(stage, d)
      await rename(stage, paths.dir)
    } catch (err) {
      await rm(stage, { recursive: true, force: true })
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw alreadyExists(c.runId)
      throw err
    }
    await fsyncDir(layout.runsDir, d)
    return lines.map((l) => JSON.parse(l) as WeftEvent)
  }

  async function update(c: Commit): Promise<WeftEvent[]> {
    const paths = layout.run(c.runId)
    const meta = await readJson<StoredMeta>(paths.meta)
    if (!meta) throw new WeftError('run_not_found', `run ${c.runId} does not exist`)
    const lastSeq = meta.lastSeq
    if (c.expectLastSeq !== undefined && c.expectLastSeq !== lastSeq)
      throw changed(c.runId, lastSeq, c.expectLastSeq)

    const events = numberEvents(c.runId, lastSeq, c.events)
    const lines = events.map((e) => JSON.stringify(e))
    const newLastSeq = lastSeq + events.length
    const pending: PendingCommit = { lastSeq: newLastSeq }
    const writes: { path: string; text: string }[] = []
    if (c.spec) {
      pending.spec = c.spec
      writes.push({ path: paths.spec, text: specText(c.spec) })
    }
    if (c.tasks?.length) {
      pending.tasks = c.tasks
      const current = (await readJson<TaskState[]>(paths.tasks)) ?? []
      writes.push({ path: paths.tasks, text: tasksText(upsertTasks(current, c.tasks)) })
    }
    // The summary records which seq it is current to, so it changes with every event too.
    const nextMeta: StoredMeta | undefined = c.run
      ? { ...c.run, lastSeq: newLastSeq }
      : events.length > 0
        ? { ...meta, lastSeq: newLastSeq }
        : undefined
    if (nextMeta) {
      pending.meta = nextMeta
      writes.push({ path: paths.meta, text: metaText(nextMeta) })
    }

    let committed = false
    try {
      if (lines.length > 0) {
        const appended = await appendDurable(paths.events, lines.map((l) => `${l}\n`).join(''), d)
        ctx.offsets.remember(c.runId, appended.ino, lastSeq, appended.offset)
        ctx.offsets.remember(c.runId, appended.ino, newLastSeq, appended.offset + appended.bytes)
      }
      if (writes.length > 1) {
        await writeFileAtomic(paths.pending, pendingText(pending), d)
        committed = true
        await fsyncDir(paths.dir, d)
        for (const w of writes) await writeFileAtomic(w.path, w.text, d)
        await fsyncDir(paths.dir, d)
        // Made durable before any later commit: a record that came back after a crash would
        // otherwise be applied again over that commit's files.
        await rm(paths.pending, { force: true })
        await fsyncDir(paths.dir, d)
      } else if (writes.length === 1) {
        await writeFileAtomic(writes[0]!.path, writes[0]!.text, d)
        committed = true
        await fsyncDir(paths.dir, d)
      }
    } catch (err) {
      // Files may be half-written: put the run back into a committed state now, under the lock —
      // forward if the commit point was passed, back otherwise.
      try {
        await ctx.repair(c.runId)
      } catch {
        ctx.markDirty(c.runId)
        throw err
      }
      if (!committed) throw err
    }
    return lines.map((l) => JSON.parse(l) as WeftEvent)
  }

  return async (c) => {
    if (!isSafeRunId(c.runId)) {
      if (c.create) throw unsafeRunId(c.runId)
      throw new WeftError('run_not_found', `run ${c.runId} does not exist`)
    }
    return ctx.withRunLock(c.runId, 'commit', () =>
      c.create ? create(c as Commit & { create: NonNullable<Commit['create']> }) : update(c),
    )
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

function alreadyExists(runId: string): WeftError {
  return new WeftError('conflict', `run ${runId} already exists`)
}

function changed(runId: string, lastSeq: number, expected: number): WeftError {
  return new WeftError('conflict', `run ${runId} changed (last seq ${lastSeq}, expected ${expected})`, {
    hint: 'another process acted on this run; reload it and try again',
  })
}
