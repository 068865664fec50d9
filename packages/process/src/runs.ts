/**
 * The bookkeeping every subprocess backend does around one run: its group is tracked for exit
 * cleanup, registered under the attempt's key so `pause`/`resume`/`dispose` reach it, ended when
 * the task's signal aborts, and given up on if its pipes stay open after the kill.
 */
import { type Backend, BackendError, type BackendEvent, type TaskContext } from '@weft/spec'
import { abortError } from './abort.js'
import { processStartTime } from './identity.js'
import {
  groupExists,
  holdExitCleanup,
  signalGroup,
  terminateGroup,
  terminateTree,
  trackGroup,
  untrackGroup,
} from './process-tree.js'

/** After the kill, how long to wait for the pipes to close before giving up on them. */
const PIPE_CLOSE_MS = 2000

/** What `GroupRuns.supervise` needs of a spawned subprocess (an execa result fits). */
export interface SupervisedSubprocess<R> extends PromiseLike<R> {
  readonly pid?: number | undefined
  readonly stdout: unknown
  readonly stderr: unknown
  once(event: 'exit', listener: () => void): unknown
}

export interface SuperviseOptions {
  /** The task's signal: its abort ends the group. */
  signal: AbortSignal
  /** After SIGTERM, how long the group may take to exit before SIGKILL. */
  graceMs: number
  /** Also end descendants that left the group (`setsid`), as `terminateTree` does. Default false. */
  tree?: boolean
  /**
   * The task's `ctx.emit`: receives `{ type: 'process', pid, pgid, startTime }` right after the
   * spawn, so the runtime records the group and a later recovery can end it if it outlives this
   * process (a crash) before the task runs again.
   */
  emit?: (event: BackendEvent) => void
}

export interface Supervised<R> {
  /** The subprocess's result, or `undefined` when, after a kill, its pipes were given up on. */
  readonly settled: Promise<R | undefined>
  /** True once `dispose` stopped this run. */
  readonly disposed: boolean
  /** Call in `finally`: removes the abort listener and the run from the registry. */
  close(): void
}

export interface RunOptions extends SuperviseOptions {
  /** The message of the abort error when the signal's reason carries none ("the Codex run was canceled"). */
  canceled: string
  /** The message of the `canceled` error when `stopAll` (dispose) ended the run. */
  disposed: string
}

/**
 * The execa options every supervised command shares: no shell, the leader of its own process group
 * (so one signal reaches it and everything it started), no rejection (the result says how it
 * ended), and no kill escalation by execa (weft's `graceMs` decides when SIGKILL follows).
 */
export const DETACHED_SPAWN = {
  shell: false,
  detached: process.platform !== 'win32',
  // Covers a non-detached child (Windows); detached groups are cleaned up by trackGroup.
  cleanup: true,
  reject: false,
  windowsHide: true,
  forceKillAfterDelay: false,
} as const

interface Running {
  pid: number
  stop(): void
}

/** The runs of one backend, by attempt key. */
export class GroupRuns {
  readonly #running = new Map<string, Running>()
  readonly #pausedEarly = new Set<string>()

  /**
   * Registers a subprocess spawned `detached` (leader of its own group), right after the spawn and
   * in the same tick. Processes it left behind in its group end with it when it exits; otherwise
   * they would hold its pipes open or outlive the task as orphans.
   */
  supervise<R>(key: string, subprocess: SupervisedSubprocess<R>, options: SuperviseOptions): Supervised<R> {
    const { signal, graceMs } = options
    const terminate = options.tree ? terminateTree : terminateGroup
    const pid = subprocess.pid
    let stopping: Promise<void> | undefined
    let disposed = false
    const stopGroup = () => {
      if (pid === undefined) return
      stopping ??= terminate(pid, graceMs)
    }
    if (pid !== undefined) {
      trackGroup(pid)
      this.#running.set(key, {
        pid,
        stop: () => {
          disposed = true
          stopGroup()
        },
      })
      if (this.#pausedEarly.has(key)) {
        signalGroup(pid, 'SIGSTOP')
        // Once more a moment later, unless resumed by then: should the group not have existed yet
        // when the first one was sent, it would have been lost (a CI run once saw a paused-at-start
        // command keep running). A second SIGSTOP to a stopped group changes nothing.
        setTimeout(() => {
          if (this.#pausedEarly.has(key) && this.#running.get(key)?.pid === pid) signalGroup(pid, 'SIGSTOP')
        }, 100).unref()
      }
      if (options.emit) {
        const startTime = processStartTime(pid)
        // Spawned detached: the command leads its own group, so the group id is its pid.
        options.emit({ type: 'process', pid, pgid: pid, ...(startTime ? { startTime } : {}) })
      }
      subprocess.once('exit', () => {
        if (groupExists(pid)) stopGroup()
        else untrackGroup(pid)
      })
    }
    // Normally the command exits on SIGTERM/SIGKILL and the subprocess settles. A grandchild that
    // left the group (setsid) could hold the pipes open forever, so after the kill, stop waiting.
    let abandon!: () => void
    const abandoned = new Promise<undefined>((r) => (abandon = () => r(undefined)))
    const onAbort = () => {
      stopGroup()
      void (stopping ?? Promise.resolve()).then(() => delay(PIPE_CLOSE_MS)).then(abandon)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    const settled = Promise.race([subprocess, abandoned]).then((result) => {
      if (result === undefined) destroyPipes(subprocess)
      return result
    })
    return {
      settled,
      get disposed() {
        return disposed
      },
      close: () => {
        signal.removeEventListener('abort', onAbort)
        this.#running.delete(key)
        this.#pausedEarly.delete(key)
      },
    }
  }

  /**
   * One whole run: holds the exit cleanup, calls `spawn` (which must spawn `detached`, e.g. with
   * `DETACHED_SPAWN`), supervises the subprocess and waits for its result. Throws `abortError` when
   * the signal aborted (or the pipes were given up on), `canceled` when `stopAll` ended it; either
   * way the hold and the registration are released.
   */
  async run<R>(key: string, spawn: () => SupervisedSubprocess<R>, options: RunOptions): Promise<R> {
    const release = holdExitCleanup()
    const subprocess = releasingOnThrow(release, spawn)
    const run = this.supervise(key, subprocess, options)
    try {
      const result = await run.settled
      if (options.signal.aborted || result === undefined) throw abortError(options.signal, options.canceled)
      if (run.disposed) throw new BackendError('canceled', options.disposed, { retryable: false })
      return result
    } finally {
      release()
      run.close()
    }
  }

  /** Stops the run's group (SIGSTOP); a run that has not started yet starts stopped. */
  pause(key: string): void {
    this.#pausedEarly.add(key)
    const r = this.#running.get(key)
    if (r) signalGroup(r.pid, 'SIGSTOP')
  }

  /** Lets the run's group go on (SIGCONT). */
  resume(key: string): void {
    this.#pausedEarly.delete(key)
    const r = this.#running.get(key)
    if (r) signalGroup(r.pid, 'SIGCONT')
  }

  /** A backend's `pause` and `resume`, reaching the run of the attempt `keyOf(ctx)` names. */
  controls(keyOf: (ctx: TaskContext) => string): Required<Pick<Backend, 'pause' | 'resume'>> {
    return {
      pause: async (ctx) => this.pause(keyOf(ctx)),
      resume: async (ctx) => this.resume(keyOf(ctx)),
    }
  }

  /** Ends every run (its result then says `disposed`), and forgets pauses of runs to come. */
  stopAll(): void {
    for (const r of this.#running.values()) r.stop()
    this.#pausedEarly.clear()
  }
}

/** Runs `fn` (a spawn); if it throws, calls `release` (from `holdExitCleanup`) first. */
export function releasingOnThrow<T>(release: () => void, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    release()
    throw err
  }
}

function destroyPipes(subprocess: { stdout: unknown; stderr: unknown }): void {
  for (const stream of [subprocess.stdout, subprocess.stderr])
    (stream as { destroy?: () => void } | null)?.destroy?.()
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
