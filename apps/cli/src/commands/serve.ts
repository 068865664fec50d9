import { dirname } from 'node:path'
import { createShellBackend } from '@weft/backend-shell'
import { scheduleStoreOf, startScheduleRunner } from '@weft/core'
import { type Command, Option } from 'commander'
import { createCliRuntime, loadCliConfig } from '../compose.js'
import type { CliContext } from '../context.js'
import { createCliDataflow } from '../dataflow/compose.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { resolveServeSettings, type ServeFlags } from '../serve/settings.js'
import { cliVersion } from '../version.js'
import { nonNegativeInt, positiveInt, storeOption } from './flags.js'

export interface ServeOptions extends ServeFlags {
  store?: string
}

export function configureServeCommand(command: Command, ctx: CliContext): void {
  command
    .option('--host <host>', 'address to listen on (default: $WEFT_HOST, the config, 127.0.0.1)')
    .option(
      '--port <port>',
      'port (default: $WEFT_PORT, the config, 8787; 0 = any free port)',
      nonNegativeInt,
    )
    .option('--workflows <dir>', 'folder of workflows that POST /runs can start by name')
    .option('--max-queued <n>', 'answer 429 when this many runs are unfinished', positiveInt)
    .addOption(
      new Option('--log-level <level>', 'log level (default: $WEFT_LOG_LEVEL, the config, info)').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .addOption(storeOption())
    .addHelpText(
      'after',
      `
API keys: server.apiKeys in weft.config, $WEFT_API_KEY (one key with every scope), or
$WEFT_API_KEYS=name:scopes:key,… (scopes read, write, admin joined with +). With no key the
server listens on 127.0.0.1 only. Logs are JSON lines on stdout. SIGTERM or Ctrl-C stops it
gracefully: streams end, running tasks get server.shutdownGraceMs, the rest are handed over.`,
    )
    .action(async (opts: ServeOptions) => {
      ctx.exitCode = await serveCommand(opts, ctx.io)
    })
}

/**
 * Composes the runtime like every `weft` command (config, plugins, store), recovers the runs that
 * an earlier process left unfinished, and serves until SIGTERM/SIGINT.
 */
export async function serveCommand(
  opts: ServeOptions,
  io: CliIo,
  control: { signal?: AbortSignal; onListening?: (url: string) => void } = {},
): Promise<number> {
  const { config, configFile } = await loadCliConfig(io.cwd)
  const settings = resolveServeSettings({
    flags: opts,
    env: io.env,
    ...(config.server ? { config: config.server } : {}),
    configDir: configFile ? dirname(configFile) : io.cwd,
    ...(configFile ? { configFile } : {}),
    cwd: io.cwd,
  })
  // Loaded here, not at the top: the server stack (Hono, ws, prom-client, pino) costs about 100 ms
  // of start-up that every other command would pay (`pnpm bench --only cold-start`).
  const [{ createServer, createServerMetrics, instrumentStore }, { pino }, { uiAssetsDir, uiIsBuilt }] =
    await Promise.all([import('@weft/server'), import('pino'), import('@weft/ui')])
  const logger = pino(
    { level: settings.logLevel, base: { service: 'weft-server' } },
    { write: (line: string) => void io.stdout.write(line) },
  )
  const metrics = createServerMetrics()
  const cli = await createCliRuntime({
    cwd: io.cwd,
    env: io.env,
    ...(opts.store ? { store: opts.store } : {}),
    wrapStore: (store) => instrumentStore(store, metrics),
    // Shell tasks run inside server.policy.shellCwdRoot (replaces the built-in shell backend).
    backends: [createShellBackend({ cwdRoot: settings.policy.shellCwdRoot })],
    reporter: { warn: (message, context) => logger.warn({ context }, message) },
    ...(settings.workflowsDir ? { workflowsDir: settings.workflowsDir } : {}),
  })
  const { runtime } = cli
  logger.info(
    {
      version: cliVersion(),
      store: cli.store.display,
      config: configFile ?? null,
      backends: [...runtime.backends.keys()],
    },
    'starting',
  )

  // Runs whose process stopped (a crash, a deploy) continue here; their finished tasks are kept.
  // Runs a live lease still holds are tried again in the background until they are taken.
  for (const report of await runtime.recover({ keepTrying: true })) {
    logger.info(
      {
        runId: report.runId,
        outcome: report.outcome,
        interrupted: report.interrupted,
        kept: report.kept?.length,
      },
      'recovery',
    )
  }

  // The web page at `/` (built by `pnpm build`; until then `/` says how to build it).
  // WEFT_UI_DIR: another build of the page (a fork, a branch) instead of @weft/ui's own.
  const uiDir = io.env.WEFT_UI_DIR || uiAssetsDir()
  if (!uiIsBuilt(uiDir)) logger.warn({ dir: uiDir }, 'the web page is not built: run pnpm build')
  const server = createServer(runtime, {
    version: cliVersion(),
    ui: { dir: uiDir },
    metrics,
    logger,
    ...(settings.keys.length ? { auth: { keys: settings.keys } } : {}),
    ...(settings.workflowsDir ? { workflowsDir: settings.workflowsDir } : {}),
    ...(settings.maxQueuedRuns !== undefined ? { maxQueuedRuns: settings.maxQueuedRuns } : {}),
    ...(settings.maxBodyBytes !== undefined ? { maxBodyBytes: settings.maxBodyBytes } : {}),
    ...(settings.cors ? { cors: settings.cors } : {}),
    ...(settings.allowedHosts ? { allowedHosts: settings.allowedHosts } : {}),
    policy: { ...settings.policy, workDir: io.cwd, agents: cli.config.agents },
    // Dataflow executions get the plugins' components, every backend, the prices and the budget.
    dataflow: createCliDataflow(cli, io),
    ...(settings.limits?.maxWorkflowBytes ? { maxWorkflowBytes: settings.limits.maxWorkflowBytes } : {}),
    ...(settings.limits?.maxTasksPerRun ? { maxTasksPerRun: settings.limits.maxTasksPerRun } : {}),
  })
  const address = await server.listen({ host: settings.host, port: settings.port })
  // `ready`: recovery is done and requests are served (the server itself logs `weft server listening`).
  logger.info(
    {
      url: address.url,
      page: `${address.url}/`,
      auth: settings.keys.length ? settings.keys.map((k) => `${k.name}:${k.scopes.join('+')}`) : 'none',
      workflowsDir: settings.workflowsDir ?? null,
      maxQueuedRuns: settings.maxQueuedRuns ?? null,
    },
    'ready',
  )
  // Cron schedules of the store (and the `schedules:` of the folder's workflows, synced first): each
  // tick is claimed in the store, so several servers on one store start each tick's run once.
  const pollMs = schedulePollMs(io.env)
  const schedules = scheduleStoreOf(runtime.store)
    ? await startScheduleRunner({
        runtime,
        ...(settings.workflowsDir ? { workflowsDir: settings.workflowsDir } : {}),
        ...(pollMs ? { pollMs } : {}),
        logger: {
          info: (data, message) => logger.info(data, message),
          warn: (data, message) => logger.warn(data, message),
        },
      })
    : undefined
  if (schedules) logger.info({ startedAt: new Date(schedules.startedAt).toISOString() }, 'schedules started')
  else logger.info({ store: cli.store.display }, 'schedules: unsupported by this store, none will run')
  control.onListening?.(address.url)

  const reason = await stopRequested(control.signal)
  logger.info({ reason, graceMs: settings.graceMs }, 'shutting down')
  await schedules?.stop()
  // The server first (no new requests, streams end with a final message), then the runtime:
  // running tasks get the grace period, the rest are recorded as interrupted for the next start.
  await server.close({ graceMs: settings.graceMs })
  await runtime.shutdown({ graceMs: settings.graceMs })
  logger.info({}, 'stopped')
  return ExitCode.ok
}

/** Resolves on SIGTERM or SIGINT (a second one exits at once), or when `signal` aborts. */
function stopRequested(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false
    const onSignal = (name: NodeJS.Signals) => {
      if (stopping) process.exit(ExitCode.failed)
      stopping = true
      resolve(name)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true })
  })
}

/** `WEFT_SCHEDULE_POLL_MS`: how often the schedule runner looks for added and removed schedules. */
function schedulePollMs(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.WEFT_SCHEDULE_POLL_MS)
  return Number.isInteger(ms) && ms >= 100 ? ms : undefined
}
