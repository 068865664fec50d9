import {
  AGENT_CLI_CAPABILITIES,
  AGENT_CLI_RETRY,
  attemptKey,
  beginCliAttempt,
  promptOf,
  subprocessError,
  tail,
  traceEnv,
  workingDirectory,
} from '@weft/plugin-kit'
import { DETACHED_SPAWN, eachLine, GroupRuns } from '@weft/process'
import {
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  type BackendError,
  type BackendHealth,
  type TaskRequest,
} from '@weft/spec'
import { execa } from 'execa'
import { INSTALL_HINT, resolveBinary } from './binary.js'
import { ClaudeStream } from './claude-stream.js'
import { type ClaudeCodeOptions, ClaudeCodeOptionsSchema } from './options.js'
import { STUB_TRANSCRIPT } from './stub-transcript.js'

/** Why the run stopped, when the abort reason does not say. */
const CANCELED = 'the Claude Code run was canceled'

export interface ClaudeCodeBackendOptions {
  /** The name workflows use in `backend:`. Default `claude-code`. */
  id?: string
  /** The `claude` executable; `with.binary` overrides it. Default: node_modules/.bin, else PATH. */
  binary?: string
  /** The environment the CLI starts with (`with.env` is merged over it). Default `process.env`. */
  env?: Record<string, string | undefined>
  /** Replay a recorded transcript instead of running the CLI. Default: `WEFT_STUB=1`. */
  stub?: boolean
  /** After SIGTERM, how long a canceled CLI may take to exit before SIGKILL. Default 2000 ms. */
  killGraceMs?: number
  /** How long the healthcheck waits for `claude --version`. Default 10000 ms. */
  healthTimeoutMs?: number
}

const DEFAULT_KILL_GRACE_MS = 2000
const STDERR_KEEP = 8000

/** Creates the backend that runs each task as `claude -p <prompt> --output-format stream-json`. */
export function createClaudeCodeBackend(backendOptions: ClaudeCodeBackendOptions = {}): Backend {
  const id = backendOptions.id ?? 'claude-code'
  const baseEnv = () => backendOptions.env ?? process.env
  const killGraceMs = backendOptions.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  const runs = new GroupRuns()
  const stubOf = (options: Partial<ClaudeCodeOptions>) =>
    backendOptions.stub ?? options.stub ?? baseEnv().WEFT_STUB === '1'

  const execute: Backend['execute'] = async (request, ctx) => {
    const {
      options,
      emit,
      parser: stream,
      stubbed,
    } = beginCliAttempt(request, ctx, {
      id,
      schema: ClaudeCodeOptionsSchema,
      canceled: CANCELED,
      stubOf,
      stubMessage: 'stub mode: replaying a recorded Claude Code transcript',
      transcript: STUB_TRANSCRIPT,
      parser: (emit, options) => new ClaudeStream(emit, options.logRaw === true),
    })
    if (stubbed) return stream.result()

    const cwd = workingDirectory(ctx.workDir, options.cwd)
    const env: Record<string, string | undefined> = {
      ...baseEnv(),
      ...traceEnv(request),
      ...(options.env ?? {}),
    }
    const binary = resolveBinary(options.binary ?? backendOptions.binary, cwd, env)
    const args = argsOf(request, options)

    let stderr = ''
    const result = await runs.run(
      attemptKey(ctx),
      () => {
        const subprocess = execa(binary, args, {
          ...DETACHED_SPAWN,
          cwd,
          env,
          extendEnv: false,
          // claude waits for stdin when it is an open pipe: close it.
          stdin: 'ignore',
          // Parsed line by line as it arrives; nothing of stdout is kept in memory.
          stdout: eachLine((line) => stream.onLine(line)),
          stderr: eachLine((line) => {
            stderr = `${stderr}${line}\n`.slice(-STDERR_KEEP)
            emit({ type: 'log', level: 'info', message: line, stream: 'stderr' })
          }),
        })
        // The prompt stays out of the log; the flags (and the pid, for debugging) go in.
        emit({
          type: 'log',
          level: 'debug',
          message: `started ${binary} (pid ${subprocess.pid ?? '?'}): ${args.map((a, i) => (i === 1 ? '<prompt>' : a)).join(' ')}`,
        })
        return subprocess
      },
      {
        signal: ctx.signal,
        graceMs: killGraceMs,
        // The tree: claude starts tools in sessions of their own (setsid).
        tree: true,
        emit: ctx.emit,
        canceled: CANCELED,
        disposed: `the '${id}' backend was disposed while claude ran`,
      },
    )
    const notFound = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
    // A result line says what happened, whatever the exit code (1 on every is_error result).
    if (stream.done && !notFound) return stream.result()
    if (notFound || (result.exitCode !== undefined && result.exitCode !== 0) || result.signal)
      throw subprocessError(result, {
        label: 'claude',
        program: binary,
        stderr: tail(stderr),
        notInstalled: { message: `cannot run ${binary}: not found`, hint: INSTALL_HINT },
      })
    return stream.result()
  }

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id,
    label: 'Claude Code CLI',
    capabilities: AGENT_CLI_CAPABILITIES,
    optionsSchema: ClaudeCodeOptionsSchema,
    // The CLI's own retries are best turned off (CLAUDE_CODE_MAX_RETRIES=0); weft retries instead.
    retry: AGENT_CLI_RETRY,
    execute,
    ...runs.controls(attemptKey),

    async healthcheck(): Promise<BackendHealth> {
      if (stubOf({})) return { ok: true, details: 'stub mode: replays a recorded transcript, no CLI run' }
      const env = baseEnv()
      const auth = env.ANTHROPIC_API_KEY
        ? 'ANTHROPIC_API_KEY set'
        : env.ANTHROPIC_AUTH_TOKEN
          ? 'ANTHROPIC_AUTH_TOKEN set'
          : 'no ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN (a `claude` login may still work)'
      let binary: string
      try {
        binary = resolveBinary(backendOptions.binary, process.cwd(), env)
      } catch (err) {
        const e = err as BackendError
        return { ok: false, details: `${e.message}; ${e.hint ?? ''}`.trim() }
      }
      const r = await execa(binary, ['--version'], {
        env,
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
        timeout: backendOptions.healthTimeoutMs ?? 10_000,
      })
      if (r.exitCode !== 0)
        return {
          ok: false,
          details: `${binary} --version failed: ${tail(String(r.stderr ?? r.shortMessage))}`,
        }
      const version = String(r.stdout).trim().split(/\s+/)[0] ?? ''
      return { ok: true, version, details: `${binary} ${String(r.stdout).trim()}; ${auth}` }
    },

    /** Ends every CLI this backend still runs (and their process groups). */
    async dispose() {
      runs.stopAll()
    },
  }
}

/** `claude -p <prompt> --output-format stream-json --verbose` and the flags `with` asks for. */
export function argsOf(request: TaskRequest, options: ClaudeCodeOptions): string[] {
  const args = ['-p', promptOf(request), '--output-format', 'stream-json', '--verbose']
  const model = options.model ?? request.model
  if (model) args.push('--model', model)
  if (options.maxTurns !== undefined) args.push('--max-turns', String(options.maxTurns))
  if (options.allowedTools?.length) args.push('--allowedTools', options.allowedTools.join(','))
  if (options.permissionMode) args.push('--permission-mode', options.permissionMode)
  if (options.appendSystemPrompt !== undefined)
    args.push('--append-system-prompt', options.appendSystemPrompt)
  if (options.maxBudgetUsd !== undefined) args.push('--max-budget-usd', String(options.maxBudgetUsd))
  if (options.includePartialMessages) args.push('--include-partial-messages')
  if (request.sessionId) args.push('--resume', request.sessionId)
  if (options.extraArgs) args.push(...options.extraArgs)
  return args
}
