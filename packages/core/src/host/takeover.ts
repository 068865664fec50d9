/**
 * Taking over a run that no process runs any more: its lease decides (see `Ownership.take`), then
 * the process groups its earlier attempts left on this host are ended, and only then does the run
 * continue here, so two attempts of one task never run at once. On another host nothing can be
 * checked or ended from here: the run is taken only once that holder's lease expired, and a holder
 * that is alive but missed its lease abandons its runs (and their attempts) when its heartbeat
 * finds the lease gone.
 */
import { hostname } from 'node:os'
import { endRecordedGroup } from '@weft/process'
import type { RunLease, TaskProcess } from '@weft/spec'
import { isTerminalRunStatus, WeftError } from '@weft/spec'
import { RunExecution } from '../runtime/run-execution.js'
import { type Host, notFound } from './context.js'

/** Another process holds the run. */
export interface HeldElsewhere {
  remote: RunLease
  holder: 'alive' | 'unverified'
}

export interface TakeOverOptions {
  /** Cancel the run as it is taken, before anything of it can start again. */
  cancel?: string
}

/**
 * The execution of a run in this process, or a takeover of a run no live process owns (a paused
 * run, one whose process died, one whose lease expired). Returns the holder's lease when another
 * process may still run it.
 */
export async function executionFor(
  host: Host,
  runId: string,
  options: TakeOverOptions = {},
): Promise<RunExecution | HeldElsewhere> {
  const local = host.registry.get(runId)
  if (local) return local
  const summary = await host.store.runs.get(runId)
  if (!summary) throw notFound(runId)
  if (isTerminalRunStatus(summary.status)) {
    throw new WeftError('run_finished', `run ${runId} already ${summary.status}`, {
      hint: 'start a new run',
    })
  }
  const taken = await host.ownership.take(runId)
  if (!taken.acquired) return { remote: taken.lease, holder: taken.holder }
  const exec = await RunExecution.load(host.deps, runId)
  if (!exec) {
    await host.ownership.release(runId)
    throw notFound(runId)
  }
  host.registry.add(exec)
  const endedProcesses = await endLeftoverGroups(
    host,
    runId,
    // Only tasks whose attempt may still run: a finished attempt's group was ended by its own
    // process, and an old record is more likely to name numbers the system has handed out again.
    [...exec.tasks.values()]
      .filter((t) => t.status === 'running' || t.status === 'retrying')
      .flatMap((t) => t.processes ?? []),
  )
  // A cancel goes first: the run is `canceling` when it is adopted, so no task starts again.
  if (options.cancel !== undefined) await exec.cancel(options.cancel)
  // Attempts a worker still runs for the run (a shared queue) are followed, not run again.
  const inFlight =
    options.cancel === undefined
      ? await host.deps.executor?.inFlight?.(runId).catch((err: Error) => {
          host.warn(`run ${runId}: cannot tell which attempts still run elsewhere: ${err.message}`)
          return undefined
        })
      : undefined
  const adoption = await exec.adopt(host.ownership.owner, taken.from?.owner, inFlight)
  host.adoptions.set(runId, {
    ...adoption,
    // Only a holder found dead is worth a line: an expired lease is the ordinary way to take over.
    ...(taken.from?.because === 'dead' ? { previousOwner: taken.from } : {}),
    ...(endedProcesses > 0 ? { endedProcesses } : {}),
  })
  return exec
}

/**
 * Ends the groups recorded for the run's attempts that still run on this host (a crashed owner's
 * children). A group is left alone when its leader's pid now names another process. Returns how
 * many were ended.
 */
async function endLeftoverGroups(host: Host, runId: string, groups: TaskProcess[]): Promise<number> {
  const here = hostname()
  const local = groups.filter((g) => g.host === here)
  if (local.length === 0) return 0
  const graceMs = Math.min(host.options.cancelGraceMs ?? 5000, 2000)
  const outcomes = await Promise.all(local.map((g) => endRecordedGroup(g, { graceMs })))
  let ended = 0
  outcomes.forEach((outcome, i) => {
    const g = local[i]!
    if (outcome === 'ended') ended++
    else if (outcome === 'still_running' || outcome === 'unverified') {
      host.warn(
        `run ${runId}: process group ${g.pgid} of attempt ${g.attempt} ${outcome === 'unverified' ? 'still runs and could not be proven to be that attempt (no start time recorded), so it was left alone' : 'did not stop after SIGKILL'}`,
      )
    }
  })
  return ended
}
