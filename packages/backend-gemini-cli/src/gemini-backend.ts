import {
  AGENT_CLI_CAPABILITIES,
  AGENT_CLI_RETRY,
  attemptKey,
  beginCliAttempt,
  findExecutable,
  promptOf,
  tail,
  traceEnv,
  workingDirectory,
} from '@weft/plugin-kit'
import { DETACHED_SPAWN, eachLine, GroupRuns } from '@weft/process'
import { BACKEND_SPECIFICATION_VERSION, type Backend, BackendError, type BackendHealth } from '@weft/spec'
import { execa } from 'execa'
import { exitError } from './exit-codes.js'
import { type GeminiCliOptions, GeminiCliOptionsSchema } from './options.js'
import { StreamJsonParser } from './stream-json.js'
import { STUB_TRANSCRIPT } from './stub-transcript.js'

/** Why the run stopped, when the abort reason does not say. */
const CANCELED = 'the Gemini CLI run was canceled'

export interface GeminiCliBackendOptions {
  /** The name workflows use in `backend:`. Default `gemini-cli`. */
  id?: string
  /** The `gemini` executable; a task's `with.binary` overrides it. */
  binary?: string
  /** Used when neither `with.model` nor the task's `model:` says. Default: the CLI's own choice. */
  model?: string
  /** Environment for every run, on top of `process.env` (a task's `with.env` goes on top of it). */
  env?: Record<string, string>
  /** Replay a recorded transcript instead of running the CLI. Default: `WEFT_STUB=1`. */
  stub?: boolean
  /** After SIGTERM, how long a canceled CLI may take to exit before SIGKILL. Default 2000 ms. */
  killGraceMs?: number
}

const DEFAULT_KILL_GRACE_MS = 2000
const INSTALL_HINT = 'install it with `npm i -g @google/gemini-cli`, or set with.binary to its path'
/** The CLI's cosmetic warnings, left out of the stderr quoted in errors. */
const COSMETIC = /^Warning: 256-color support|^Ripgrep is not available/

/** Creates the backend that runs each task through `gemini -p … --output-format stream-json`. */
export function createGeminiCliBackend(backendOptions: GeminiCliBackendOptions = {}): Backend {
  const id = backendOptions.id ?? 'gemini-cli'
  const killGraceMs = backendOptions.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  const runs = new GroupRuns()

  const envOf = (options: Partial<GeminiCliOptions>): Record<string, string | undefined> => ({
    ...process.env,
    ...backendOptions.env,
    ...options.env,
  })
  const stubOf = (options: Partial<GeminiCliOptions>) =>
    backendOptions.stub ?? options.stub ?? envOf(options).WEFT_STUB === '1'
  const binaryOf = (options: Partial<GeminiCliOptions>, dir: string) => {
    const explicit = options.binary ?? backendOptions.binary
    const found = findExecutable('gemini', {
      explicit,
      cwd: dir,
      from: [dir, process.cwd()],
      env: envOf(options),
    })
    if (found.path) return found.path
    // The first places and the last (PATH) say enough; the folders in between are their parents.
    const { tried } = found
    const shown = tried.length > 4 ? [...tried.slice(0, 3), '…', tried.at(-1)] : tried
    throw new BackendError('not_installed', `the Gemini CLI was not found (looked at ${shown.join(', ')})`, {
      retryable: false,
      hint: INSTALL_HINT,
      details: { binary: explicit ?? 'gemini' },
    })
  }

  const execute: Backend['execute'] = async (request, ctx) => {
    const { options, emit, parser, stubbed } = beginCliAttempt(request, ctx, {
      id,
      schema: GeminiCliOptionsSchema,
      canceled: CANCELED,
      stubOf,
      stubMessage: 'stub mode: replaying a recorded Gemini CLI transcript, no CLI run',
      transcript: STUB_TRANSCRIPT,
      parser: (emit, options) => new StreamJsonParser(emit, options.logRaw === true),
    })
    if (stubbed) return parser.result()

    const cwd = workingDirectory(ctx.workDir, options.cwd)
    const binary = binaryOf(options, cwd)
    const model = options.model ?? request.model ?? backendOptions.model
    const args = [
      // `--prompt=…` keeps a prompt that starts with '-' from being read as a flag.
      `--prompt=${promptOf(request)}`,
      '--output-format',
      'stream-json',
      ...(model ? ['-m', model] : []),
      ...(options.approvalMode ? ['--approval-mode', options.approvalMode] : []),
      '--skip-trust',
      ...(request.sessionId ? ['--resume', request.sessionId] : []),
      ...(options.extraArgs ?? []),
    ]

    const result = await runs.run(
      attemptKey(ctx),
      () =>
        execa(binary, args, {
          ...DETACHED_SPAWN,
          cwd,
          env: { ...backendOptions.env, ...traceEnv(request), ...options.env },
          extendEnv: true,
          // The CLI reads stdin when it is open; a closed stdin keeps it from waiting.
          stdin: 'ignore',
          // Each line is parsed as it arrives; none is kept (the parser can log them: logRaw).
          stdout: eachLine((line) => parser.onLine(line)),
          stderr: eachLine(
            (line) => {
              if (line.trim() !== '') emit({ type: 'log', level: 'debug', message: line, stream: 'stderr' })
            },
            { keep: true },
          ),
        }),
      {
        signal: ctx.signal,
        graceMs: killGraceMs,
        emit: ctx.emit,
        canceled: CANCELED,
        disposed: `the '${id}' backend was disposed while the CLI ran`,
      },
    )
    const stderr = tail(String(result.stderr ?? ''), { skip: COSMETIC })
    const cause = result.cause as NodeJS.ErrnoException | undefined
    if (cause?.code === 'ENOENT')
      throw new BackendError('not_installed', `cannot run '${binary}': not found`, {
        retryable: false,
        hint: INSTALL_HINT,
        cause,
      })
    if (result.exitCode === 0) {
      if (parser.resultError)
        throw new BackendError('failed', `gemini reported an error: ${parser.resultError.message}`, {
          retryable: false,
          details: { error: parser.resultError.message },
        })
      if (!parser.finished)
        throw new BackendError('bad_output', 'gemini exited without its final result line', {
          retryable: true,
          details: { stderr },
        })
      return parser.result()
    }
    if (result.exitCode !== undefined) throw exitError(result.exitCode, stderr, parser.resultError)
    throw new BackendError(
      'exit_code',
      `gemini was ended by ${result.signal ?? 'an unknown cause'}${stderr ? `: ${stderr}` : ''}`,
      { retryable: false, details: { signal: result.signal ?? null, stderr } },
    )
  }

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id,
    label: 'Gemini CLI',
    capabilities: AGENT_CLI_CAPABILITIES,
    optionsSchema: GeminiCliOptionsSchema,
    // Rate limits and server errors pass; the CLI's own retries are for the user to configure.
    retry: AGENT_CLI_RETRY,
    execute,
    ...runs.controls(attemptKey),

    async healthcheck(): Promise<BackendHealth> {
      if (stubOf({})) return { ok: true, details: 'stub mode: replays a recorded transcript, no CLI run' }
      const env = envOf({})
      const key = env.GEMINI_API_KEY
        ? 'GEMINI_API_KEY set'
        : 'GEMINI_API_KEY not set (fine if you signed in with Google)'
      let binary: string
      try {
        binary = binaryOf({}, process.cwd())
      } catch (err) {
        return { ok: false, details: `${(err as Error).message}; ${INSTALL_HINT}; ${key}` }
      }
      const version = await execa(binary, ['--version'], {
        env: { ...backendOptions.env },
        stdin: 'ignore',
        reject: false,
        timeout: 30_000,
      })
      const v = String(version.stdout ?? '').trim()
      if (version.exitCode !== 0 || v === '')
        return {
          ok: false,
          details: `'${binary} --version' failed: ${tail(String(version.stderr ?? ''), { skip: COSMETIC })}; ${key}`,
        }
      return { ok: true, version: v, details: `gemini ${v} at ${binary}; ${key}` }
    },

    async dispose() {
      runs.stopAll()
    },
  }
}
