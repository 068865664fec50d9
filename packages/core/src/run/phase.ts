/**
 * The lifecycle of one run's driver (LiveRun): a phase with a name, instead of loose flags.
 */
import type { ErrorInfo } from '@weft/spec'
import type { CompensationDrive } from './compensation.js'

/** Why a run is stopping: a cancel, a failed task of a `failFast` run, its timeout, a deadlock. */
export interface Stopping {
  kind: 'cancel' | 'fail_fast' | 'run_timeout'
  reason: string
  error?: ErrorInfo
}

/**
 * The driver's lifecycle, one name at a time:
 * - `active`: dispatching ready tasks;
 * - `draining`: the runtime shuts down: no new attempts, running ones may finish;
 * - `stopping`: canceled, failed fast or timed out: unstarted tasks are canceled, running ones
 *   aborted, and the run ends when none is left;
 * - `compensating`: the run failed or was canceled and the compensations of its succeeded tasks
 *   run (compensation.ts); its end is recorded after them;
 * - `finished`: the run's end is recorded;
 * - `detached`: this process stopped acting on the run (the store keeps its state);
 * - `halted`: a commit failed or the lease was lost: this process must not write again.
 */
export type RunPhase =
  | { name: 'active' }
  | { name: 'draining' }
  | { name: 'stopping'; stop: Stopping }
  | { name: 'compensating'; drive: CompensationDrive }
  | { name: 'finished' }
  | { name: 'detached' }
  | { name: 'halted'; error: Error }
