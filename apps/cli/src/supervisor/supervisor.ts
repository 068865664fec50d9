import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * A local supervisor of worker processes (`weft agents up`): starts each, restarts one that
 * crashed after an exponential backoff (capped), and stops them all together.
 *
 * Exit 0 means the worker stopped on purpose (`weft agents stop`, or the SIGTERM this supervisor
 * forwarded): it is not restarted. Exit 2 means it was started wrongly (a bad flag, an unknown
 * backend: the CLI's invalid-input code) and would fail the same way again: not restarted either,
 * and reported (`gaveUp`). Any other exit (a non-zero code, a signal such as SIGKILL or an
 * out-of-memory abort) is a crash. The backoff doubles with each crash in a row and starts over
 * once a worker has run for `stableMs`.
 */
export interface ChildSpec {
  name: string
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface SupervisorOptions {
  /** First restart delay. Default 1000 ms. */
  backoffMs?: number
  /** The delay never grows past this. Default 30 s. */
  maxBackoffMs?: number
  /** A run this long resets the backoff. Default 30 s. */
  stableMs?: number
  /** On stop: how long the children may take after SIGTERM before SIGKILL. Default 30 s. */
  stopGraceMs?: number
  /** What happens (starts, exits, restarts), one line each. */
  log(line: string): void
  /** One line a child wrote (stdout or stderr). */
  output?(name: string, line: string): void
}

export type ChildState = 'starting' | 'running' | 'backoff' | 'stopped' | 'stopping'

export interface ChildStatus {
  name: string
  state: ChildState
  pid?: number
  /** Restarts after crashes so far. */
  restarts: number
  lastExit?: { code: number | null; signal: NodeJS.Signals | null; afterMs: number }
  /** While in backoff: the delay before the next start. */
  nextStartInMs?: number
  /** It exited with code 2 (invalid input) and is not restarted. */
  gaveUp?: boolean
}

interface Slot {
  spec: ChildSpec
  status: ChildStatus
  child?: ChildProcess
  startedAt?: number
  crashesInARow: number
  timer?: NodeJS.Timeout
  exited?: Promise<void>
}

export class Supervisor {
  readonly #slots: Slot[]
  readonly #o: Required<Omit<SupervisorOptions, 'output'>> & Pick<SupervisorOptions, 'output'>
  #stopping = false
  #allStopped: (() => void) | undefined

  constructor(specs: ChildSpec[], options: SupervisorOptions) {
    this.#o = {
      backoffMs: 1000,
      maxBackoffMs: 30_000,
      stableMs: 30_000,
      stopGraceMs: 30_000,
      ...options,
    }
    this.#slots = specs.map((spec) => ({
      spec,
      status: { name: spec.name, state: 'starting', restarts: 0 },
      crashesInARow: 0,
    }))
  }

  start(): void {
    for (const slot of this.#slots) this.#spawn(slot)
  }

  status(): ChildStatus[] {
    return this.#slots.map((s) => ({ ...s.status }))
  }

  /** Resolves once every child has stopped for good (exit 0, or after `stop`). */
  done(): Promise<void> {
    if (this.#slots.every((s) => s.status.state === 'stopped')) return Promise.resolve()
    return new Promise((resolve) => {
      const previous = this.#allStopped
      this.#allStopped = () => {
        previous?.()
        resolve()
      }
    })
  }

  /** Stops restarting, sends `signal` to every child, SIGKILLs those still there after the grace. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopping = true
    for (const slot of this.#slots) {
      clearTimeout(slot.timer)
      if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null) {
        slot.status.state = 'stopping'
        slot.child.kill(signal)
      } else if (slot.status.state !== 'stopped') this.#settle(slot)
    }
    const exits = Promise.all(this.#slots.map((s) => s.exited))
    let timer: NodeJS.Timeout | undefined
    const late = await Promise.race([
      exits.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.#o.stopGraceMs))),
    ])
    clearTimeout(timer)
    if (late) {
      for (const slot of this.#slots)
        if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null) {
          this.#o.log(`${slot.spec.name} did not stop within ${this.#o.stopGraceMs} ms: SIGKILL`)
          slot.child.kill('SIGKILL')
        }
      await exits
    }
  }

  /**
   * A second Ctrl-C: every child gets a second SIGTERM, which a worker takes as "exit now" (its
   * exit handler still ends its tasks' process groups); one still there after `graceMs` is
   * SIGKILLed. Nothing is restarted after it.
   */
  async kill(graceMs = 3000): Promise<void> {
    this.#stopping = true
    const live = this.#slots.filter((s) => {
      clearTimeout(s.timer)
      return s.child && s.child.exitCode === null && s.child.signalCode === null
    })
    for (const slot of live) slot.child!.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(live.map((s) => s.exited)),
      new Promise((r) => (timer = setTimeout(r, graceMs))),
    ])
    clearTimeout(timer)
    for (const slot of live)
      if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null)
        slot.child.kill('SIGKILL')
  }

  #spawn(slot: Slot): void {
    const { spec } = slot
    const child = spawn(spec.command, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the terminal's signals (Ctrl-C, hang-up) reach the supervisor only,
      // which decides for all: the first forwards SIGTERM so they drain, a second ends them now.
      detached: true,
      ...(spec.env ? { env: spec.env } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    })
    slot.child = child
    slot.startedAt = Date.now()
    slot.status.state = 'running'
    delete slot.status.nextStartInMs
    if (child.pid !== undefined) slot.status.pid = child.pid
    for (const stream of [child.stdout, child.stderr])
      if (stream) createInterface({ input: stream }).on('line', (line) => this.#o.output?.(spec.name, line))
    slot.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        // Not started at all (no such program): the exit handler below does not run.
        if (child.pid === undefined) {
          this.#o.log(`${spec.name} could not start: ${err.message}`)
          this.#exited(slot, 127, null)
          resolve()
        }
      })
      child.once('exit', (code, signal) => {
        this.#exited(slot, code, signal)
        resolve()
      })
    })
    this.#o.log(`${spec.name} started (pid ${child.pid ?? '?'})`)
  }

  #exited(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const afterMs = Date.now() - (slot.startedAt ?? Date.now())
    slot.status.lastExit = { code, signal, afterMs }
    delete slot.status.pid
    slot.child = undefined
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`
    if (code === 2 && !this.#stopping) {
      this.#o.log(
        `${slot.spec.name} exited with code 2 (invalid input; it would fail the same way again): not restarted`,
      )
      slot.status.gaveUp = true
      this.#settle(slot)
      return
    }
    if (this.#stopping || code === 0) {
      this.#o.log(`${slot.spec.name} ${code === 0 ? 'stopped' : how}`)
      this.#settle(slot)
      return
    }
    slot.crashesInARow = afterMs >= this.#o.stableMs ? 1 : slot.crashesInARow + 1
    const delay = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** (slot.crashesInARow - 1))
    slot.status.state = 'backoff'
    slot.status.nextStartInMs = delay
    slot.status.restarts++
    this.#o.log(
      `${slot.spec.name} ${how} after ${(afterMs / 1000).toFixed(1)} s: restarting in ${(delay / 1000).toFixed(1)} s (restart ${slot.status.restarts})`,
    )
    slot.timer = setTimeout(() => {
      if (!this.#stopping) this.#spawn(slot)
    }, delay)
  }

  #settle(slot: Slot): void {
    slot.status.state = 'stopped'
    delete slot.status.nextStartInMs
    if (this.#slots.every((s) => s.status.state === 'stopped')) this.#allStopped?.()
  }
}
