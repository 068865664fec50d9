import { hostname } from 'node:os'
import { type Backend, isWeftError, WeftError } from '@weft/core'
import type { Command } from 'commander'
import { createCliRuntime } from '../compose.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { leaseFrom } from '../shared-queue.js'
import { nonNegativeInt, positiveInt, storeOption } from './flags.js'

export interface WorkerCommandOptions {
  store?: string
  name?: string
  concurrency?: number
  backends?: string
  leaseMs?: number
  graceMs?: number
  scanMs?: number
  quiet?: boolean
}

export function configureWorkerCommand(command: Command, ctx: CliContext): void {
  command
    .addOption(storeOption())
    .option('--name <name>', 'this worker’s name in the workers table (default: HOST-PID)')
    .option('--concurrency <n>', 'attempts run at once (default 4)', positiveInt)
    .option(
      '--backends <ids>',
      'only claim tasks of these backends, comma-separated (default: every one it has)',
    )
    .option(
      '--lease-ms <ms>',
      'a claim lasts this long without a heartbeat (default: $WEFT_TASK_LEASE_MS, 30000)',
      positiveInt,
    )
    .option(
      '--grace-ms <ms>',
      'on SIGTERM, running tasks may finish within this; the rest are handed back (default 10000)',
      nonNegativeInt,
    )
    .option(
      '--scan-ms <ms>',
      'how often to look for runs that no live process owns (default 1000)',
      positiveInt,
    )
    .option('-q, --quiet', 'no line per claim and completion')
    .addHelpText(
      'after',
      `
Needs a PostgreSQL store (--store postgres://USER@HOST:PORT/DB, $WEFT_STORE or the config).
The worker owns runs that no live process owns (it schedules them, as \`weft run\` does), claims
ready tasks of every run for the backends it has, and runs until SIGTERM or Ctrl-C.`,
    )
    .action(async (opts: WorkerCommandOptions) => {
      ctx.exitCode = await workerCommand(opts, ctx.io)
    })
}

/**
 * `weft worker`: a runtime that owns unowned runs (recovery, tried again every `--scan-ms`) and a
 * worker that claims every run's queued attempts. On SIGTERM: no new claims, running attempts get
 * `--grace-ms` to finish, the rest are handed back; then the runs it owns are handed over.
 */
export async function workerCommand(
  opts: WorkerCommandOptions,
  io: CliIo,
  control: { signal?: AbortSignal } = {},
): Promise<number> {
  const cli = await createCliRuntime({
    cwd: io.cwd,
    env: io.env,
    ...(opts.store ? { store: opts.store } : {}),
    queueWorker: false,
    reporter: { warn: (message) => io.stderr.write(`warning: ${message}\n`) },
  })
  const { runtime } = cli
  if (cli.store.kind !== 'postgres') {
    await runtime.close()
    throw new WeftError('input_invalid', `weft worker needs a PostgreSQL store, not ${cli.store.display}`, {
      hint: 'pass --store postgres://USER@HOST:PORT/DB (or set WEFT_STORE), the database every process shares',
    })
  }
  const backends = selectBackends(runtime.backends, opts.backends)
  const name = opts.name ?? `${hostname()}-${process.pid}`
  const { Worker, runsWithoutLiveOwner } = await import('@weft/storage-postgres')
  const log = opts.quiet
    ? () => {}
    : (line: string) => io.stderr.write(`${new Date().toISOString()} ${name}: ${line}\n`)
  const leaseMs = opts.leaseMs ?? leaseFrom(io.env)
  // `weft agents stop NAME`: stop as on SIGTERM, then exit 0 (a supervisor does not restart that).
  const operatorStop = new AbortController()
  const worker = new Worker({
    store: runtime.store,
    name,
    backends,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(leaseMs ? { leaseMs } : {}),
    workDir: io.cwd,
    log,
    warn: (m) => io.stderr.write(`warning: ${m}\n`),
    onStopRequested: () => operatorStop.abort(),
  })
  try {
    await runtime.store.init()
    await worker.start()
  } catch (err) {
    await runtime.close()
    throw err
  }
  log(
    `started: ${[...backends.keys()].join(', ')}, concurrency ${worker.capacity}, lease ${worker.leaseMs} ms, store ${cli.store.display}`,
  )

  // Runs no live process owns (detached, or their process died) are taken over here.
  const scanMs = opts.scanMs ?? 1000
  let stopping = false
  const owned = new Set<string>()
  const scan = async () => {
    try {
      for (const runId of await runsWithoutLiveOwner(runtime.store)) {
        if (stopping) return
        // Exactly one process wins a run's lease; the others are told who holds it.
        const [r] = await runtime.recover({ runId }).catch((err) => {
          if (isWeftError(err) && (err.code === 'conflict' || err.code === 'run_not_found')) return []
          throw err
        })
        if (r?.outcome === 'recovered' && !owned.has(runId) && owned.add(runId))
          log(
            `owns run ${runId}${r.previousOwner ? ` (from ${r.previousOwner.owner}, ${r.previousOwner.because})` : ''}`,
          )
      }
    } catch (err) {
      if (!stopping) io.stderr.write(`warning: looking for unowned runs failed: ${(err as Error).message}\n`)
    }
  }
  const scanning = (async () => {
    while (!stopping) {
      await scan()
      await sleepUnlessStopped(scanMs, () => stopping)
    }
  })()

  const reason = await stopRequested(
    control.signal ? AbortSignal.any([control.signal, operatorStop.signal]) : operatorStop.signal,
  )
  stopping = true
  const graceMs = opts.graceMs ?? 10_000
  log(`stopping (${reason}): running tasks get ${graceMs} ms, the rest are handed back`)
  await worker.drain(graceMs)
  // Handing its runs over stops their backends' processes (the attempts of other runs among them):
  // what still runs is not recorded, but handed back.
  worker.abandonRunning()
  // Then the runs it owns are handed over (leases released, their attempts recorded as
  // interrupted): another worker takes them at once. The attempts it still runs for other runs are
  // handed back just before the store closes.
  const close = runtime.store.close.bind(runtime.store)
  runtime.store.close = async () => {
    await worker.stop(0)
    await close()
  }
  await runtime.shutdown({ graceMs: 0 })
  await scanning.catch(() => {})
  log('stopped')
  return ExitCode.ok
}

function selectBackends(all: ReadonlyMap<string, Backend>, list: string | undefined): Map<string, Backend> {
  if (!list) return new Map(all)
  const wanted = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = wanted.filter((id) => !all.has(id))
  if (unknown.length)
    throw new WeftError(
      'input_invalid',
      `--backends: unknown backend ${unknown.map((u) => `'${u}'`).join(', ')}`,
      {
        hint: `this worker has: ${[...all.keys()].join(', ')}`,
      },
    )
  return new Map(wanted.map((id) => [id, all.get(id)!]))
}

async function sleepUnlessStopped(ms: number, stopped: () => boolean): Promise<void> {
  const step = Math.min(ms, 100)
  for (let waited = 0; waited < ms && !stopped(); waited += step)
    await new Promise((r) => setTimeout(r, step))
}

/** Resolves on SIGTERM or SIGINT (a second one exits at once), or when `signal` aborts. */
function stopRequested(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)))
      resolve(sig)
    }
    process.once('SIGTERM', () => on('SIGTERM'))
    process.once('SIGINT', () => on('SIGINT'))
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true })
  })
}
