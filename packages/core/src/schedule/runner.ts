import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Schedule, ScheduleStore, ScheduleTick, WorkflowInput } from '@weft/spec'
import type { Runtime, StartOptions } from '../host/api.js'
import { newOwnerName, ownerLiveness } from '../host/owner.js'
import { type Clock, systemClock, type TimerHandle } from '../run/clock.js'
import { loadWorkflowFile } from '../workflow/load.js'
import { type CronTimes, parseCron } from './cron.js'
import { requireSchedules } from './define.js'
import { syncFolderSchedules } from './folder.js'

export interface ScheduleRunnerOptions {
  runtime: Runtime
  /** Where `{ name }` workflows are read, at each tick; also the folder whose `schedules:` are synced. */
  workflowsDir?: string
  /** Sync the `schedules:` of the folder's workflows into the store at start. Default true with a folder. */
  syncFolder?: boolean
  /** Time (tests pass a manual clock and call `pass()`). Default the machine's clock. */
  clock?: Clock
  /** The longest wait between two looks at the store (new schedules, removed ones). Default 5000 ms. */
  pollMs?: number
  /** This process in tick claims (who claimed a tick, for `ticks()`). Default `host:pid:…`. */
  owner?: string
  logger?: {
    info(data: Record<string, unknown>, message: string): void
    warn(data: Record<string, unknown>, message: string): void
  }
}

export interface ScheduleRunner {
  /** When the runner started: ticks before it (and after a schedule's last one) were missed while down. */
  readonly startedAt: number
  /** One look at every schedule: fires what is due. The timer calls it; tests call it directly. */
  pass(): Promise<void>
  /** No more passes; waits for the one under way. */
  stop(): Promise<void>
}

/** Ticks one schedule may handle in one pass (a 1-second cron after a long stall). */
const MAX_TICKS_PER_PASS = 1000
/**
 * A claim with no run after this long is abandoned (its claimer, on another host, died between
 * the claim and the run): another runner may take it over. A live claimer records its run in ms.
 */
const ABANDONED_AFTER_MS = 60_000
/** Claimed ticks older than this are forgotten (their runs stay): the claim only matters near its time. */
const TICK_RETENTION_MS = 24 * 60 * 60 * 1000

/**
 * Starts runs on the store's schedules. Each pass computes the ticks due since the last one it
 * handled (or, for a schedule it has not seen, since the store's `lastTickAt` or its creation),
 * claims each in the store — `claimTick` answers true to one caller per tick across every process
 * and restart — and starts the run with initiator `schedule` and the tags `schedule:<id>` and
 * `tick:<time>`. Ticks before the runner's start were missed while no process ran: `skip` drops
 * them, `catchUp` claims the latest one only. A claim whose claimer died before recording its run
 * is taken over (see `claim`), so a crash between the two neither loses nor doubles the tick.
 */
export async function startScheduleRunner(options: ScheduleRunnerOptions): Promise<ScheduleRunner> {
  const { runtime } = options
  const clock = options.clock ?? systemClock
  const pollMs = options.pollMs ?? 5000
  const owner = options.owner ?? newOwnerName()
  const log = options.logger
  const startedAt = clock.now()
  const schedules: ScheduleStore = requireSchedules(runtime.store)
  if (options.workflowsDir && options.syncFolder !== false) {
    const sync = await syncFolderSchedules(schedules, options.workflowsDir, clock.now())
    for (const problem of sync.problems) log?.warn({ file: problem.file }, problem.message)
    log?.info({ ...sync, problems: sync.problems.length }, 'schedules synced from the workflows folder')
  }

  /** The last tick this runner handled per schedule: it owns every tick after it. */
  const cursors = new Map<string, number>()
  const compiled = new Map<string, CronTimes | Error>()
  const reported = new Set<string>()
  let timer: TimerHandle | undefined
  let chain: Promise<void> = Promise.resolve()
  let stopped = false
  let sincePrune = 0

  function times(s: Schedule): CronTimes | undefined {
    const key = `${s.cron}\u0000${s.timezone ?? ''}`
    let t = compiled.get(key)
    if (!t) {
      try {
        t = parseCron(s.cron, s.timezone)
      } catch (err) {
        t = err as Error
      }
      compiled.set(key, t)
    }
    if (t instanceof Error) {
      if (!reported.has(s.id)) log?.warn({ scheduleId: s.id, cron: s.cron }, t.message)
      reported.add(s.id)
      return undefined
    }
    return t
  }

  async function fire(s: Schedule, tickAt: number, late: boolean): Promise<void> {
    const tick = new Date(tickAt).toISOString()
    if (!(await claim(s, tick))) return
    try {
      const { spec, start } = await resolve(s)
      const run = await runtime.start(
        {
          ...spec,
          inputs: s.inputs,
          initiator: 'schedule',
          tags: [`schedule:${s.id}`, `tick:${tick}`],
        },
        start,
      )
      await schedules.completeTick(s.id, tick, run.id)
      log?.info(
        { scheduleId: s.id, tickAt: tick, runId: run.id, ...(late ? { catchUp: true } : {}) },
        'schedule tick',
      )
    } catch (err) {
      // The tick stays claimed: a workflow that cannot start now would fail the same way again.
      log?.warn(
        { scheduleId: s.id, tickAt: tick, err: (err as Error).message },
        'schedule tick failed to start a run',
      )
    }
  }

  /**
   * The tick for this runner: a free one, or one whose claimer died before its run was recorded
   * (then the run is looked for first: the claimer may have died after creating it). So a crash
   * between a claim and its run neither loses the tick nor, taken over, runs it twice.
   */
  async function claim(s: Schedule, tick: string): Promise<boolean> {
    if (await schedules.claimTick(s.id, tick, owner)) return true
    const held = await schedules.getTick(s.id, tick)
    if (!held || held.runId !== undefined || !abandoned(held)) return false
    const { items } = await runtime.list({ tag: `tick:${tick}`, limit: 100 })
    const started = items.find((r) => r.tags.includes(`schedule:${s.id}`))
    if (started) {
      await schedules.completeTick(s.id, tick, started.id)
      return false
    }
    const taken = await schedules.reclaimTick(s.id, tick, held.owner, owner)
    if (taken)
      log?.info({ scheduleId: s.id, tickAt: tick, from: held.owner ?? null }, 'schedule tick taken over')
    return taken
  }

  /** A claimer on this host that is gone, or any claim left without a run for long. */
  function abandoned(tick: ScheduleTick): boolean {
    if (tick.owner !== undefined && ownerLiveness(tick.owner) === 'dead') return true
    return Date.now() - Date.parse(tick.claimedAt) > ABANDONED_AFTER_MS
  }

  async function resolve(
    s: Schedule,
  ): Promise<{ spec: { workflow: WorkflowInput; source?: string }; start: StartOptions }> {
    if ('document' in s.workflow) {
      return {
        spec: {
          workflow: s.workflow.document as unknown as WorkflowInput,
          ...(s.workflow.source ? { source: s.workflow.source } : {}),
        },
        start: s.workflow.source ? { file: s.workflow.source } : {},
      }
    }
    const dir = options.workflowsDir
    if (!dir)
      throw new Error(
        `schedule ${s.id} names the folder workflow '${s.workflow.name}', but there is no workflows folder`,
      )
    for (const ext of ['', '.yaml', '.yml', '.json']) {
      if (ext === '' && !/\.(ya?ml|json)$/i.test(s.workflow.name)) continue
      const path = join(dir, `${s.workflow.name}${ext}`)
      if (!existsSync(path)) continue
      const doc = await loadWorkflowFile(path)
      const errors = doc.diagnostics.filter((d) => d.level === 'error')
      if (doc.value === undefined || errors.length) {
        throw new Error(`${path}: ${errors[0]?.message ?? 'cannot be read'}`)
      }
      return {
        spec: { workflow: doc.value as WorkflowInput, source: path },
        start: { file: path, locate: doc.locate },
      }
    }
    throw new Error(`the workflows folder ${dir} has no workflow '${s.workflow.name}'`)
  }

  async function passOnce(): Promise<void> {
    const now = clock.now()
    const all = await schedules.list()
    const seen = new Set<string>()
    for (const s of all) {
      seen.add(s.id)
      if (!s.enabled) {
        // Ticks while disabled are not owed: enabling it again starts from then, not with a burst.
        cursors.set(s.id, now)
        continue
      }
      if ('name' in s.workflow && !options.workflowsDir) {
        // A folder workflow, on a server started without the folder: a server that has it runs it.
        if (!reported.has(s.id))
          log?.warn(
            { scheduleId: s.id, workflow: s.workflow.name },
            'this schedule names a workflow of a workflows folder, and this server has none: it does not run it',
          )
        reported.add(s.id)
        cursors.set(s.id, now)
        continue
      }
      const t = times(s)
      if (!t) continue
      const from = cursors.get(s.id) ?? Date.parse(s.lastTickAt ?? s.createdAt)
      const due: number[] = []
      for (let at = t.next(from); at !== undefined && at <= now; at = t.next(at)) {
        due.push(at)
        if (due.length >= MAX_TICKS_PER_PASS) break
      }
      if (due.length === 0) continue
      const missed = due.filter((at) => at < startedAt)
      const live = due.filter((at) => at >= startedAt)
      if (missed.length > 0) {
        if (s.missed === 'catchUp') await fire(s, missed[missed.length - 1]!, true)
        else
          log?.info(
            { scheduleId: s.id, skipped: missed.length },
            'schedule ticks missed while down were skipped',
          )
      }
      for (const at of live) await fire(s, at, false)
      const last = due[due.length - 1]!
      cursors.set(s.id, last)
      const next = t.next(last)
      await schedules.advance(
        s.id,
        new Date(last).toISOString(),
        next === undefined ? undefined : new Date(next).toISOString(),
      )
      if (++sincePrune >= 500) {
        sincePrune = 0
        await schedules.pruneTicks(s.id, new Date(now - TICK_RETENTION_MS).toISOString())
      }
    }
    for (const id of cursors.keys()) if (!seen.has(id)) cursors.delete(id)
    scheduleNext(all, now)
  }

  /** Wakes at the earliest next tick (a little after it), or after `pollMs`, whichever is first. */
  function scheduleNext(all: Schedule[], now: number): void {
    if (stopped) return
    let wait = pollMs
    for (const s of all) {
      if (!s.enabled) continue
      const t = compiled.get(`${s.cron}\u0000${s.timezone ?? ''}`)
      if (!t || t instanceof Error) continue
      const next = t.next(Math.max(cursors.get(s.id) ?? now, now))
      if (next !== undefined) wait = Math.min(wait, next - now + 5)
    }
    clock.clearTimeout(timer)
    timer = clock.setTimeout(() => void runner.pass(), Math.max(5, wait), { unref: true })
  }

  const runner: ScheduleRunner = {
    startedAt,
    // Passes run one after another: one the timer started finishes before an explicit one begins.
    pass() {
      const next = chain.then(async () => {
        if (stopped) return
        try {
          await passOnce()
        } catch (err) {
          log?.warn({ err: (err as Error).message }, 'schedule pass failed')
          if (!stopped) {
            clock.clearTimeout(timer)
            timer = clock.setTimeout(() => void runner.pass(), pollMs, { unref: true })
          }
        }
      })
      chain = next
      return next
    },
    async stop() {
      stopped = true
      clock.clearTimeout(timer)
      await chain
    },
  }
  await runner.pass()
  return runner
}
