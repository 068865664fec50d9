import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import {
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  BackendError,
  type BackendEvent,
  type TaskContext,
  type TaskRequest,
  type TaskResult,
} from '@weft/core'
import { execa } from 'execa'
import { type ShellOptions, ShellOptionsSchema } from './options.js'
import { parseStdout, tail } from './output.js'
import {
  groupExists,
  holdExitCleanup,
  signalGroup,
  terminateGroup,
  trackGroup,
  untrackGroup,
} from './process-tree.js'

export interface ShellBackendOptions {
  /** After SIGTERM, how long a canceled command may take to exit before SIGKILL. Default 2000 ms. */
  killGraceMs?: number
  /** The name workflows use in `backend:`. Default `shell`. */
  id?: string
}

/** A command started by this backend, found again by pause/resume through its attempt. */
interface Running {
  pid: number
  /** Ends the command's process group because the backend is being disposed. */
  stop(): void
}

const DEFAULT_KILL_GRACE_MS = 2000
/** After the group got SIGKILL, how long to wait for its pipes to close before giving up on them. */
const PIPE_CLOSE_MS = 2000

/** Creates the backend that runs `with.command` as a child process, never through a shell. */
export function createShellBackend(backendOptions: ShellBackendOptions = {}): Backend {
  const id = backendOptions.id ?? 'shell'
  const killGraceMs = backendOptions.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  const running = new Map<string, Running>()
  /** Attempts paused before their command started: it is stopped as soon as it does. */
  const pausedEarly = new Set<string>()

  async function execute(request: TaskRequest, ctx: TaskContext): Promise<TaskResult> {
    const options = parseOptions(id, request.options)
    const { signal } = ctx
    if (signal.aborted) throw abortError(signal)

    const [file, ...args] = options.command as [string, ...string[]]
    const cwd = options.cwd === undefined ? ctx.workDir : resolve(ctx.workDir, options.cwd)
    // spawn reports a missing cwd as ENOENT of the program, which would blame the wrong thing.
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
      throw new BackendError('bad_options', `with.cwd: the directory ${cwd} does not exist`, {
        retryable: false,
      })
    }

    const key = attemptKey(ctx)
    const lines = (stream: 'stdout' | 'stderr') =>
      function* (line: unknown) {
        const text = String(line).replace(/\r?\n$/, '')
        if (!signal.aborted)
          emit(ctx, { type: 'log', level: stream === 'stderr' ? 'info' : 'debug', message: text, stream })
        yield line
      }

    const releaseExitCleanup = holdExitCleanup()
    const subprocess = releasingOnThrow(releaseExitCleanup, () =>
      execa(file, args, {
        cwd,
        env: options.env ?? {},
        extendEnv: true,
        // The whole point: arguments reach the program as they are, so `$(…)`, `;` and `|` in a
        // template value are text, not shell syntax.
        shell: false,
        // Its own process group, so cancel can signal the command and everything it started.
        detached: process.platform !== 'win32',
        // Covers a non-detached child (Windows); detached groups are cleaned up by trackGroup.
        cleanup: true,
        reject: false,
        stripFinalNewline: false,
        windowsHide: true,
        // weft decides when to escalate to SIGKILL (killGraceMs), not execa.
        forceKillAfterDelay: false,
        ...(options.stdin !== undefined ? { input: options.stdin } : { stdin: 'ignore' as const }),
        stderr: { transform: lines('stderr'), preserveNewlines: true },
        ...(options.logStdout ? { stdout: { transform: lines('stdout'), preserveNewlines: true } } : {}),
      }),
    )
    const pid = subprocess.pid

    let stopping: Promise<void> | undefined
    let disposed = false
    const stopGroup = () => {
      if (pid === undefined) return
      stopping ??= terminateGroup(pid, killGraceMs)
    }
    if (pid !== undefined) {
      trackGroup(pid)
      running.set(key, {
        pid,
        stop: () => {
          disposed = true
          stopGroup()
        },
      })
      if (pausedEarly.has(key)) signalGroup(pid, 'SIGSTOP')
      // Processes the command left behind in its group (`daemon &`) end with it; otherwise they
      // would hold stdout open, and the task would never finish, or outlive it as orphans.
      subprocess.once('exit', () => {
        if (groupExists(pid)) stopGroup()
        else untrackGroup(pid)
      })
    }
    // Normally the command exits on SIGTERM/SIGKILL and execa settles. A grandchild that left the
    // group (setsid) could hold the pipes open forever, so after the kill, stop waiting for them.
    let abandon!: () => void
    const abandoned = new Promise<undefined>((r) => (abandon = () => r(undefined)))
    const onAbort = () => {
      stopGroup()
      void (stopping ?? Promise.resolve()).then(() => delay(PIPE_CLOSE_MS)).then(abandon)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })

    try {
      const result = await Promise.race([subprocess, abandoned])
      if (signal.aborted || result === undefined) {
        if (result === undefined) destroyPipes(subprocess)
        throw abortError(signal)
      }
      if (disposed)
        throw new BackendError('canceled', `the '${id}' backend was disposed while the command ran`, {
          retryable: false,
        })
      if (result.exitCode === 0 && !result.failed) {
        const stdout = String(result.stdout ?? '')
        return { output: parseStdout(stdout, options.parseJson), text: stdout }
      }
      throw failure(file, options, result)
    } finally {
      releaseExitCleanup()
      signal.removeEventListener('abort', onAbort)
      running.delete(key)
      pausedEarly.delete(key)
    }
  }

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id,
    label: 'Shell command',
    capabilities: {
      streaming: false,
      events: true,
      cancel: true,
      pause: true,
      resumeSession: false,
      usage: false,
      tools: false,
    },
    optionsSchema: ShellOptionsSchema,

    execute,

    async pause(ctx) {
      const key = attemptKey(ctx)
      pausedEarly.add(key)
      const r = running.get(key)
      if (r) signalGroup(r.pid, 'SIGSTOP')
    },

    async resume(ctx) {
      const key = attemptKey(ctx)
      pausedEarly.delete(key)
      const r = running.get(key)
      if (r) signalGroup(r.pid, 'SIGCONT')
    },

    async healthcheck() {
      return {
        ok: true,
        details: `runs commands without a shell on ${process.platform}`,
        version: process.version,
      }
    },

    /** Ends every command this backend still runs (and their process groups). */
    async dispose() {
      for (const r of running.values()) r.stop()
      pausedEarly.clear()
    },
  }
}

function attemptKey(ctx: Pick<TaskContext, 'runId' | 'taskId' | 'attempt'>): string {
  return `${ctx.runId}\u0000${ctx.taskId}\u0000${ctx.attempt}`
}

function emit(ctx: TaskContext, event: BackendEvent): void {
  try {
    ctx.emit(event)
  } catch {
    // A listener's problem must not kill the command's output pipe.
  }
}

/** The runtime parses `with` already; callers that use the backend directly may not have. */
function parseOptions(id: string, raw: unknown): ShellOptions {
  const parsed = ShellOptionsSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `with${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`)
      .join('; ')
    throw new BackendError('bad_options', `bad options for backend '${id}': ${detail}`, { retryable: false })
  }
  return parsed.data
}

/** Says why the signal aborted, as the error the runtime expects of a stopped backend. */
function abortError(signal: AbortSignal): BackendError {
  const reason = signal.reason as { kind?: unknown; message?: unknown } | undefined
  const message = typeof reason?.message === 'string' ? reason.message : 'the command was canceled'
  return reason?.kind === 'timeout'
    ? new BackendError('timeout', message)
    : new BackendError('canceled', message, { retryable: false })
}

interface FailedResult {
  isMaxBuffer?: boolean
  exitCode?: number
  signal?: string
  stderr?: unknown
  cause?: unknown
  shortMessage?: string
}

function failure(file: string, options: ShellOptions, result: FailedResult): BackendError {
  const cause = result.cause as NodeJS.ErrnoException | undefined
  if (cause?.code === 'ENOENT') {
    return new BackendError(
      'not_installed',
      `command not found: '${file}'. Install it or put it on PATH` +
        (file.includes('/') ? '' : ` (PATH=${process.env.PATH ?? ''})`) +
        (/\s/.test(file) ? '; command[0] is the program only: give its arguments as further items' : ''),
      { retryable: false, details: { binary: file }, cause },
    )
  }
  if (cause?.code === 'EACCES') {
    return new BackendError('failed', `cannot run '${file}': permission denied (is it executable?)`, {
      retryable: false,
      cause,
    })
  }
  if (result.isMaxBuffer) {
    return new BackendError(
      'bad_output',
      `'${file}' wrote more output than weft keeps (100 MB); write it to a file instead`,
      { retryable: false },
    )
  }
  const stderr = tail(String(result.stderr ?? ''))
  if (result.exitCode !== undefined) {
    return new BackendError(
      'exit_code',
      `'${options.command.join(' ')}' exited with code ${result.exitCode}${stderr ? `: ${stderr}` : ''}`,
      {
        retryable: false,
        exitCode: result.exitCode,
        details: { command: options.command, stderr },
      },
    )
  }
  if (result.signal) {
    return new BackendError(
      'exit_code',
      `'${file}' was killed by ${result.signal}${stderr ? `: ${stderr}` : ''}`,
      {
        retryable: false,
        details: { signal: result.signal, stderr },
      },
    )
  }
  return new BackendError('failed', result.shortMessage ?? `'${file}' failed`, {
    retryable: false,
    ...(cause ? { cause } : {}),
  })
}

/** Runs `fn`; if it throws, calls `release` first, so a failed spawn does not keep a hold. */
function releasingOnThrow<T>(release: () => void, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    release()
    throw err
  }
}

/** Closing our ends of the pipes lets execa settle instead of leaving a promise pending. */
function destroyPipes(subprocess: { stdout: unknown; stderr: unknown }): void {
  for (const stream of [subprocess.stdout, subprocess.stderr])
    (stream as { destroy?: () => void } | null)?.destroy?.()
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
