import { dirname } from 'node:path'
import { WeftError } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import { loadCliConfig } from '../compose.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { resolveStoreLocation } from '../store.js'
import type { WorkersConfig } from '../supervisor/config.js'
import { limitedCommand, type ToolCheck } from '../supervisor/limits.js'
import { type ChildStatus, Supervisor } from '../supervisor/supervisor.js'
import { renderTable } from '../table.js'
import { nonNegativeInt, positiveInt, storeOption } from './flags.js'

export interface AgentsUpOptions {
  count?: number
  store?: string
  namePrefix?: string
  concurrency?: number
  backends?: string
  leaseMs?: number
  graceMs?: number
  memoryMb?: number
  cpus?: string
  nice?: number
  backoffMs?: number
  maxBackoffMs?: number
  quiet?: boolean
}

export function configureAgentsUpCommand(command: Command, ctx: CliContext): void {
  command
    .option('-c, --count <n>', 'how many workers (default: `workers.count` of weft.config)', positiveInt)
    .addOption(storeOption())
    .option('--name-prefix <prefix>', 'workers are named PREFIX-1 … PREFIX-N (default: the host name)')
    .option('--concurrency <n>', 'attempts each worker runs at once (weft worker --concurrency)', positiveInt)
    .option('--backends <ids>', 'the backends each worker claims for, comma-separated (default: all)')
    .option('--lease-ms <ms>', 'the workers’ claim lease (weft worker --lease-ms)', positiveInt)
    .option(
      '--grace-ms <ms>',
      'on stop, running tasks may finish within this (weft worker --grace-ms)',
      nonNegativeInt,
    )
    .option(
      '--memory-mb <mb>',
      'memory limit per worker: its JS heap (node --max-old-space-size) and, with prlimit, 2x that of data memory per process',
      positiveInt,
    )
    .option('--cpus <list>', 'CPUs the workers and their tasks may run on (taskset -c), e.g. 0 or 0-1')
    .option('--nice <n>', 'scheduling priority of the workers and their tasks (nice -n, -20 … 19)', (v) =>
      Number(v),
    )
    .option(
      '--backoff-ms <ms>',
      'first restart delay after a crash; doubles per crash in a row (default 1000)',
      positiveInt,
    )
    .option('--max-backoff-ms <ms>', 'the restart delay never exceeds this (default 30000)', positiveInt)
    .option('-q, --quiet', 'only the supervisor’s lines, not the workers’')
    .addHelpText(
      'after',
      `
Runs until SIGTERM or Ctrl-C, which it forwards to every worker: they stop claiming, let running
tasks finish within --grace-ms, hand the rest back, and exit. A worker that crashes (killed, out
of memory, a non-zero exit) is started again under the same name after the backoff; one that
exits 0 (\`weft agents stop NAME\`) is not. Needs a PostgreSQL store, like \`weft worker\`.`,
    )
    .action(async (opts: AgentsUpOptions) => {
      ctx.exitCode = await agentsUpCommand(opts, ctx.io)
    })
}

/** What `weft agents up` starts: this same `weft`, run by this same node (dev conditions included). */
export interface WeftInvocation {
  execPath: string
  execArgv: string[]
  script: string
}

export async function agentsUpCommand(
  flags: AgentsUpOptions,
  io: CliIo,
  deps: { weft?: WeftInvocation; has?: ToolCheck; signal?: AbortSignal } = {},
): Promise<number> {
  const c = colorsFor(io.stderr, io.env)
  const { config, configFile } = await loadCliConfig(io.cwd)
  const opts = withConfig(flags, config.workers)
  const location = resolveStoreLocation({
    flag: opts.store,
    env: io.env,
    config: config.store,
    configDir: configFile ? dirname(configFile) : io.cwd,
    cwd: io.cwd,
  })
  if (location.kind !== 'postgres')
    throw new WeftError(
      'store_unsupported',
      `unsupported by this store (${location.display}): agents need a store shared by workers, e.g. --store postgres://…`,
      {
        hint: 'pass --store postgres://USER@HOST:PORT/DB (or set WEFT_STORE), the database the workers share',
      },
    )
  const weft = deps.weft ?? {
    execPath: process.execPath,
    execArgv: process.execArgv,
    script: process.argv[1]!,
  }
  const prefix = opts.namePrefix ?? (await import('node:os')).hostname()
  const workerArgs = (name: string) => [
    'worker',
    '--name',
    name,
    ...(opts.store ? ['--store', opts.store] : []),
    ...(opts.concurrency ? ['--concurrency', String(opts.concurrency)] : []),
    ...(opts.backends ? ['--backends', opts.backends] : []),
    ...(opts.leaseMs ? ['--lease-ms', String(opts.leaseMs)] : []),
    ...(opts.graceMs !== undefined ? ['--grace-ms', String(opts.graceMs)] : []),
    ...(opts.quiet ? ['--quiet'] : []),
  ]
  const limits = {
    ...(opts.memoryMb !== undefined ? { memoryMb: opts.memoryMb } : {}),
    ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
    ...(opts.nice !== undefined ? { nice: opts.nice } : {}),
  }
  const names = Array.from({ length: opts.count }, (_, i) => `${prefix}-${i + 1}`)
  const commands = names.map((name) =>
    limitedCommand(
      { execPath: weft.execPath, nodeArgs: weft.execArgv, script: weft.script, args: workerArgs(name) },
      limits,
      deps.has,
    ),
  )
  const log = (line: string) =>
    io.stderr.write(`${c.dim(new Date().toISOString())} ${c.bold('agents up')}: ${line}\n`)
  for (const w of commands[0]!.warnings) io.stderr.write(`warning: ${w}\n`)
  const supervisor = new Supervisor(
    names.map((name, i) => ({
      name,
      command: commands[i]!.command,
      args: commands[i]!.args,
      cwd: io.cwd,
      env: io.env,
    })),
    {
      log,
      ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
      ...(opts.maxBackoffMs ? { maxBackoffMs: opts.maxBackoffMs } : {}),
      // The workers' own grace, then a margin for handing back and closing the store.
      stopGraceMs: (opts.graceMs ?? 10_000) + 20_000,
      ...(opts.quiet ? {} : { output: (name, line) => io.stderr.write(`${c.dim(`${name} |`)} ${line}\n`) }),
    },
  )
  log(
    `starting ${opts.count} worker${opts.count === 1 ? '' : 's'} (${names.join(', ')}) on ${location.display}; limits: ${commands[0]!.enforced.join(', ') || 'none'}`,
  )
  supervisor.start()
  // `kill -USR1 <pid>` prints each worker's state (the store's view: `weft agents list`).
  const printStatus = () => io.stderr.write(`${formatStatus(supervisor.status())}\n`)
  process.on('SIGUSR1', printStatus)

  const reason = await Promise.race([
    supervisor.done().then(() => 'every worker stopped'),
    stopSignal(deps.signal, () => supervisor.kill()),
  ])
  if (reason !== 'every worker stopped') {
    log(`${reason}: stopping every worker (SIGTERM)`)
    await supervisor.stop('SIGTERM')
  }
  process.off('SIGUSR1', printStatus)
  const status = supervisor.status()
  log(
    `done: ${status.map((s) => `${s.name} ${s.lastExit?.signal ?? `exit ${s.lastExit?.code ?? '?'}`}${s.restarts ? `, ${s.restarts} restart${s.restarts === 1 ? '' : 's'}` : ''}`).join('; ')}`,
  )
  return status.some((s) => s.gaveUp) ? ExitCode.invalidInput : ExitCode.ok
}

function formatStatus(status: ChildStatus[]): string {
  return renderTable(
    ['WORKER', 'STATE', 'PID', 'RESTARTS', 'LAST EXIT'],
    status.map((s) => [
      s.name,
      s.state === 'backoff' ? `backoff ${((s.nextStartInMs ?? 0) / 1000).toFixed(1)} s` : s.state,
      s.pid !== undefined ? String(s.pid) : '–',
      String(s.restarts),
      s.lastExit
        ? `${s.lastExit.signal ?? `code ${s.lastExit.code}`} after ${(s.lastExit.afterMs / 1000).toFixed(1)} s`
        : '–',
    ]),
  )
}

/**
 * SIGTERM, SIGINT or SIGHUP, or the abort of `signal`. A second signal ends every worker now
 * (`Supervisor.kill`) and exits, as a second Ctrl-C does elsewhere in weft.
 */
function stopSignal(signal: AbortSignal | undefined, kill: () => Promise<void>): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => () => {
      process.once(sig, () => {
        void kill().finally(() => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGHUP' ? 1 : 15)))
      })
      resolve(sig)
    }
    process.once('SIGTERM', on('SIGTERM'))
    process.once('SIGINT', on('SIGINT'))
    // The terminal closed: the workers are in process groups of their own and would live on.
    process.once('SIGHUP', on('SIGHUP'))
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true })
  })
}

/** The flags, with `workers:` of weft.config where a flag is not given. */
function withConfig(
  flags: AgentsUpOptions,
  config: WorkersConfig | undefined,
): AgentsUpOptions & { count: number } {
  const { backends, ...rest } = config ?? {}
  const merged: AgentsUpOptions = {
    ...rest,
    ...(backends !== undefined ? { backends: Array.isArray(backends) ? backends.join(',') : backends } : {}),
    ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
  }
  if (merged.count === undefined)
    throw new WeftError('input_invalid', 'how many workers? pass --count N', {
      hint: 'or set `workers: { count: N }` in weft.config',
    })
  return merged as AgentsUpOptions & { count: number }
}
