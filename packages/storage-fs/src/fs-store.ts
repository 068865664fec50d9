import { mkdir, readdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type FullStore, STORE_SPECIFICATION_VERSION, WeftError } from '@weft/core'
import { createArtifactStore } from './artifacts.js'
import { removeDeadTemps } from './atomic.js'
import { createCommitter } from './commit.js'
import { createContext, type RepairListener } from './context.js'
import { createEventStore } from './events.js'
import { openFormat } from './format.js'
import { createIdempotencyStore } from './idempotency.js'
import { isSafeRunId, layoutOf } from './layout.js'
import { createLeaseStore } from './leases.js'
import { createMemoryReader } from './memory.js'
import { isProcessAlive } from './process.js'
import { createQueueStore } from './queue.js'
import { needsRepair } from './repair.js'
import { createRunStore, createTaskStore } from './runs.js'
import { createSignalStore } from './signals.js'

export interface FsStoreOptions {
  /** The store's directory: created when missing; must be empty or already a store. */
  dir: string
  /**
   * Flush every write to the disk before it counts (default true). Without it a commit is still
   * all-or-nothing after a process crash, but a power cut may lose the last commits, or leave a log
   * shorter than its summary (repaired by the lost-events rule). Turn off only for throwaway stores.
   */
  fsync?: boolean
  /** How long a write waits for another process's lock before failing (default 10 000 ms). */
  lockTimeoutMs?: number
  /** Called for every run that opening the store (or breaking a dead writer's lock) repaired. */
  onRepair?: RepairListener
}

/** Runs checked at once when the store opens. */
const OPEN_CONCURRENCY = 8

/**
 * A store that people can read: one directory per run with its summary, spec, task states and
 * memory as pretty JSON, its events as JSON Lines, and its artifacts as plain files; agent memory
 * in `memory/`, one JSON file per scope. Every write is atomic;
 * opening the store repairs whatever a crash left unfinished (see the README's crash model).
 * Several processes may use one directory at once: writes to a run take turns on a lock file.
 */
export function createFsStore(options: FsStoreOptions): FullStore {
  const dir = resolve(options.dir)
  const layout = layoutOf(dir)
  const durability = { fsync: options.fsync ?? true }
  const lockTimeoutMs = options.lockTimeoutMs ?? 10_000
  const ctx = createContext(layout, durability, lockTimeoutMs, options.onRepair)
  const signals = createSignalStore(ctx)
  const commit = createCommitter(ctx)
  const runs = createRunStore(ctx, (ids) => signals.forgetRuns(ids))
  const tasks = createTaskStore(ctx)
  const events = createEventStore(ctx)
  const leases = createLeaseStore(ctx)
  const artifacts = createArtifactStore(ctx)
  const memory = createMemoryReader(layout)
  const idempotency = createIdempotencyStore(ctx)
  const queue = createQueueStore(ctx)

  let opened: Promise<void> | undefined
  let closed = false

  async function open(): Promise<void> {
    await openFormat(layout, durability, { timeoutMs: lockTimeoutMs })
    for (const d of [
      layout.runsDir,
      layout.locksDir,
      layout.leasesDir,
      layout.stagingDir,
      layout.trashDir,
      layout.memoryDir,
    ]) {
      await mkdir(d, { recursive: true })
    }
    await removeAbandoned(layout.stagingDir)
    await removeAbandoned(layout.trashDir)
    await removeDeadTemps(layout.dir)
    await removeDeadTemps(layout.leasesDir)
    await removeDeadTemps(layout.memoryDir)
    const ids = (await readdir(layout.runsDir)).filter(isSafeRunId)
    for (let i = 0; i < ids.length; i += OPEN_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + OPEN_CONCURRENCY).map(checkRun))
    }
    await signals.repair()
  }

  /**
   * Repairs one run if it needs it. A run that cannot be repaired now (a file damaged outside
   * weft) does not keep the store from opening: it is reported, and reading it names the damaged
   * file. Readers never see past its committed end either way.
   */
  async function checkRun(runId: string): Promise<void> {
    try {
      if (!(await needsRepair(layout.run(runId)))) return
      // Checked again under the lock: a live writer in another process may just be mid-commit.
      await ctx.withRunLock(runId, 'repair', async () => {
        if (await needsRepair(layout.run(runId))) await ctx.repair(runId)
      })
    } catch (err) {
      // Also a lock held past lockTimeoutMs: its live holder finishes its own commit.
      options.onRepair?.(runId, { actions: [], error: (err as Error).message })
    }
  }

  /** Opens on first use, like the SQLite store; a failure (e.g. `store_version`) is every call's answer. */
  function ready(): Promise<void> {
    if (closed) {
      return Promise.reject(
        new WeftError('internal', `the fs store ${dir} is closed`, {
          hint: 'create a new store to open the directory again',
        }),
      )
    }
    opened ??= open()
    return opened
  }

  /** The same methods, each opening the store first. */
  function guard<T extends object>(group: T): T {
    const out: Record<string, unknown> = {}
    for (const [key, fn] of Object.entries(group) as [string, (...args: unknown[]) => Promise<unknown>][]) {
      out[key] = async (...args: unknown[]) => {
        await ready()
        return fn(...args)
      }
    }
    return out as T
  }

  return {
    specificationVersion: STORE_SPECIFICATION_VERSION,
    id: `fs:${dir}`,
    capabilities: {
      transactions: true,
      multiProcess: true,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      queue: true,
    },
    init: ready,
    async close() {
      closed = true
      await ctx.drain()
    },
    commit: async (c) => {
      await ready()
      return commit(c)
    },
    runs: guard(runs),
    tasks: guard(tasks),
    events: guard(events),
    signals: guard({ send: signals.send, receive: signals.receive, lastId: signals.lastId }),
    leases: guard(leases),
    artifacts: guard(artifacts),
    memory: guard(memory),
    idempotency: guard(idempotency),
    queue: guard(queue),
  }
}

/**
 * Removes what creations and deletions left in staging/ and trash/ when their process died. Each
 * entry is named `<run-id>.<pid>.<random>`; entries of live processes are theirs to finish.
 */
async function removeAbandoned(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1])
    if (!isProcessAlive(pid)) await rm(join(dir, name), { recursive: true, force: true, maxRetries: 3 })
  }
}
