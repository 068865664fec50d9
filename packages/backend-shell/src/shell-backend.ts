import { realpathSync } from 'node:fs'
import { isAbsolute, relative, sep } from 'node:path'
import {
  abortError,
  attemptEmitter,
  attemptKey,
  parseOptions,
  subprocessError,
  tail,
  traceEnv,
  workingDirectory,
} from '@weft/plugin-kit'
import { DETACHED_SPAWN, eachLine, GroupRuns } from '@weft/process'
import { BACKEND_SPECIFICATION_VERSION, type Backend, BackendError } from '@weft/spec'
import { execa } from 'execa'
import { type ShellOptions, ShellOptionsSchema } from './options.js'
import { commandLabel, parseStdout } from './output.js'

/** Why the run stopped, when the abort reason does not say. */
const CANCELED = 'the command was canceled'

export interface ShellBackendOptions {
  /** After SIGTERM, how long a canceled command may take to exit before SIGKILL. Default 2000 ms. */
  killGraceMs?: number
  /** The name workflows use in `backend:`. Default `shell`. */
  id?: string
  /**
   * Confines commands to this folder: a task's working directory (its `cwd`, or the runtime's
   * `workDir` without one) must be this folder or inside it once `..` and symlinks are resolved,
   * or the task fails with `bad_options`. A server sets it so that a caller cannot run commands in
   * `/etc` or `../../..`. Default: no confinement.
   */
  cwdRoot?: string
}

const DEFAULT_KILL_GRACE_MS = 2000

/** Creates the backend that runs `with.command` as a child process, never through a shell. */
export function createShellBackend(backendOptions: ShellBackendOptions = {}): Backend {
  const id = backendOptions.id ?? 'shell'
  const killGraceMs = backendOptions.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  const runs = new GroupRuns()

  const execute: Backend['execute'] = async (request, ctx) => {
    const options = parseOptions(ShellOptionsSchema, id, request.options)
    const { signal } = ctx
    if (signal.aborted) throw abortError(signal, CANCELED)
    // A listener's problem must not kill the command's output pipe.
    const emit = attemptEmitter(ctx)

    const [file, ...args] = options.command as [string, ...string[]]
    let cwd = workingDirectory(ctx.workDir, options.cwd)
    if (backendOptions.cwdRoot !== undefined) cwd = confine(cwd, backendOptions.cwdRoot, options.cwd)

    const lines = (stream: 'stdout' | 'stderr') => ({
      ...eachLine(
        (line) => {
          const text = line.replace(/\r?\n$/, '')
          emit({ type: 'log', level: stream === 'stderr' ? 'info' : 'debug', message: text, stream })
        },
        { keep: true },
      ),
      preserveNewlines: true,
    })

    const result = await runs.run(
      attemptKey(ctx),
      () =>
        execa(file, args, {
          ...DETACHED_SPAWN,
          cwd,
          // The attempt's trace (TRACEPARENT) first: a task's own `env` wins.
          env: { ...traceEnv(request), ...(options.env ?? {}) },
          extendEnv: true,
          // No shell (DETACHED_SPAWN) is the whole point: arguments reach the program as they are,
          // so `$(…)`, `;` and `|` in a template value are text, not shell syntax.
          stripFinalNewline: false,
          ...(options.stdin !== undefined ? { input: options.stdin } : { stdin: 'ignore' as const }),
          stderr: lines('stderr'),
          ...(options.logStdout ? { stdout: lines('stdout') } : {}),
        }),
      {
        signal,
        graceMs: killGraceMs,
        emit: ctx.emit,
        canceled: CANCELED,
        disposed: `the '${id}' backend was disposed while the command ran`,
      },
    )
    if (result.exitCode === 0 && !result.failed) {
      const stdout = String(result.stdout ?? '')
      return { output: parseStdout(stdout, options.parseJson), text: stdout }
    }
    throw failure(file, options, result)
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
    // What a command can fail with; `retry: { on: [exit_code] }` opts in to retrying exit codes.
    errorCodes: ['exit_code', 'not_installed', 'failed', 'bad_output', 'bad_options', 'timeout', 'canceled'],
    // A command taken whole from an input is refused at validation unless the workflow opts in.
    commandFields: ['command'],

    execute,
    ...runs.controls(attemptKey),

    async healthcheck() {
      return {
        ok: true,
        details: `runs commands without a shell on ${process.platform}`,
        version: process.version,
      }
    },

    /** Ends every command this backend still runs (and their process groups). */
    async dispose() {
      runs.stopAll()
    },
  }
}

interface FailedResult {
  isMaxBuffer?: boolean
  exitCode?: number
  signal?: string
  stderr?: unknown
  cause?: unknown
  shortMessage?: string
}

/**
 * The real path of `cwd` when it is `root` or inside it (after `..` and symlinks); the command runs
 * there, so a symlink swapped after this check cannot move it elsewhere.
 */
function confine(cwd: string, root: string, given: string | undefined): string {
  let realRoot: string
  try {
    realRoot = realpathSync(root)
  } catch {
    throw new BackendError('bad_options', `the shell backend's cwdRoot ${root} does not exist`, {
      retryable: false,
    })
  }
  const real = realpathSync(cwd)
  const rel = relative(realRoot, real)
  if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))) return real
  const what = given === undefined ? `the working directory ${cwd}` : `with.cwd '${given}' (${real})`
  throw new BackendError(
    'bad_options',
    `${what} is outside ${realRoot}, the folder shell tasks are confined to`,
    {
      retryable: false,
      hint: `use a cwd inside ${realRoot} (the shell backend's cwdRoot)`,
    },
  )
}

function failure(file: string, options: ShellOptions, result: FailedResult): BackendError {
  if (result.isMaxBuffer)
    return new BackendError(
      'bad_output',
      `'${file}' wrote more output than weft keeps (100 MB); write it to a file instead`,
      { retryable: false },
    )
  return subprocessError(result, {
    label: commandLabel(options.command),
    program: file,
    stderr: tail(String(result.stderr ?? '')),
    notInstalled: {
      message:
        `command not found: '${file}'. Install it or put it on PATH` +
        (file.includes('/') ? '' : ` (PATH=${process.env.PATH ?? ''})`) +
        (/\s/.test(file) ? '; command[0] is the program only: give its arguments as further items' : ''),
    },
    details: { command: options.command },
  })
}
