import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RunSummary, WeftError } from '@weft/core'
import { ExitCode } from './exit-codes.js'
import type { CliIo } from './io.js'

/** The hidden flag of the child process that owns a detached local run. */
export const DETACHED_CHILD_FLAG = '--detached-child'

/** Where detached runs write their progress and summary: `.weft/logs/<run-id>.log`. */
export const DETACHED_LOG_DIR = '.weft/logs'

/** How long the child may take to load, validate and start the run. */
const START_TIMEOUT_MS = 60_000

interface StartedMessage {
  type: 'weft:started'
  runId: string
  run: RunSummary
}

/** The script this CLI runs from: `bin.ts` from the sources (tsx), `bin.js` when built. */
function cliEntry(): string {
  const self = import.meta.url
  return fileURLToPath(new URL(self.endsWith('.ts') ? './bin.ts' : './bin.js', self))
}

/**
 * `weft run --detach` on the local store: spawns `weft run` again as a detached child (its own
 * session, so Ctrl-C and a closed terminal do not reach it) with its output in a log file. The
 * child owns the run (lease, heartbeats, the work) and reports the run id over IPC once the run
 * has started; then this process prints it and exits 0 while the child goes on.
 */
export async function spawnDetachedRun(
  io: CliIo,
  argv: string[],
  options: { json?: boolean; extraArgs?: string; print?: (run: RunSummary, log: string) => void },
): Promise<number> {
  const logDir = resolve(io.cwd, DETACHED_LOG_DIR)
  mkdirSync(logDir, { recursive: true })
  const pendingLog = join(logDir, `starting-${process.pid}-${Date.now()}.log`)
  const fd = openSync(pendingLog, 'a')
  const kept = argv.filter((a) => a !== '--detach' && a !== DETACHED_CHILD_FLAG)
  // Before a `--`: what follows it is operands (`weft tasks submit … -- cmd args`), not flags.
  const end = kept.indexOf('--')
  const args =
    end < 0
      ? [...kept, DETACHED_CHILD_FLAG]
      : [...kept.slice(0, end), DETACHED_CHILD_FLAG, ...kept.slice(end)]
  // A debugger flag would make the child fight over the inspector port.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'))
  const child = spawn(process.execPath, [...execArgv, cliEntry(), ...args], {
    cwd: io.cwd,
    env: io.env,
    detached: true,
    stdio: ['ignore', fd, fd, 'ipc'],
  })
  closeSync(fd)

  const outcome = await new Promise<StartedMessage | { code: number | null; signal: NodeJS.Signals | null }>(
    (resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(
          new WeftError('internal', `the background run did not start within ${START_TIMEOUT_MS / 1000}s`, {
            hint: `see ${relative(io.cwd, pendingLog)}`,
          }),
        )
      }, START_TIMEOUT_MS)
      child.on('message', (m: unknown) => {
        if ((m as StartedMessage | undefined)?.type !== 'weft:started') return
        clearTimeout(timer)
        resolvePromise(m as StartedMessage)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        resolvePromise({ code, signal })
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    },
  )

  if ('runId' in outcome) {
    const log = join(logDir, `${outcome.runId}.log`)
    // The child keeps writing through its open descriptor: renaming does not disturb it.
    renameSync(pendingLog, log)
    child.disconnect()
    child.unref()
    const shown = relative(io.cwd, log) || log
    if (options.print) options.print(outcome.run, shown)
    else printDetached(outcome.run, io, { ...options, log: shown })
    return ExitCode.ok
  }

  // The child stopped before a run started (a config or store error): its output says why.
  const text = readFileSync(pendingLog, 'utf8')
  rmSync(pendingLog, { force: true })
  io.stderr.write(text)
  return outcome.code ?? ExitCode.failed
}

/** In the child: tells the parent the run has started (nothing when not spawned by `--detach`). */
export function reportStarted(run: RunSummary): void {
  if (typeof process.send !== 'function' || !process.connected) return
  const message: StartedMessage = { type: 'weft:started', runId: run.id, run }
  process.send(message, undefined, {}, () => {
    // The parent may be gone already; the run goes on regardless.
  })
}

/**
 * What `weft run --detach` prints: the run id alone on stdout (so `id=$(weft run … --detach)`
 * works) and how to follow it on stderr; with `--json`, `{ runId, status, log?, run }`.
 */
export function printDetached(
  run: RunSummary,
  io: CliIo,
  options: { json?: boolean; extraArgs?: string; log?: string; workers?: boolean },
): void {
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ runId: run.id, status: run.status, ...(options.log ? { log: options.log } : {}), run }, null, 2)}\n`,
    )
    return
  }
  const extra = options.extraArgs ? ` ${options.extraArgs}` : ''
  io.stdout.write(`${run.id}\n`)
  io.stderr.write(
    [
      `run ${run.id} (${run.name}) goes on in the background${options.log ? `; its output: ${options.log}` : options.workers ? ': a `weft worker` on this store runs it' : ' on the server'}`,
      `  follow it:  weft runs events ${run.id} --follow${extra}`,
      `  show it:    weft runs show ${run.id}${extra}`,
      `  cancel it:  weft runs cancel ${run.id}${extra}`,
      '',
    ].join('\n'),
  )
}
