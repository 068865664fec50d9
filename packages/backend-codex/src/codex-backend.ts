import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  AGENT_CLI_CAPABILITIES,
  AGENT_CLI_RETRY,
  attemptKey,
  beginCliAttempt,
  findExecutable,
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
  BackendError,
  type BackendEvent,
  type BackendHealth,
} from '@weft/spec'
import { execa } from 'execa'
import { CodexJsonl, type CodexUsage } from './jsonl.js'
import { type CodexOptions, CodexOptionsSchema } from './options.js'
import { STUB_TRANSCRIPT } from './stub-transcript.js'

/** Why the run stopped, when the abort reason does not say. */
const CANCELED = 'the Codex run was canceled'

export interface CodexBackendOptions {
  /** The name workflows use in `backend:`. Default `codex`. */
  id?: string
  /** Defaults for every task's `with` (a task's own `with` wins field by field). */
  defaults?: Omit<CodexOptions, 'stub' | 'logRaw'>
  /** Replay a recorded transcript instead of running the CLI. Default: `WEFT_STUB=1`. */
  stub?: boolean
  /** Where keys are looked up and what the CLI inherits. Default `process.env`. */
  env?: Record<string, string | undefined>
  /** After SIGTERM, how long a canceled CLI may take to exit before SIGKILL. Default 2000 ms. */
  killGraceMs?: number
}

const DEFAULT_KEY_ENV = 'OPENAI_API_KEY'
const DEFAULT_KILL_GRACE_MS = 2000
const INSTALL_HINT = 'install the Codex CLI: npm i -g @openai/codex (or set with.binary)'

/** Creates the backend that runs each task as `codex exec --json` and maps its JSONL to events. */
export function createCodexBackend(backendOptions: CodexBackendOptions = {}): Backend {
  const id = backendOptions.id ?? 'codex'
  const env = backendOptions.env ?? process.env
  const killGraceMs = backendOptions.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  const runs = new GroupRuns()
  /** Temporary CODEX_HOMEs by thread id, so a resumed thread finds its session files again. */
  const homes = new Map<string, string>()
  /** Each thread's cumulative usage after the last turn weft ran, to report deltas on resume. */
  const threadUsage = new Map<string, CodexUsage>()
  const tempHomes = new Set<string>()

  const stubOf = (options: Partial<CodexOptions>) =>
    options.stub ?? backendOptions.stub ?? env.WEFT_STUB === '1'

  const execute: Backend['execute'] = async (request, ctx) => {
    const resumeId = request.sessionId
    const { options, emit, parser, stubbed } = beginCliAttempt(request, ctx, {
      id,
      schema: CodexOptionsSchema,
      defaults: backendOptions.defaults,
      canceled: CANCELED,
      stubOf,
      stubMessage: 'stub mode: replaying a recorded Codex transcript, no CLI run',
      transcript: STUB_TRANSCRIPT,
      parser: (emit, options) => {
        const model = options.model ?? request.model
        return new CodexJsonl(emit, {
          logRaw: options.logRaw === true,
          ...(model ? { model } : {}),
          ...(resumeId && threadUsage.has(resumeId) ? { previous: threadUsage.get(resumeId) } : {}),
        })
      },
    })
    if (stubbed) return parser.result()
    const model = options.model ?? request.model

    const prompt = promptOf(request)
    const cwd = workingDirectory(ctx.workDir, options.cwd)
    const binary = resolveBinary(options.binary, ctx.workDir)
    const keyEnv = options.apiKeyEnv ?? DEFAULT_KEY_ENV
    const childEnv: Record<string, string | undefined> = { ...env, ...traceEnv(request), ...options.env }

    // CODEX_HOME: the task's, the one a resumed thread ran in, or a fresh one holding the provider.
    let codexHome = options.codexHome ?? (resumeId ? homes.get(resumeId) : undefined)
    if (options.baseUrl) {
      if (codexHome === undefined) {
        codexHome = mkdtempSync(join(tmpdir(), 'weft-codex-home-'))
        tempHomes.add(codexHome)
      }
      mkdirSync(codexHome, { recursive: true })
      writeFileSync(join(codexHome, 'config.toml'), providerConfig(options.baseUrl, keyEnv))
      if (!childEnv[keyEnv])
        throw new BackendError('auth', `no API key for ${options.baseUrl}: ${keyEnv} is not set`, {
          retryable: false,
          hint: `set ${keyEnv} (or with.apiKeyEnv), or use stub mode (WEFT_STUB=1)`,
        })
    }
    if (codexHome !== undefined) childEnv.CODEX_HOME = codexHome

    const common = ['--json', '--skip-git-repo-check', ...(model ? ['-m', model] : [])]
    const args = resumeId
      ? [
          'exec',
          'resume',
          resumeId,
          ...common,
          ...(options.sandbox ? ['-c', `sandbox_mode="${options.sandbox}"`] : []),
          ...(options.extraArgs ?? []),
          '--',
          prompt,
        ]
      : [
          'exec',
          ...common,
          ...(options.sandbox ? ['-s', options.sandbox] : []),
          '-C',
          cwd,
          ...(options.extraArgs ?? []),
          '--',
          prompt,
        ]
    emit({ type: 'log', level: 'debug', message: `${binary} ${args.slice(0, -1).join(' ')} <prompt>` })

    let result: Awaited<ReturnType<typeof spawn>>
    try {
      result = await runs.run(attemptKey(ctx), () => spawn(binary, args, cwd, childEnv, parser, emit), {
        signal: ctx.signal,
        graceMs: killGraceMs,
        emit: ctx.emit,
        canceled: CANCELED,
        disposed: `the '${id}' backend was disposed while codex ran`,
      })
    } finally {
      // Even after a cancel: a resumed thread must find its CODEX_HOME again.
      if (parser.threadId && codexHome !== undefined) homes.set(parser.threadId, codexHome)
    }
    if (parser.threadId && parser.cumulative) threadUsage.set(parser.threadId, parser.cumulative)
    if (parser.failure) throw parser.failure
    if (result.exitCode === 0 && !result.failed) return parser.result()
    throw failure(binary, result)
  }

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id,
    label: 'OpenAI Codex CLI',
    // Codex's JSONL reports whole items, no text deltas.
    capabilities: { ...AGENT_CLI_CAPABILITIES, streaming: false },
    optionsSchema: CodexOptionsSchema,
    retry: AGENT_CLI_RETRY,
    execute,
    ...runs.controls(attemptKey),

    async healthcheck(): Promise<BackendHealth> {
      if (stubOf({})) return { ok: true, details: 'stub mode: replays a recorded transcript, no CLI run' }
      const defaults = backendOptions.defaults ?? {}
      const binary = resolveBinary(defaults.binary, process.cwd())
      const keyEnv = defaults.apiKeyEnv ?? DEFAULT_KEY_ENV
      const hasKey = Boolean(env[keyEnv] ?? defaults.env?.[keyEnv])
      const home = defaults.codexHome ?? env.CODEX_HOME ?? (env.HOME ? join(env.HOME, '.codex') : undefined)
      const loggedIn = home !== undefined && existsSync(join(home, 'auth.json'))
      const auth = hasKey
        ? `key present (${keyEnv})`
        : loggedIn
          ? 'logged in (codex login)'
          : `no key: set ${keyEnv}`
      try {
        const r = await execa(binary, ['--version'], {
          stdin: 'ignore',
          reject: false,
          timeout: 10_000,
          env: { ...env },
          extendEnv: false,
        })
        const cause = (r as { cause?: NodeJS.ErrnoException }).cause
        if (cause?.code === 'ENOENT')
          return { ok: false, details: `codex not found (${binary}): ${INSTALL_HINT}` }
        const version = String(r.stdout ?? '')
          .trim()
          .replace(/^codex-cli\s+/, '')
        if (r.exitCode !== 0) return { ok: false, details: `${binary} --version exited ${r.exitCode}` }
        return { ok: hasKey || loggedIn, version, details: `codex-cli ${version} at ${binary}; ${auth}` }
      } catch (err) {
        return {
          ok: false,
          details: `cannot run ${binary}: ${err instanceof Error ? err.message : String(err)}`,
        }
      }
    },

    async dispose() {
      runs.stopAll()
      for (const dir of tempHomes) rmSync(dir, { recursive: true, force: true })
      tempHomes.clear()
      homes.clear()
    },
  }
}

/** Starts the CLI in its own process group with stdin closed, parsing stdout lines as they come. */
function spawn(
  binary: string,
  args: string[],
  cwd: string,
  env: Record<string, string | undefined>,
  parser: CodexJsonl,
  emit: (event: BackendEvent) => void,
) {
  return execa(binary, args, {
    ...DETACHED_SPAWN,
    cwd,
    env,
    extendEnv: false,
    // Codex blocks until EOF on an open stdin pipe.
    stdin: 'ignore',
    // Parsed as it arrives; nothing is kept, so a long run does not buffer its whole output.
    stdout: eachLine((line) => parser.onLine(line)),
    stderr: eachLine(
      (line) => {
        if (line.trim()) emit({ type: 'log', level: 'debug', message: line, stream: 'stderr' })
      },
      { keep: true },
    ),
  })
}

/** A provider for an OpenAI Responses endpoint, with the CLI's own retries and telemetry off. */
function providerConfig(baseUrl: string, keyEnv: string): string {
  const url = baseUrl.replace(/\/+$/, '')
  return [
    'model_provider = "weft"',
    '',
    '[model_providers.weft]',
    'name = "weft"',
    `base_url = ${JSON.stringify(url)}`,
    `env_key = ${JSON.stringify(keyEnv)}`,
    'wire_api = "responses"',
    // weft's retry policy decides; the CLI's own retries would hide failures for minutes.
    'request_max_retries = 0',
    'stream_max_retries = 0',
    'supports_websockets = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
  ].join('\n')
}

/** with.binary, else node_modules/.bin/codex (from the work dir up, then this package's), else PATH. */
function resolveBinary(binary: string | undefined, workDir: string): string {
  if (binary !== undefined) return binary.includes('/') ? resolve(workDir, binary) : binary
  // Not found: the bare name, so that spawning it reports ENOENT with the install hint.
  return findExecutable('codex', { from: [workDir, dirname(fileURLToPath(import.meta.url))] }).path ?? 'codex'
}

interface FailedResult {
  exitCode?: number
  signal?: string
  stderr?: unknown
  cause?: unknown
  shortMessage?: string
}

function failure(binary: string, result: FailedResult): BackendError {
  // Keeps the whole end of stderr (codex prints one long line per error), within 2000 characters.
  const stderr = tail(String(result.stderr ?? ''), { maxLines: 40, maxChars: 2000 })
  if (result.exitCode === 2)
    return new BackendError(
      'bad_options',
      `codex rejected its arguments (exit 2)${stderr ? `: ${stderr}` : ''}`,
      {
        retryable: false,
        exitCode: 2,
        hint: 'check with.extraArgs, with.model and with.sandbox against `codex exec --help`',
      },
    )
  return subprocessError(result, {
    label: 'codex',
    program: binary,
    stderr,
    notInstalled: { message: `the Codex CLI was not found ('${binary}')`, hint: INSTALL_HINT },
  })
}
