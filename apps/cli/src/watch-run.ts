import type { RunSummary, Runtime } from '@weft/core'
import { colorsFor } from './colors.js'
import { ExitCode } from './exit-codes.js'
import type { CliIo } from './io.js'
import { createLocalService } from './local-service.js'
import { createProgress, pickProgressMode } from './progress.js'
import type { RunService } from './service.js'
import { formatRunSummary } from './summary.js'

export interface WatchRunOptions {
  /** Where the run is: this process's runtime, or a server (`--server`). */
  service?: RunService
  /** Shorthand for `service: createLocalService(runtime)`. */
  runtime?: Runtime
  io: CliIo
  json?: boolean
  quiet?: boolean
  /** Arguments the printed resume commands need (e.g. `--store PATH`). */
  extraArgs?: string
  /**
   * Starts (or resumes) the run once Ctrl-C is handled, so that an interrupt at any moment
   * cancels the run instead of leaving it `running` with no process behind it.
   */
  begin(): Promise<RunSummary>
  /** Show events after this seq (0 for a new run, the last seq before a resume). */
  afterSeq?: number
  /** Called once the run has started (e.g. to report its id to the process that spawned this one). */
  onStarted?(run: RunSummary): void
}

/** How long running tasks may take to finish when weft is stopped with SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000

/** How long to let the event stream catch up with the final state before the summary prints. */
const DRAIN_MS = 3000

/**
 * Runs a run to its next stop in this process: live progress, Ctrl-C → cancel, the closing
 * summary, and the exit code (0 succeeded or paused, 1 failed or canceled, 130 interrupted).
 */
export async function watchRun(options: WatchRunOptions): Promise<number> {
  const { io } = options
  const service = options.service ?? (options.runtime ? createLocalService(options.runtime) : undefined)
  if (!service) throw new TypeError('watchRun needs a service or a runtime')
  const extraArgs = options.extraArgs ?? service.extraArgs
  const mode = pickProgressMode({ out: io.stdout, json: options.json, quiet: options.quiet })
  const progress = createProgress(mode, { out: io.stdout, colors: colorsFor(io.stdout, io.env) })
  const note = (text: string) => (mode === 'off' ? io.stderr.write(`${text}\n`) : progress.note(text))

  let runId: string | undefined
  let interrupted: NodeJS.Signals | undefined
  let stopMessage: string | undefined
  let terminate: (() => void) | undefined
  const terminated = new Promise<undefined>((resolve) => {
    terminate = () => resolve(undefined)
  })
  const cancel = (signal: NodeJS.Signals) => {
    if (!runId) return
    service
      .cancel(runId, `interrupted (${signal})`)
      .catch((err: Error) => note(`could not cancel: ${err.message}`))
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // A second Ctrl-C means "now": the store keeps what was committed; recovery can continue it.
      io.stderr.write('\ninterrupted again: exiting without waiting\n')
      process.exit(exitForSignal(signal))
    }
    interrupted = signal
    if (signal === 'SIGTERM') {
      // A service manager stopping weft: do not cancel the work, hand it over. Running tasks get
      // a grace period, the rest is recorded as interrupted, and `weft runs recover` continues.
      if (service.kind === 'local')
        note(`SIGTERM: stopping; running tasks get ${SHUTDOWN_GRACE_MS / 1000}s to finish…`)
      service
        .stopFollowing(runId, SHUTDOWN_GRACE_MS)
        .then(
          (message) => {
            stopMessage = message
          },
          (err: Error) => note(`shutdown: ${err.message}`),
        )
        .finally(() => terminate?.())
      return
    }
    note('Ctrl-C: canceling the run… (press Ctrl-C again to exit at once)')
    cancel(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const controller = new AbortController()
  try {
    const started = await options.begin()
    runId = started.id
    options.onStarted?.(started)
    if (interrupted) cancel(interrupted)
    progress.begin(started, await service.tasks(runId))

    // Events are shown from the store-backed stream, so none is missed between begin() and here.
    let seen = options.afterSeq ?? 0
    let notify: (() => void) | undefined
    const consumer = (async () => {
      const follow = { after: seen, follow: true, deltas: progress.showsText, signal: controller.signal }
      for await (const e of service.events(runId, follow)) {
        progress.event(e)
        seen = e.seq
        notify?.()
      }
    })()
    consumer.catch(() => {})

    const final = await Promise.race([service.wait(runId), terminated])
    if (!final) {
      io.stderr.write(`${stopMessage ?? `stopped following run ${runId}`}\n`)
      return exitForSignal('SIGTERM')
    }
    await Promise.race([
      consumer,
      new Promise<void>((resolve) => {
        const check = () => (seen >= final.lastSeq ? resolve() : undefined)
        notify = check
        check()
      }),
      new Promise<void>((resolve) => setTimeout(resolve, DRAIN_MS).unref()),
    ])
    controller.abort()
    await consumer.catch(() => {})
    // The follow stream of a run in this process can end early: core sees the in-memory status
    // turn terminal before the final events are committed. Whatever it missed is in the store.
    if (seen < final.lastSeq) {
      for await (const e of service.events(runId, { after: seen })) progress.event(e)
    }
    progress.end()

    if (options.json) {
      io.stdout.write(`${JSON.stringify(final, null, 2)}\n`)
    } else {
      const tasks = await service.tasks(runId)
      const summary = formatRunSummary(final, tasks, {
        colors: colorsFor(io.stdout, io.env),
        ...(extraArgs ? { extraArgs } : {}),
      })
      io.stdout.write(`${mode === 'lines' ? '\n' : ''}${summary}\n`)
    }
    if (interrupted) return exitForSignal(interrupted)
    return exitForRun(final)
  } finally {
    controller.abort()
    progress.end()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** A paused run waits for a person, which is not a failure of the command. */
export function exitForRun(run: RunSummary): number {
  return run.status === 'succeeded' || run.status === 'paused' ? ExitCode.ok : ExitCode.failed
}

function exitForSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted
}
