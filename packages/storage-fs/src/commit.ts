import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Commit, type TaskState, WeftError, type WeftEvent } from '@weft/core'
import { appendDurable, fsyncDir, writeFileAtomic, writeFileDurable } from './atomic.js'
import type { StoreContext } from './context.js'
import { isSafeRunId, PENDING_FILE, runOfScope, unsafeRunId } from './layout.js'
import {
  applyFileWrite,
  applyWrites,
  type FileWrite,
  fsyncDirsOf,
  memoryText,
  planMemoryFiles,
  settleSharedMemory,
} from './memory.js'
import {
  type MemoryBatch,
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
 *   2. when it changes more than one of spec.json / tasks.json / meta.json / memory.json and the
 *      store-wide memory files, write pending-commit.json (the new content of each, and the new
 *      last seq) atomically — the COMMIT POINT: from here on, repair rolls the commit forward;
 *   3. replace each changed file atomically (temp file, fsync, rename), fsync the directories;
 *   4. remove pending-commit.json, fsync the directory.
 * A commit that changes one file only (events alone change just meta.json) needs no record: the
 * rename of that file is its commit point.
 *
 * A commit that writes store-wide memory (any scope but its run's own) does all of this under the
 * memory lock too, taken inside the run's lock (see memory.ts for how a dead holder's writes are
 * settled). A create that writes store-wide memory puts its record in the staged directory, so
 * the rename into `runs/` is its commit point as well.
 */
export function createCommitter(ctx: StoreContext): (commit: Commit) => Promise<WeftEvent[]> {
  const { layout, durability: d } = ctx

  async function create(
    c: Commit & { create: NonNullable<Commit['create']> },
    memory: SplitMemory,
    state: CommitState,
  ): Promise<WeftEvent[]> {
    const paths = layout.run(c.runId)
    if (await exists(paths.dir)) throw alreadyExists(c.runId)
    if (c.expectLastSeq !== undefined && c.expectLastSeq !== 0) throw changed(c.runId, 0, c.expectLastSeq)

    const events = numberEvents(c.runId, 0, c.events)
    const lines = events.map((e) => JSON.stringify(e))
    const lastSeq = events.length
    const meta: StoredMeta = c.run ? { ...c.run, lastSeq } : placeholderMeta(c.runId, lastSeq)
    // A new run's own scope starts empty: its file is simply part of the new directory.
    const runMemory =
      memory.run && memoryText(`run:${c.runId}`, applyWrites([], memory.run.writes, memory.run.updatedAt))
    // Planned under the memory lock, which the caller holds when there are store-wide writes.
    const shared = memory.shared ? await planMemoryFiles(layout, memory.shared) : []
    const stage = join(layout.stagingDir, `${c.runId}.${process.pid}.${randomBytes(4).toString('hex')}`)
    await mkdir(stage)
    try {
      await writeFileDurable(join(stage, 'spec.json'), specText(c.spec ?? c.create.spec), d)
      await writeFileDurable(join(stage, 'tasks.json'), tasksText(upsertTasks([], c.tasks ?? [])), d)
      await writeFileDurable(join(stage, 'events.jsonl'), lines.map((l) => `${l}\n`).join(''), d)
      await writeFileDurable(join(stage, 'meta.json'), metaText(meta), d)
      if (runMemory) await writeFileDurable(join(stage, 'memory.json'), runMemory, d)
      if (shared.length > 0) {
        const pending: PendingCommit = { lastSeq, sharedMemory: memory.shared! }
        await writeFileDurable(join(stage, PENDING_FILE), pendingText(pending), d)
      }
      await fsyncDir(stage, d)
      await rename(stage, paths.dir)
    } catch (err) {
      await rm(stage, { recursive: true, force: true })
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw alreadyExists(c.runId)
      throw err
    }
    state.events = lines.map((l) => JSON.parse(l) as WeftEvent)
    state.touched = true
    state.committed = true
    await fsyncDir(layout.runsDir, d)
    if (shared.length > 0) {
      for (const w of shared) await applyFileWrite(w, d)
      await fsyncDirsOf(shared, d)
      await rm(paths.pending, { force: true })
      await fsyncDir(paths.dir, d)
    }
    return state.events
  }

  async function update(c: Commit, memory: SplitMemory, state: CommitState): Promise<WeftEvent[]> {
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
    const writes: FileWrite[] = []
    if (c.spec) {
      pending.spec = c.spec
      writes.push({ path: paths.spec, text: specText(c.spec) })
    }
    if (c.tasks?.length) {
      pending.tasks = c.tasks
      const current = (await readJson<TaskState[]>(paths.tasks)) ?? []
      writes.push({ path: paths.tasks, text: tasksText(upsertTasks(current, c.tasks)) })
    }
    if (memory.run) {
      const files = await planMemoryFiles(layout, memory.run)
      if (files.length > 0) {
        pending.memory = memory.run
        writes.push(...files)
      }
    }
    // Planned under the memory lock, which the caller holds when there are store-wide writes.
    if (memory.shared) {
      const files = await planMemoryFiles(layout, memory.shared)
      if (files.length > 0) {
        pending.sharedMemory = memory.shared
        writes.push(...files)
      }
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

    state.events = lines.map((l) => JSON.parse(l) as WeftEvent)
    state.touched = true
    if (lines.length > 0) {
      const appended = await appendDurable(paths.events, lines.map((l) => `${l}\n`).join(''), d)
      ctx.offsets.remember(c.runId, appended.ino, lastSeq, appended.offset)
      ctx.offsets.remember(c.runId, appended.ino, newLastSeq, appended.offset + appended.bytes)
    }
    if (writes.length > 1) {
      await writeFileAtomic(paths.pending, pendingText(pending), d)
      state.committed = true
      await fsyncDir(paths.dir, d)
      for (const w of writes) await applyFileWrite(w, d)
      await fsyncDirsOf(writes, d)
      // Made durable before any later commit: a record that came back after a crash would
      // otherwise be applied again over that commit's files.
      await rm(paths.pending, { force: true })
      await fsyncDir(paths.dir, d)
    } else if (writes.length === 1) {
      await applyFileWrite(writes[0]!, d)
      state.committed = true
      await fsyncDirsOf(writes, d)
    }
    return state.events
  }

  return async (c) => {
    if (!isSafeRunId(c.runId)) {
      if (c.create) throw unsafeRunId(c.runId)
      throw new WeftError('run_not_found', `run ${c.runId} does not exist`)
    }
    const memory = splitMemory(c)
    return ctx.withRunLock(c.runId, 'commit', async () => {
      const state: CommitState = { events: [], touched: false, committed: false }
      const work = () =>
        c.create
          ? create(c as Commit & { create: NonNullable<Commit['create']> }, memory, state)
          : update(c, memory, state)
      try {
        if (!memory.shared) return await work()
        return await ctx.withMemoryLock(async () => {
          try {
            return await work()
          } catch (err) {
            // Past its commit point, the commit's store-wide memory writes are applied now, while
            // this process still holds the memory lock: after it, another writer's turn comes.
            if (state.committed) await settleSharedMemory(layout, layout.run(c.runId), d).catch(() => {})
            throw err
          }
        })
      } catch (err) {
        if (!state.touched) throw err
        // Files may be half-written: put the run back into a committed state now, under the lock —
        // forward if the commit point was passed, back otherwise.
        try {
          await ctx.repair(c.runId)
        } catch {
          ctx.markDirty(c.runId)
          throw err
        }
        if (!state.committed) throw err
        return state.events
      }
    })
  }
}

/** How far a commit got, for the error path: whether it wrote anything, and passed its commit point. */
interface CommitState {
  events: WeftEvent[]
  touched: boolean
  committed: boolean
}

/** A commit's memory writes: to its run's own scope, and to every other (store-wide) scope. */
interface SplitMemory {
  run?: MemoryBatch
  shared?: MemoryBatch
}

/**
 * Splits a commit's memory writes, refusing writes to ANOTHER run's scope: it lives in that run's
 * directory, under that run's lock, so it cannot be part of this run's commit.
 */
function splitMemory(c: Commit): SplitMemory {
  if (!c.memory?.length) return {}
  const own = `run:${c.runId}`
  const updatedAt = new Date().toISOString()
  const run: MemoryBatch['writes'] = []
  const shared: MemoryBatch['writes'] = []
  for (const w of c.memory) {
    if (w.scope === own) run.push(w)
    else if (runOfScope(w.scope) === undefined) shared.push(w)
    else {
      throw new WeftError(
        'store_unsupported',
        `the fs store cannot write the memory scope ${JSON.stringify(w.scope)} in a commit of run ${c.runId}: a run's memory is written only by that run's commits`,
        { hint: `write run:${c.runId} or an agent scope (agent:<name>)` },
      )
    }
  }
  return {
    ...(run.length ? { run: { updatedAt, writes: run } } : {}),
    ...(shared.length ? { shared: { updatedAt, writes: shared } } : {}),
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
