import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { WeftError } from '@weft/core'

/**
 * Where everything lives under the store directory. Names are spelled out here once, so that the
 * README's tree and the code cannot drift apart file by file.
 */
export interface Layout {
  dir: string
  /** The format version and a note for whoever opens the directory. */
  formatFile: string
  runsDir: string
  /** Transient lock files: one per run (commits, leases, artifacts) and one for signals. */
  locksDir: string
  leasesDir: string
  /** Runs being created: a run is built here, then renamed into `runs/` in one step. */
  stagingDir: string
  /** Runs being deleted: renamed here in one step, then removed. */
  trashDir: string
  signalsFile: string
  /** The highest signal id ever handed out, kept when deletions shorten `signals.jsonl`. */
  signalsMetaFile: string
  signalsLock: string
  storeLock: string
  /** Memory scopes that belong to no run (`agent:<name>`, …), one file per scope. */
  memoryDir: string
  /** Held while store-wide memory files are written, by every process (see memory.ts). */
  memoryLock: string
  run(runId: string): RunPaths
  /**
   * Where a memory scope is kept: `runs/<id>/memory.json` for `run:<id>`, a file in `memory/`
   * for any other scope; undefined for `run:<id>` with an id no run can have.
   */
  memoryFile(scope: string): string | undefined
  leaseFile(runId: string): string
  runLock(runId: string): string
}

export interface RunPaths {
  dir: string
  /** The RunSummary, pretty JSON: what `runs.get` and `runs.list` read. */
  meta: string
  spec: string
  /** Task states in the order they were first written, as one JSON array. */
  tasks: string
  /** One event per line, append-only. */
  events: string
  /** Present only between a commit's commit point and the end of applying it (see commit.ts). */
  pending: string
  artifactsDir: string
  /** Content type, task id and creation time of each artifact, by name. */
  artifactsIndex: string
  /** The run's own memory scope, `run:<id>`: deleted with the run directory. */
  memory: string
}

export const FORMAT_FILE = 'weft-store.json'
export const PENDING_FILE = 'pending-commit.json'

export function layoutOf(dir: string): Layout {
  const runsDir = join(dir, 'runs')
  const locksDir = join(dir, 'locks')
  const leasesDir = join(dir, 'leases')
  const memoryDir = join(dir, 'memory')
  const run = (runId: string): RunPaths => {
    const runDir = join(runsDir, runId)
    return {
      dir: runDir,
      meta: join(runDir, 'meta.json'),
      spec: join(runDir, 'spec.json'),
      tasks: join(runDir, 'tasks.json'),
      events: join(runDir, 'events.jsonl'),
      pending: join(runDir, PENDING_FILE),
      artifactsDir: join(runDir, 'artifacts'),
      artifactsIndex: join(runDir, 'artifacts.json'),
      memory: join(runDir, 'memory.json'),
    }
  }
  return {
    dir,
    formatFile: join(dir, FORMAT_FILE),
    runsDir,
    locksDir,
    leasesDir,
    stagingDir: join(dir, 'staging'),
    trashDir: join(dir, 'trash'),
    signalsFile: join(dir, 'signals.jsonl'),
    signalsMetaFile: join(dir, 'signals-meta.json'),
    signalsLock: join(locksDir, 'signals.lock'),
    storeLock: join(locksDir, 'store.lock'),
    memoryDir,
    memoryLock: join(locksDir, 'memory.lock'),
    run,
    memoryFile(scope) {
      const runId = runOfScope(scope)
      if (runId === undefined) return join(memoryDir, memoryFileName(scope))
      return isSafeRunId(runId) ? run(runId).memory : undefined
    },
    leaseFile: (runId) => join(leasesDir, `${runId}.json`),
    runLock: (runId) => join(locksDir, `run-${runId}.lock`),
  }
}

/**
 * Run ids become directory names, so only ids that are safe as one path segment on every common
 * file system are stored. weft's own ids (`run_` + ULID) always are.
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/

export function isSafeRunId(runId: string): boolean {
  return SAFE_ID.test(runId)
}

/** The error for an id `isSafeRunId` rejects, on writes (reads simply find nothing). */
export function unsafeRunId(runId: string): WeftError {
  return new WeftError(
    'store_unsupported',
    `the fs store cannot keep a run with the id ${JSON.stringify(runId)}: run ids name directories`,
    {
      hint: 'use ids of letters, digits, ".", "_" and "-" that start with a letter or digit (weft\'s own run_<ULID> ids always do)',
    },
  )
}

/** The run id of a `run:<id>` scope; undefined for every other scope. */
export function runOfScope(scope: string): string | undefined {
  return scope.startsWith('run:') ? scope.slice(4) : undefined
}

/**
 * The file name of a store-wide memory scope. Scopes are any strings, so the name is a readable
 * slug (lower case: `agent:Bob` and `agent:bob` must not meet on a case-insensitive file system)
 * plus a hash of the exact scope, which keeps different scopes apart; the file records the scope
 * itself too.
 */
export function memoryFileName(scope: string): string {
  const slug =
    scope
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .slice(0, 60)
      .replace(/^[-.]+|[-.]+$/g, '') || 'scope'
  const hash = createHash('sha256').update(scope).digest('hex').slice(0, 16)
  return `${slug}.${hash}.json`
}
